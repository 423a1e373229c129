#!/usr/bin/env python3
"""Writes the MSRP torture messages of this folder and MANIFEST.tsv.

Run from anywhere: python3 make_torture.py. Each case is bytes on the wire
(CRLF line ends), in the spirit of RFC 4475: valid ones a parser must accept,
invalid ones it must reject, each with the reason. `mode` says how a test
reads the file: "one" = exactly one message filling the file (Parse),
"stream" = a byte stream of `messages` messages (StreamParser).
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
TO = "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp"
FROM = "msrp://atlanta.example.com:7654/jshA7weztas;tcp"


def msg(lines, body=None, tid="a786hjs2", flag="$"):
    head = "\r\n".join(lines) + "\r\n"
    out = head.encode()
    if body is not None:
        out += b"\r\n" + (body if isinstance(body, bytes) else body.encode()) + b"\r\n"
    return out + ("-------" + tid + flag + "\r\n").encode()


def send(body=b"Hey Bob, are you there?", tid="a786hjs2", flag="$", extra=(), br=None, ct="text/plain",
         mid="87652491"):
    n = len(body)
    lines = ["MSRP %s SEND" % tid, "To-Path: " + TO, "From-Path: " + FROM]
    if mid:
        lines.append("Message-ID: " + mid)
    lines.append("Byte-Range: " + (br or "1-%d/%d" % (n, n)))
    lines += list(extra)
    lines.append("Content-Type: " + ct)
    return msg(lines, body, tid, flag)


OK = msg(["MSRP a786hjs2 200 OK", "To-Path: " + FROM, "From-Path: " + TO])
REPORT = msg(["MSRP dkei38sd REPORT",
              "To-Path: msrp://alicepc.example.com:7777/iau39soe2843z;tcp",
              "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp",
              "Message-ID: 12339sdqwer", "Byte-Range: 1-106/106", "Status: 000 200 OK"], tid="dkei38sd")

CASES = [
    # name, expect, mode, messages, bytes, why
    ("rfc4975-s4-send", "valid", "one", 1, send(br="1-25/25"),
     "RFC 4975 section 4 SEND, as printed (Byte-Range 1-25/25 over a 23-byte body: syntax only)"),
    ("rfc4975-s4-ok", "valid", "one", 1, OK, "RFC 4975 section 4 200 OK"),
    ("rfc4975-report", "valid", "one", 1, REPORT, "REPORT with Message-ID, Byte-Range, Status 000 200 OK"),
    ("rfc4975-chunks", "valid", "stream", 2,
     msg(["MSRP dkei38sd SEND", "To-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp",
          "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp", "Message-ID: 4564dpWd",
          "Byte-Range: 1-*/8", "Content-Type: text/plain"], "abcd", "dkei38sd", "+") +
     msg(["MSRP dkei38ia SEND", "To-Path: msrp://alice.example.com:7777/iau39soe2843z;tcp",
          "From-Path: msrp://bob.example.com:8888/9di4eae923wzd;tcp", "Message-ID: 4564dpWd",
          "Byte-Range: 5-8/8", "Content-Type: text/plain"], "EFGH", "dkei38ia", "$"),
     "RFC 4975 chunked message: 1-*/8 with '+', then 5-8/8 with '$'"),
    ("endline-other-tid-in-body", "valid", "one", 1,
     send(b"first\r\n-------zzzz9999$\r\nlast"),
     "an end-line with another transaction id inside the body is body data"),
    ("dashes-in-body", "valid", "one", 1,
     send(b"-------\r\n--------a786hjs2$\r\n-------a786hjs2\r\n-------a786hjs2$x\r\n-------a786hjs2x$\r\n"
          b"-------a786hjs2$\n-------a786hjs2%\r\nend"),
     "dash runs, the tid without flag, with junk after the flag, a longer tid, bare LF after the flag"),
    ("tid-prefix-in-body", "valid", "one", 1,
     send(b"x\r\n-------a786hjs2+more\r\n", tid="a786hjs2"),
     "'+' is an ident char: -------<tid>+more is not this end-line"),
    ("empty-body", "valid", "one", 1, send(b"", br="1-0/0"), "Content-Type, empty line, empty data, CRLF, end-line"),
    ("send-no-body", "valid", "one", 1,
     msg(["MSRP abcd1234 SEND", "To-Path: " + TO, "From-Path: " + FROM, "Message-ID: m1234567",
          "Byte-Range: 1-0/0"], None, "abcd1234"),
     "a SEND without content-stuff (used to open a connection)"),
    ("unknown-method", "valid", "one", 1,
     msg(["MSRP abcd1234 NICKNAME", "To-Path: " + TO, "From-Path: " + FROM, "Use-Nickname: \"Bob\""],
         None, "abcd1234"),
     "other-method = 1*UPALPHA is preserved"),
    ("ext-and-mime-headers", "valid", "one", 1,
     send(b"<p>hi</p>", extra=["Success-Report: yes", "Failure-Report: partial", "X-Extension: v\u00e9rt\u00e9 \t ok",
                                "Content-ID: <x@y>", "Content-Disposition: inline"],
          ct="text/html; charset=UTF-8"),
     "reports, an extension header with UTF-8 and a tab, Other-Mime headers before Content-Type"),
    ("binary-body", "valid", "one", 1, send(bytes(range(256)) + b"\x00\r\n\r\n\x00"),
     "every byte value, NULs and CRLFs in the body"),
    ("abort-flag", "valid", "one", 1, send(b"partial da", br="1-*/100", flag="#"), "'#': the sender abandons the message"),
    ("more-flag-unknown-total", "valid", "one", 1, send(b"0123456789", br="1-10/*", flag="+"), "total '*'"),
    ("ipv6-multihop-path", "valid", "one", 1,
     msg(["MSRP ipv6abcd SEND",
          "To-Path: msrps://relay.example.net:2855/r1;tcp msrp://[2001:db8::1]:8888/s2;tcp;x=y",
          "From-Path: msrp://user@[::ffff:192.0.2.1]/s1;tcp", "Message-ID: abcd", "Content-Type: text/plain"],
         "hi", "ipv6abcd"),
     "two-hop To-Path, IPv6 and IPv4-mapped hosts, userinfo, no port, a URI parameter"),
    ("response-no-comment", "valid", "one", 1,
     msg(["MSRP a786hjs2 481", "To-Path: " + FROM, "From-Path: " + TO]),
     "response without comment"),
    ("three-messages", "valid", "stream", 3, send() + OK + REPORT, "SEND, 200, REPORT back to back"),

    ("missing-to-path", "invalid", "one", 0,
     msg(["MSRP a786hjs2 SEND", "From-Path: " + FROM, "Message-ID: 87652491", "Content-Type: text/plain"], "x"),
     "To-Path must be the first header"),
    ("paths-swapped", "invalid", "one", 0,
     msg(["MSRP a786hjs2 SEND", "From-Path: " + FROM, "To-Path: " + TO, "Message-ID: 87652491",
          "Content-Type: text/plain"], "x"),
     "From-Path before To-Path"),
    ("no-headers", "invalid", "one", 0, msg(["MSRP a786hjs2 200 OK"]), "a response without To-Path/From-Path"),
    ("byte-range-zero-start", "invalid", "one", 0, send(b"abc", br="0-3/3"), "byte numbers are 1-based"),
    ("byte-range-past-total", "invalid", "one", 0, send(b"abc", br="1-10/5"), "end beyond total"),
    ("byte-range-letters", "invalid", "one", 0, send(b"abc", br="a-3/3"), "start not 1*DIGIT"),
    ("byte-range-no-total", "invalid", "one", 0, send(b"abc", br="1-3"), "missing /total"),
    ("byte-range-backwards", "invalid", "one", 0, send(b"abc", br="5-3/10"), "end before start"),
    ("byte-range-overflow", "invalid", "one", 0, send(b"abc", br="1-3/99999999999999999999999"), "total overflows"),
    ("tid-illegal-chars", "invalid", "one", 0, send(tid="ab_c!123"), "'_' and '!' are not ident chars"),
    ("tid-too-short", "invalid", "one", 0, send(tid="abc"), "ident is 4 to 32 chars"),
    ("tid-too-long", "invalid", "one", 0, send(tid="a" * 33), "ident is 4 to 32 chars"),
    ("header-without-colon", "invalid", "one", 0, send(extra=["X-Broken value"]), "header line without ':'"),
    ("header-no-space", "invalid", "one", 0,
     send().replace(b"Message-ID: ", b"Message-ID:"), "\": \" after the header name"),
    ("nul-in-header", "invalid", "one", 0, send(extra=["X-Nul: a\x00b"]), "NUL in a header value"),
    ("nul-in-start-line", "invalid", "one", 0, send().replace(b"SEND", b"SE\x00D", 1), "NUL in the method"),
    ("lowercase-method", "invalid", "one", 0, send().replace(b" SEND\r\n", b" send\r\n", 1), "method is UPALPHA"),
    ("bad-prefix", "invalid", "one", 0, send().replace(b"MSRP ", b"MSRQ ", 1), "start line must begin MSRP"),
    ("two-digit-status", "invalid", "one", 0, OK.replace(b" 200 OK", b" 20 OK"), "status code is 3 digits"),
    ("bare-lf", "invalid", "one", 0, send().replace(b"\r\nFrom-Path", b"\nFrom-Path"), "lines end in CRLF"),
    ("truncated", "invalid", "one", 0, send()[:-20], "no end-line"),
    ("endline-without-crlf", "invalid", "one", 0, send()[:-2], "end-line lacks its CRLF"),
    ("endline-other-tid", "invalid", "one", 0, OK.replace(b"-------a786hjs2$", b"-------zzzz9999$"),
     "a header section ended by another transaction's end-line"),
    ("data-after-endline", "invalid", "one", 0, send() + b"garbage", "one message per file"),
    ("content-type-not-last", "invalid", "one", 0,
     send().replace(b"Content-Type: text/plain\r\n", b"Content-Type: text/plain\r\nX-After: 1\r\n"),
     "Content-Type must be the last header before the body"),
    ("body-without-content-type", "invalid", "one", 0,
     msg(["MSRP a786hjs2 SEND", "To-Path: " + TO, "From-Path: " + FROM, "Message-ID: 87652491"], "x"),
     "data needs Content-Type"),
    ("response-with-body", "invalid", "one", 0,
     msg(["MSRP a786hjs2 200 OK", "To-Path: " + FROM, "From-Path: " + TO, "Content-Type: text/plain"], "x"),
     "responses carry no body"),
    ("send-without-message-id", "invalid", "one", 0, send(mid=None), "SEND needs Message-ID"),
    ("report-without-status", "invalid", "one", 0, REPORT.replace(b"Status: 000 200 OK\r\n", b""),
     "REPORT needs Status"),
    ("status-no-namespace", "invalid", "one", 0, REPORT.replace(b"Status: 000 200 OK", b"Status: 200 OK"),
     "Status is <namespace> <code> [reason]"),
    ("success-report-maybe", "invalid", "one", 0, send(extra=["Success-Report: maybe"]), "yes or no"),
    ("duplicate-message-id", "invalid", "one", 0, send(extra=["Message-ID: 87652491"]), "Message-ID twice"),
    ("uri-wrong-scheme", "invalid", "one", 0, send().replace(TO.encode(), b"http://biloxi.example.com/x;tcp"),
     "To-Path URI is not msrp: or msrps:"),
    ("uri-no-transport", "invalid", "one", 0,
     send().replace(TO.encode(), b"msrp://biloxi.example.com:12763/kjhd37s2s20w2a"), "MSRP URI needs ;transport"),
    ("uri-bad-port", "invalid", "one", 0,
     send().replace(TO.encode(), b"msrp://biloxi.example.com:99999/k;tcp"), "port above 65535"),
    ("uri-bad-ipv6", "invalid", "one", 0,
     send().replace(TO.encode(), b"msrp://[2001:db8:::1]:2855/k;tcp"), "':::' is not IPv6 (RFC 5118 4.10)"),
    ("path-double-space", "invalid", "one", 0,
     send().replace(TO.encode(), (TO + "  " + TO).encode()), "path URIs separated by one space"),
    ("bad-content-type", "invalid", "one", 0, send(ct="textplain"), "media type needs type/subtype"),
    ("stream-garbage-between", "invalid", "stream", 1, send() + b"\r\n" + OK,
     "nothing may sit between messages"),
    ("stream-truncated-second", "invalid", "stream", 1, send() + OK[:30], "stream ends inside a message"),
]


def main():
    rows = ["# file\texpect\tmode\tmessages\twhy"]
    for name, expect, mode, count, data, why in CASES:
        fname = name + ".msrp"
        with open(os.path.join(HERE, fname), "wb") as f:
            f.write(data)
        rows.append("\t".join([fname, expect, mode, str(count), why]))
    with open(os.path.join(HERE, "MANIFEST.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
