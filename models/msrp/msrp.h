#pragma once
// The MSRP wire core (RFC 4975): URIs, message parsing, stream framing,
// builders, chunking and reassembly. See models/msrp/README.md.
#include "msrp/builder.h"
#include "msrp/chunking.h"
#include "msrp/message.h"
#include "msrp/stream.h"
#include "msrp/uri.h"
