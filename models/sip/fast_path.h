#pragma once
// Test hook for the parsers' fast paths. Internal to models/sip; not part
// of the API.
//
// The hot parsers (the field loop of Parse(), TopVia/ParseVia,
// ParseNameAddr, ParseCSeq, ParseCallId) first try a fast path for the
// plain form stacks write, and run the general code for anything else. The
// fast paths must give exactly the general code's results. Setting
// g_general_only makes every parser skip its fast path, so that a test can
// parse the same bytes both ways and compare (tests/sip/fast_path_test.cc).
// Never set outside tests; not to be flipped while another thread parses.

namespace sipim::sip::internal {

extern bool g_general_only;
inline bool FastPaths() { return !g_general_only; }

}  // namespace sipim::sip::internal
