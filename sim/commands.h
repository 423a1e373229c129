#pragma once
// Each `sipim` subcommand: argv starts at the subcommand's first argument.
// The return value is the process exit status.

namespace sipim::cli {

// `sipim parse [--stream] FILE...`: 0 all parsed, 1 any malformed, 2 usage.
int RunParse(int argc, char** argv);

// `sipim run SCENARIO.ini [--key value ...] [--out DIR]` (sim/run/).
int RunScenario(int argc, char** argv);

}  // namespace sipim::cli
