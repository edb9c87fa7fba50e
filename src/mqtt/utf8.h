// Validation of MQTT "UTF-8 Encoded Strings" (spec 1.5.4): well-formed UTF-8 as in
// RFC 3629 (no overlong forms, nothing above U+10FFFF), no surrogates
// U+D800..U+DFFF and no U+0000. Control characters and non-characters are allowed
// (the spec says SHOULD NOT, not MUST NOT). Pure function, thread-safe.
#pragma once

#include <string_view>

namespace tributary::mqtt {

bool IsValidMqttUtf8(std::string_view s);

}  // namespace tributary::mqtt
