// libFuzzer target: the SCTP packet parser and every chunk decoder on
// arbitrary bytes (checksum not required, so the fuzzer reaches the chunks).
#include "sctp/sctp-cookie.h"
#include "sctp/sctp-wire.h"

#include <cstddef>
#include <cstdint>

extern "C" int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace ns3::sctp;
    PacketView v;
    if (!ParsePacket(data, size, v, false).Ok())
    {
        return 0;
    }
    for (const auto& c : v.chunks)
    {
        DataChunk d;
        InitChunk in;
        InitChunk inPr;
        SackChunk s;
        ForwardTsnChunk f;
        IDataChunk id;
        IForwardTsnChunk iff;
        std::vector<ErrorCause> causes;
        const uint8_t* info = nullptr;
        size_t len = 0;
        uint32_t cum = 0;
        DecodeData(c, d);
        DecodeInit(c, in);
        DecodeInit(c, inPr, true); // with the Forward-TSN-Supported parameter known
        DecodeForwardTsn(c, f);
        DecodeIData(c, id);
        DecodeIForwardTsn(c, iff);
        DecodeSack(c, s);
        DecodeCauses(c, causes);
        DecodeHeartbeat(c, info, len);
        DecodeShutdown(c, cum);
        if (c.type == CHUNK_COOKIE_ECHO)
        {
            std::array<uint8_t, 32> key{};
            CookieState st;
            OpenCookie(c.value, c.valueLen, key, st);
        }
    }
    return 0;
}
