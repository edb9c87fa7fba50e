// The text of a connection kit's example files, with {{PLACEHOLDERS}} that
// connection_kit.cc fills in: {{THING}}, {{HOST}}, {{TLS_PORT}}, {{WS_PORT}},
// {{HTTP_API}}, {{TOPIC}}, {{PACKAGE}}. Internal to devices/.
#pragma once

namespace tributary::devices::kit_templates {

extern const char* const kPublishSh;
extern const char* const kDeviceJs;
extern const char* const kPackageJson;
extern const char* const kReadme;

}  // namespace tributary::devices::kit_templates
