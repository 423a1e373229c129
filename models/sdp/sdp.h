#pragma once
// SDP (RFC 8866) parse and build, with typed helpers for the attributes that
// session-mode instant messaging uses: a=path, a=accept-types,
// a=accept-wrapped-types, a=max-size (RFC 4975), a=setup, a=connection
// (RFC 4145), a=key-mgmt (RFC 4567).
//
// Zero-copy: Parse() fills a SessionDescription whose string_views point into
// the parsed text; that text must outlive the SessionDescription. To build
// one by hand, point the views at strings that outlive the Build() call.
//
// Wire choices (see models/sdp/README.md):
// - Lines end in CRLF; a bare LF is accepted too (RFC 8866 section 5 asks
//   parsers to be tolerant); a lone CR, or a last line without a line end, is
//   an error. Build() always writes CRLF.
// - The order of RFC 8866 section 9 is enforced: v o s [i] [u] *e *p [c] *b
//   1*(t [1*r [z]]) [k] *a then *(m [i] *c *b [k] *a): a z= line belongs to
//   the time description whose r= lines it follows (section 5.11; RFC 4566
//   had one z= after all of them). An unknown type letter
//   is an error (section 5 allows ignoring or rejecting; we reject).
// - s= may be empty (RFC 5118 section 4.8 and many stacks send "s="), though
//   the grammar asks for one character.
// - Every media needs a connection address: c= at session level or in each
//   media description (section 5.7).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/parse_error.h"
#include "msrp/uri.h"

namespace sipim::sdp {

struct Origin {  // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
  std::string_view username;
  std::string_view sess_id;       // 1*DIGIT (kept as text: may exceed 64 bits)
  std::string_view sess_version;  // 1*DIGIT
  std::string_view nettype;       // "IN"
  std::string_view addrtype;      // "IP4", "IP6"
  std::string_view address;
};

struct Connection {  // c=<nettype> <addrtype> <connection-address>
  std::string_view nettype;
  std::string_view addrtype;
  std::string_view address;  // may carry "/ttl/count" for multicast, as written
};

struct Bandwidth {  // b=<bwtype>:<bandwidth>
  std::string_view type;
  std::uint64_t value = 0;
};

struct Timing {  // t=<start> <stop>, then its r= lines and their z= line
  std::uint64_t start = 0;
  std::uint64_t stop = 0;
  std::vector<std::string_view> repeats;  // r= values, as written
  std::string_view zone;                  // z=, as written (only after r=)
  bool has_zone = false;
};

struct Attribute {  // a=<name>[:<value>]
  std::string_view name;
  std::string_view value;
  bool has_value = false;  // "a=sendrecv" vs "a=x:" (empty value)
};

struct Media {  // m=<media> <port>[/<count>] <proto> <fmt> ...
  std::string_view media;  // "message", "audio", ...
  std::uint16_t port = 0;
  std::uint32_t port_count = 0;  // 0 when absent
  std::string_view proto;        // "TCP/MSRP", "TCP/TLS/MSRP", "TCP", "RTP/AVP", ...
  std::vector<std::string_view> formats;  // "*" for MSRP
  std::string_view information;  // i=; "" when absent
  bool has_information = false;
  std::vector<Connection> connections;
  std::vector<Bandwidth> bandwidths;
  std::string_view key;  // k=; "" when absent
  bool has_key = false;
  std::vector<Attribute> attributes;  // in order
};

struct SessionDescription {
  std::uint32_t version = 0;  // v=0
  Origin origin;
  std::string_view session_name;  // s=
  std::string_view information;   // i=
  bool has_information = false;
  std::string_view uri;  // u=
  bool has_uri = false;
  std::vector<std::string_view> emails;  // e=
  std::vector<std::string_view> phones;  // p=
  std::optional<Connection> connection;
  std::vector<Bandwidth> bandwidths;
  std::vector<Timing> timings;  // at least one
  std::string_view key;  // k=
  bool has_key = false;
  std::vector<Attribute> attributes;  // session-level, in order
  std::vector<Media> media;
};

bool operator==(const Origin& a, const Origin& b);
bool operator==(const Connection& a, const Connection& b);
bool operator==(const Bandwidth& a, const Bandwidth& b);
bool operator==(const Timing& a, const Timing& b);
bool operator==(const Attribute& a, const Attribute& b);
bool operator==(const Media& a, const Media& b);
bool operator==(const SessionDescription& a, const SessionDescription& b);
inline bool operator!=(const SessionDescription& a, const SessionDescription& b) {
  return !(a == b);
}

// Parses a whole session description. Errors name line and column in `text`.
ParseError Parse(std::string_view text, SessionDescription* out);

// Appends the canonical text (CRLF line ends). Parse(Build(x)) == x for any x
// that Parse() produced.
void Build(const SessionDescription& sd, std::string* out);

// ---- attribute helpers ----
// Their errors count columns within the attribute value. Relocate() turns
// such an error into one positioned in the whole description `text`, given
// that `value` is a view into `text` (as Parse() produces).
ParseError Relocate(std::string_view text, std::string_view value, ParseError e);

// The first attribute named `name` (case-sensitive, as RFC 8866 att-field is
// matched by most stacks), or nullptr.
const Attribute* FindAttribute(const std::vector<Attribute>& attrs, std::string_view name);
// The media-level attribute, else the session-level one (RFC 8866 section 6).
const Attribute* FindAttribute(const SessionDescription& sd, const Media& m,
                               std::string_view name);

// a=path: one or more MSRP URIs separated by single spaces (RFC 4975 8.2).
// Appends them to *out (views into `value`).
ParseError ParsePath(std::string_view value, std::vector<msrp::Uri>* out);

// a=accept-types / a=accept-wrapped-types: space-separated media types, each
// "*", "type/*" or "type/subtype" (parameters are not allowed here).
ParseError ParseAcceptTypes(std::string_view value, std::vector<std::string_view>* out);

// a=setup (RFC 4145 section 4). Named SetupRole because inside a GoogleTest
// TEST body an unqualified `Setup` means testing::Test::Setup; the alias
// keeps `sdp::Setup` working everywhere else.
enum class SetupRole : std::uint8_t { kActive, kPassive, kActpass, kHoldconn };
using Setup = SetupRole;
ParseError ParseSetup(std::string_view value, Setup* out);
std::string_view SetupName(Setup s);

// a=connection (RFC 4145 section 5).
enum class ConnectionMode : std::uint8_t { kNew, kExisting };
ParseError ParseConnectionMode(std::string_view value, ConnectionMode* out);
std::string_view ConnectionModeName(ConnectionMode c);

// a=max-size:<bytes> (RFC 4975 section 8.6).
ParseError ParseMaxSize(std::string_view value, std::uint64_t* out);

// a=key-mgmt:[SP]<prtcl-id> <keymgmt-data> (RFC 4567 section 3.1: one
// leading space is allowed). prtcl-id is 1*(ALPHA/DIGIT), "mikey" for
// RFC 3830; data is base64 (checked here).
struct KeyMgmt {
  std::string_view protocol_id;
  std::string_view data_base64;
};
ParseError ParseKeyMgmt(std::string_view value, KeyMgmt* out);
// Appends "<prtcl-id> <base64 of data>" (the attribute value).
void AppendKeyMgmtValue(std::string_view protocol_id, const std::uint8_t* data, std::size_t size,
                        std::string* out);

// Base64 (RFC 4648 section 4, with '=' padding). Decoding is strict: length
// a multiple of 4, only the alphabet, padding only at the end, and the unused
// bits of the last character zero (so each byte string has one encoding).
// Errors name the column of the offending character.
ParseError Base64Decode(std::string_view text, std::vector<std::uint8_t>* out);
void Base64Encode(const std::uint8_t* data, std::size_t size, std::string* out);

// ---- offer/answer (RFC 3264) ----

// The index of the first m= line with this media and proto whose port is
// not 0 (port 0 marks a rejected stream, RFC 3264 section 8.2), or -1.
int FindMedia(const SessionDescription& sd, std::string_view media, std::string_view proto);

// Set in the parameters below, it makes the text an answer to `offer` that
// takes its m= line `accepted`: RFC 3264 section 6 wants one m= line per
// offered one, in the offer's order, and each stream the answerer does not
// take rejected with port 0 (here its media, proto and formats as offered),
// not left out. The offer's text must outlive the build.
struct AnswerTo {
  const SessionDescription* offer = nullptr;
  std::size_t accepted = 0;
};

// ---- offers the simulation sends (and its answers, with AnswerTo) ----

struct MsrpOfferParams {
  std::string_view username = "-";
  std::uint64_t session_id = 0;
  std::uint64_t session_version = 0;
  std::string_view addrtype = "IP4";
  std::string_view address;       // c= and o= address, and the a=path host
  std::uint16_t port = 0;         // m= port and a=path port
  std::string_view msrp_session;  // the a=path session-id
  bool tls = false;               // TCP/TLS/MSRP and msrps:
  std::string_view accept_types = "text/plain";
  Setup setup = Setup::kActpass;
  // a=key-mgmt:mikey <base64 of these bytes> at session level; empty omits it.
  const std::uint8_t* mikey = nullptr;
  std::size_t mikey_size = 0;
  std::string_view session_name = "-";
  AnswerTo answer_to;  // an answer when answer_to.offer is set
};
// v=0, o=, s=, c=, t=0 0, [a=key-mgmt], m=message <port> TCP/MSRP *,
// a=accept-types, a=path:msrp://<address>:<port>/<session>;tcp, a=setup.
void AppendMsrpOffer(const MsrpOfferParams& p, std::string* out);

struct TcpImOfferParams {  // Cui et al. 2010: the message media over plain TCP
  std::string_view username = "-";
  std::uint64_t session_id = 0;
  std::uint64_t session_version = 0;
  std::string_view addrtype = "IP4";
  std::string_view address;
  std::uint16_t port = 0;  // the listening port
  Setup setup = Setup::kPassive;
  ConnectionMode connection = ConnectionMode::kNew;
  const std::uint8_t* mikey = nullptr;
  std::size_t mikey_size = 0;
  std::string_view session_name = "-";
  AnswerTo answer_to;  // an answer when answer_to.offer is set
};
// v=0, o=, s=, c=, t=0 0, [a=key-mgmt], m=message <port> TCP *, a=setup,
// a=connection.
void AppendTcpImOffer(const TcpImOfferParams& p, std::string* out);

}  // namespace sipim::sdp
