// sipim: SIP instant-messaging simulation and benchmarking harness.
#include <cstdio>
#include <cstring>

#include "commands.h"
#include "sipim_version.h"

namespace {

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: sipim <command> [args]\n"
               "\n"
               "commands:\n"
               "  parse [--stream] FILE...   parse SIP or MSRP messages, print JSON\n"
#ifdef SIPIM_HAVE_RUN
               "  run SCENARIO.ini [--key value ...] [--out DIR]\n"
               "                             run an ns-3 scenario, write results\n"
#endif
               "  version                    print the code version\n"
               "\n"
               "`sipim <command> --help` describes a command.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  const char* command = argv[1];
  if (std::strcmp(command, "parse") == 0) {
    return sipim::cli::RunParse(argc - 2, argv + 2);
  }
#ifdef SIPIM_HAVE_RUN
  if (std::strcmp(command, "run") == 0) {
    return sipim::cli::RunScenario(argc - 2, argv + 2);
  }
#endif
  if (std::strcmp(command, "version") == 0 || std::strcmp(command, "--version") == 0) {
    std::printf("sipim %s\n", SIPIM_CODE_VERSION);
    return 0;
  }
  if (std::strcmp(command, "--help") == 0 || std::strcmp(command, "-h") == 0 ||
      std::strcmp(command, "help") == 0) {
    PrintUsage(stdout);
    return 0;
  }
  std::fprintf(stderr, "sipim: unknown command '%s'\n", command);
  PrintUsage(stderr);
  return 2;
}
