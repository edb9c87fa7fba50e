// Base64 (RFC 4648, standard alphabet, with padding): the error action's original
// payload, Firehose Direct PUT's `Data`, and the rule function encode(v, 'base64'). And the
// URL-safe alphabet without padding (RFC 4648 section 5) of JWTs and NATS NKey signatures.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace tributary {

std::string Base64Encode(std::string_view bytes);
// "-" and "_" for "+" and "/", no "=" padding.
std::string Base64UrlEncode(std::string_view bytes);
// Rejects characters outside the alphabet, bad padding and lengths that are not a
// multiple of 4; the error names the offset of the first bad character.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace tributary
