#include "expr/hash_functions.h"

#include <openssl/evp.h>

#include <string>

#include "base/hex.h"
#include "expr/conversions.h"

namespace tributary::expr {
namespace {

Value HexDigest(const EVP_MD* md, const Value& v) {
  auto text = ToText(v);
  if (!text) return Value();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(text->data(), text->size(), digest, &size, md, nullptr) != 1) return Value();
  return Value::String(HexEncode(digest, size));
}

}  // namespace

Value Md5(const Value* a, size_t, const Message&) { return HexDigest(EVP_md5(), a[0]); }
Value Sha1(const Value* a, size_t, const Message&) { return HexDigest(EVP_sha1(), a[0]); }
Value Sha224(const Value* a, size_t, const Message&) { return HexDigest(EVP_sha224(), a[0]); }
Value Sha256(const Value* a, size_t, const Message&) { return HexDigest(EVP_sha256(), a[0]); }
Value Sha384(const Value* a, size_t, const Message&) { return HexDigest(EVP_sha384(), a[0]); }
Value Sha512(const Value* a, size_t, const Message&) { return HexDigest(EVP_sha512(), a[0]); }

}  // namespace tributary::expr
