// ns-3's environment variables that change a run's results: NS_ATTRIBUTE_DEFAULT
// (attribute defaults, applied over the model's own Config::SetDefault) and
// NS_GLOBAL_VALUE (global values). Each point-run inherits them, so `sipim
// run` checks them before any point starts and records them in metadata.json.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace sipim::run {

// The variables that are set, as (name, value), in a fixed order.
std::vector<std::pair<std::string, std::string>> Ns3Environment();

// Checks every "name=value" entry (';'-separated, as ns-3 splits them) of
// the variables that are set: the name must be an attribute of the ns-3
// TypeId it names ("ns3::SctpSocket::MaxBurst", declared by that TypeId:
// ns-3 matches the declaring class's full name) or a global value, and the
// value one its checker accepts. ns-3 itself ignores an unknown name
// without a word and aborts on a value it cannot read; here each is an
// error naming the variable, the entry and why. Empty when all is well.
std::vector<std::string> CheckNs3Environment();

}  // namespace sipim::run
