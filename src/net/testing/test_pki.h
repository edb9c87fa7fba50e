// Certificates for the TLS tests, made with the openssl command line in a directory: a
// CA (ca.crt, ca.key) and, for each name given, <name>.crt and <name>.key signed by it
// for IP 127.0.0.1 (P-256 keys, valid one day). Header-only; for tests.
#pragma once

#include <cstdlib>
#include <initializer_list>
#include <string>

#include "base/files.h"
#include "base/status.h"

namespace tributary::testing_support {

inline Status MakeTestPki(const std::string& dir, std::initializer_list<const char*> names) {
  auto sh = [](const std::string& cmd) -> Status {
    if (std::system((cmd + " >/dev/null 2>&1").c_str()) != 0) return Internal("failed: " + cmd);
    return Status::Ok();
  };
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
  TRY(sh("openssl req -x509" + ec + "-keyout " + dir + "/ca.key -out " + dir + "/ca.crt -days 1 -subj /CN=test-ca"));
  for (const char* name : names) {
    const std::string n = dir + "/" + name;
    TRY(sh("openssl req" + ec + "-keyout " + n + ".key -out " + n + ".csr -subj /CN=" + name));
    // Written directly: a shell redirect here would share sh's own ">/dev/null".
    TRY(WriteFileAtomic(n + ".ext", "subjectAltName=IP:127.0.0.1\n"));
    TRY(sh("openssl x509 -req -in " + n + ".csr -CA " + dir + "/ca.crt -CAkey " + dir + "/ca.key -CAcreateserial -out " +
           n + ".crt -days 1 -extfile " + n + ".ext"));
    TRY(sh("openssl verify -CAfile " + dir + "/ca.crt -verify_ip 127.0.0.1 " + n + ".crt"));
  }
  return Status::Ok();
}

}  // namespace tributary::testing_support
