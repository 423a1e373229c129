#!/usr/bin/env python3
"""Writes the SDP torture descriptions of this folder and MANIFEST.tsv.

Each file is one session description as it would travel in a SIP body.
expect: valid (Parse must accept) or invalid (Parse must reject, at `line`).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

MSRP_OFFER = [
    "v=0", "o=alice 2890844526 2890844527 IN IP4 alice.example.com", "s= -",
    "c=IN IP4 alice.example.com", "t=0 0", "m=message 7654 TCP/MSRP *",
    "a=accept-types:text/plain", "a=path:msrp://alice.example.com:7654/jshA7weztas;tcp",
]


def crlf(lines):
    return ("\r\n".join(lines) + "\r\n").encode()


def lf(lines):
    return ("\n".join(lines) + "\n").encode()


def swap(lines, i, j):
    out = list(lines)
    out[i], out[j] = out[j], out[i]
    return out


def replace(lines, i, new):
    out = list(lines)
    out[i] = new
    return out


CASES = [
    # name, expect, line of the error (0 for valid), bytes, why
    ("rfc4975-offer", "valid", 0, crlf(MSRP_OFFER), "RFC 4975 section 4 offer"),
    ("bare-lf", "valid", 0, lf(MSRP_OFFER), "bare LF line ends (RFC 8866 section 5 tolerance)"),
    ("mixed-line-ends", "valid", 0, crlf(MSRP_OFFER[:4]) + lf(MSRP_OFFER[4:]), "CRLF and LF mixed"),
    ("tls-mikey", "valid", 0,
     crlf(MSRP_OFFER[:5] + ["m=message 7654 TCP/TLS/MSRP *", "a=accept-types:text/plain message/cpim",
                            "a=accept-wrapped-types:text/* *", "a=max-size:65536",
                            "a=path:msrps://alice.example.com:7654/jshA7weztas;tcp", "a=setup:actpass",
                            "a=key-mgmt:mikey AQAFgM0XflABAAAAAAAAAAAAAAsAyONQ6gAAAAAJAAAQbQAA"]),
     "MSRP over TLS with accept-wrapped-types, max-size, setup and key-mgmt"),
    ("paper-tcp", "valid", 0,
     crlf(MSRP_OFFER[:5] + ["m=message 5060 TCP *", "a=setup:passive", "a=connection:new"]),
     "Cui et al. 2010: message media over plain TCP, the listening port"),
    ("all-session-lines", "valid", 0,
     crlf(["v=0", "o=- 1 1 IN IP6 2001:db8::1", "s=All", "i=info", "u=http://example.com/x",
           "e=a@example.com", "e=b@example.com", "p=+1 555 0100", "c=IN IP6 2001:db8::1", "b=AS:64",
           "b=CT:128", "t=3034423619 3042462419", "r=604800 3600 0 90000", "z=2882844526 -1h 2898848070 0", "t=0 0",
           "k=prompt", "a=recvonly", "a=tool:x y",
           "m=audio 49170/2 RTP/AVP 0 8 97", "i=voice", "c=IN IP6 2001:db8::2", "c=IN IP6 2001:db8::3",
           "b=AS:32", "k=prompt", "a=rtpmap:97 iLBC/8000", "m=message 0 TCP/MSRP *", "a=inactive"]),
     "every line type in its place, repeated where allowed"),
    ("media-level-c-only", "valid", 0,
     crlf(["v=0", "o=bob 280744730 28977631 IN IP4 host.example.com", "s=", "t=0 0",
           "m=audio 22334 RTP/AVP 0", "c=IN IP4 192.0.2.1", "m=video 6024 RTP/AVP 107", "c=IN IP6 2001:db8::1"]),
     "empty s= (RFC 5118 4.8) and c= in every media instead of the session"),
    ("ims-style-offer", "valid", 0,
     crlf(["v=0", "o=UE-1 1234562 0 IN IP6 2001:db8::4c16:9e6d", "s=SS VOIP", "c=IN IP6 2001:db8::4c16:9e6d",
           "t=0 0", "m=message 8880 TCP/MSRP *", "a=accept-types:message/cpim application/im-iscomposing+xml",
           "a=accept-wrapped-types:text/plain message/imdn+xml", "a=setup:active",
           "a=path:msrp://[2001:db8::4c16:9e6d]:8880/FmnP;tcp", "a=msrp-cema", "a=sendrecv"]),
     "the shape IMS/RCS clients send: IPv6, CPIM with wrapped types, msrp-cema"),

    ("empty", "invalid", 1, b"", "empty description"),
    ("m-without-format-trailing-spaces", "invalid", 1,
     lf(["v=0 ", "o=- 1 1 IN IP4 10.0.0.1 ", "s=- ", "c=IN IP4 10.0.0.1 ", "t=0 0 ", "m=message 20000 TCP/MSRP "]),
     "a broken form seen from some stacks: trailing spaces everywhere, m= without a format"),
    ("no-final-line-end", "invalid", 8, crlf(MSRP_OFFER)[:-2], "last line without line end"),
    ("lone-cr", "invalid", 3, crlf(MSRP_OFFER).replace(b"s= -", b"s= \r-"), "CR not followed by LF"),
    ("nul-byte", "invalid", 3, crlf(MSRP_OFFER).replace(b"s= -", b"s= \x00"), "NUL in a line"),
    ("missing-v", "invalid", 1, crlf(MSRP_OFFER[1:]), "v= must come first"),
    ("v-1", "invalid", 1, crlf(replace(MSRP_OFFER, 0, "v=1")), "only version 0"),
    ("o-before-v", "invalid", 1, crlf(swap(MSRP_OFFER, 0, 1)), "o= before v="),
    ("s-missing", "invalid", 3, crlf(MSRP_OFFER[:2] + MSRP_OFFER[3:]), "s= must follow o="),
    ("c-after-t", "invalid", 5, crlf(swap(MSRP_OFFER, 3, 4)), "c= after t= (the order RFC 4567's example uses)"),
    ("no-t", "invalid", 5, crlf(MSRP_OFFER[:4] + MSRP_OFFER[5:]), "no t= before m="),
    ("two-c", "invalid", 5, crlf(MSRP_OFFER[:4] + ["c=IN IP4 x.example.com"] + MSRP_OFFER[4:]), "two session c="),
    ("unknown-letter", "invalid", 6, crlf(MSRP_OFFER[:5] + ["x=foo"] + MSRP_OFFER[5:]), "unknown type letter"),
    ("upper-letter", "invalid", 6, crlf(MSRP_OFFER[:5] + ["A=foo"] + MSRP_OFFER[5:]), "type is lower case"),
    ("space-before-eq", "invalid", 6, crlf(MSRP_OFFER[:5] + ["a =foo"] + MSRP_OFFER[5:]), "<type>= with no space"),
    ("o-five-fields", "invalid", 2, crlf(replace(MSRP_OFFER, 1, "o=alice 1 1 IN IP4")), "o= needs 6 fields"),
    ("o-double-space", "invalid", 2, crlf(replace(MSRP_OFFER, 1, "o=alice  1 1 IN IP4 h")), "single spaces"),
    ("o-letters-in-id", "invalid", 2, crlf(replace(MSRP_OFFER, 1, "o=alice 12a 1 IN IP4 h")), "sess-id 1*DIGIT"),
    ("m-port-too-big", "invalid", 6, crlf(replace(MSRP_OFFER, 5, "m=message 70000 TCP/MSRP *")), "port <= 65535"),
    ("m-no-format", "invalid", 6, crlf(replace(MSRP_OFFER, 5, "m=message 7654 TCP/MSRP")), "at least one fmt"),
    ("m-trailing-space", "invalid", 6, crlf(replace(MSRP_OFFER, 5, "m=message 7654 TCP/MSRP * ")), "trailing space"),
    ("m-empty-proto-part", "invalid", 6, crlf(replace(MSRP_OFFER, 5, "m=message 7654 TCP//MSRP *")), "proto tokens"),
    ("t-letters", "invalid", 5, crlf(replace(MSRP_OFFER, 4, "t=now 0")), "t= digits"),
    ("b-no-colon", "invalid", 5, crlf(MSRP_OFFER[:4] + ["b=AS64"] + MSRP_OFFER[4:]), "b=<type>:<value>"),
    ("a-empty-value", "invalid", 7, crlf(replace(MSRP_OFFER, 6, "a=accept-types:")), "value after ':' is 1*byte"),
    ("r-without-t", "invalid", 5, crlf(MSRP_OFFER[:4] + ["r=1 2 3"] + MSRP_OFFER[4:]), "r= follows t="),
    ("z-without-r", "invalid", 6, crlf(MSRP_OFFER[:5] + ["z=2882844526 -1h"] + MSRP_OFFER[5:]),
     "z= modifies r= lines (RFC 8866 section 5.11)"),
    ("two-z", "invalid", 8,
     crlf(MSRP_OFFER[:5] + ["r=604800 3600 0", "z=2882844526 -1h", "z=2898848070 0"] + MSRP_OFFER[5:]),
     "one z= per time description"),
    ("t-in-media", "invalid", 9, crlf(MSRP_OFFER + ["t=0 0"]), "t= inside a media description"),
    ("media-a-before-c", "invalid", 7,
     crlf(["v=0", "o=- 1 1 IN IP4 h", "s=-", "t=0 0", "m=message 1 TCP/MSRP *", "a=setup:active",
           "c=IN IP4 h"]),
     "c= after a= inside a media description"),
    ("media-without-c", "invalid", 5,
     crlf(["v=0", "o=- 1 1 IN IP4 h", "s=-", "t=0 0", "m=message 1 TCP/MSRP *", "a=setup:active"]),
     "no c= anywhere for this media"),
]


def main():
    rows = ["# file\texpect\tline\twhy"]
    for name, expect, line, data, why in CASES:
        fname = name + ".sdp"
        with open(os.path.join(HERE, fname), "wb") as f:
            f.write(data)
        rows.append("\t".join([fname, expect, str(line), why]))
    with open(os.path.join(HERE, "MANIFEST.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
