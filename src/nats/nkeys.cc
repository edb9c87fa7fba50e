#include "nats/nkeys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace tributary::nats {
namespace {

constexpr uint8_t kSeedPrefix = 18;  // 'S'
constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

// CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection.
uint16_t Crc16(const uint8_t* data, size_t n) {
  uint16_t crc = 0;
  for (size_t i = 0; i < n; ++i) {
    crc ^= static_cast<uint16_t>(data[i]) << 8;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

std::string Base32Encode(const std::vector<uint8_t>& bytes) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t b : bytes) {
    buffer = (buffer << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kBase32[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kBase32[(buffer << (5 - bits)) & 31]);
  return out;
}

// Appends the bytes `text` (no padding) decodes to; false on a character outside the
// alphabet.
bool Base32Decode(std::string_view text, std::vector<uint8_t>* out) {
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= '2' && c <= '7') {
      v = c - '2' + 26;
    } else {
      return false;
    }
    buffer = (buffer << 5) | static_cast<uint32_t>(v);
    bits += 5;
    if (bits >= 8) {
      out->push_back(static_cast<uint8_t>(buffer >> (bits - 8)));
      bits -= 8;
    }
  }
  return true;
}

// `payload` followed by its CRC-16, little-endian, in base32.
std::string EncodeWithChecksum(std::vector<uint8_t> payload) {
  uint16_t crc = Crc16(payload.data(), payload.size());
  payload.push_back(static_cast<uint8_t>(crc & 0xff));
  payload.push_back(static_cast<uint8_t>(crc >> 8));
  return Base32Encode(payload);
}

bool KnownType(uint8_t t) {
  switch (static_cast<NKeyType>(t)) {
    case NKeyType::kAccount:
    case NKeyType::kCluster:
    case NKeyType::kServer:
    case NKeyType::kOperator:
    case NKeyType::kUser:
      return true;
  }
  return false;
}

struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Pkey PrivateKey(const uint8_t* seed) {
  Pkey key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed, 32));
  // Any 32 bytes are an Ed25519 private key: only an OpenSSL without Ed25519 fails here.
  if (!key) throw std::runtime_error("OpenSSL cannot make an Ed25519 key");
  return key;
}

}  // namespace

NKeyPair::NKeyPair(NKeyType type, const uint8_t* seed) : type_(type) {
  std::copy(seed, seed + 32, seed_.begin());
  Pkey key = PrivateKey(seed_.data());
  size_t n = public_key_.size();
  if (EVP_PKEY_get_raw_public_key(key.get(), public_key_.data(), &n) != 1 || n != 32) {
    throw std::runtime_error("OpenSSL cannot derive an Ed25519 public key");
  }
}

NKeyPair::~NKeyPair() { OPENSSL_cleanse(seed_.data(), seed_.size()); }

Result<NKeyPair> NKeyPair::FromSeed(std::string_view seed) {
  auto bad = [](std::string_view why) {
    return InvalidArgument("NKey seed " + std::string(why));
  };
  // Seeds are often read from files: a trailing newline or blank is not part of it.
  while (!seed.empty() && (seed.back() == '\n' || seed.back() == '\r' || seed.back() == ' ')) {
    seed.remove_suffix(1);
  }
  if (seed.size() != 58) {
    return bad("has " + std::to_string(seed.size()) + " characters, not 58 ('SU' and 56 more)");
  }
  std::vector<uint8_t> raw;
  raw.reserve(36);
  if (!Base32Decode(seed, &raw)) {
    return bad("holds a character outside base32's A-Z and 2-7");
  }
  if (raw.size() != 36) return bad("does not decode to 36 bytes");
  uint16_t crc = static_cast<uint16_t>(raw[34] | (raw[35] << 8));
  if (Crc16(raw.data(), 34) != crc) return bad("fails its checksum (mistyped or cut?)");
  if ((raw[0] >> 3) != kSeedPrefix) {
    return bad("does not start with 'S': is it a public key rather than a seed?");
  }
  // 5 bits of 'S', 5 bits of type, 6 zero bits (Seed() below).
  uint8_t type = static_cast<uint8_t>(((raw[0] & 7) << 2) | (raw[1] >> 6));
  if ((raw[1] & 63) != 0 || !KnownType(type)) return bad("names an unknown key type");
  NKeyPair pair(static_cast<NKeyType>(type), raw.data() + 2);
  OPENSSL_cleanse(raw.data(), raw.size());
  return pair;
}

NKeyPair NKeyPair::Generate(NKeyType type) {
  uint8_t seed[32];
  if (RAND_bytes(seed, sizeof seed) != 1) throw std::runtime_error("no entropy source");
  NKeyPair pair(type, seed);
  OPENSSL_cleanse(seed, sizeof seed);
  return pair;
}

std::string NKeyPair::PublicKey() const {
  std::vector<uint8_t> payload;
  payload.push_back(static_cast<uint8_t>(static_cast<uint8_t>(type_) << 3));  // 5 bits of type
  payload.insert(payload.end(), public_key_.begin(), public_key_.end());
  return EncodeWithChecksum(std::move(payload));
}

std::string NKeyPair::Seed() const {
  // Two prefix bytes: the 5 bits of 'S', the 5 bits of the type, then 6 zero bits.
  uint8_t t = static_cast<uint8_t>(static_cast<uint8_t>(type_) << 3);
  std::vector<uint8_t> payload;
  payload.push_back(static_cast<uint8_t>((kSeedPrefix << 3) | (t >> 5)));
  payload.push_back(static_cast<uint8_t>((t & 31) << 3));
  payload.insert(payload.end(), seed_.begin(), seed_.end());
  std::string text = EncodeWithChecksum(payload);
  OPENSSL_cleanse(payload.data(), payload.size());
  return text;
}

std::string NKeyPair::Sign(std::string_view data) const {
  Pkey key = PrivateKey(seed_.data());
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  size_t n = sig.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      n != 64) {
    throw std::runtime_error("OpenSSL failed to make an Ed25519 signature");
  }
  return sig;
}

}  // namespace tributary::nats
