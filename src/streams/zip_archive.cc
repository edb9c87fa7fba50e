#include "streams/zip_archive.h"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "base/deflate.h"
#include "streams/gzip.h"

namespace tributary::streams {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr size_t kLocalHeaderSize = 30;    // without the name and extra field
constexpr size_t kCentralHeaderSize = 46;  // without the name, extra field and comment
constexpr size_t kEndSize = 22;            // without the comment
constexpr uint16_t kVersionNeeded = 20;    // 2.0: deflate
constexpr uint16_t kMadeByUnix = (3 << 8) | kVersionNeeded;
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflated = 8;
constexpr uint16_t kFlagEncrypted = 1;

void Append16(std::string* out, uint16_t v) {
  out->push_back(static_cast<char>(v & 0xff));
  out->push_back(static_cast<char>(v >> 8));
}

void Append32(std::string* out, uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8)
    out->push_back(static_cast<char>((v >> shift) & 0xff));
}

uint16_t Read16(std::string_view in, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(in[at]) | static_cast<uint8_t>(in[at + 1])
                                                                  << 8);
}

uint32_t Read32(std::string_view in, size_t at) {
  return static_cast<uint32_t>(Read16(in, at)) | static_cast<uint32_t>(Read16(in, at + 2)) << 16;
}

// MS-DOS time and date (local to no zone: UTC here), as ZIP headers hold them.
struct DosTime {
  uint16_t time = 0;
  uint16_t date = (1 << 5) | 1;  // 1980-01-01
};

DosTime DosTimeOf(int64_t time_ms) {
  std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm tm{};
  DosTime dos;
  if (time_ms < 0 || gmtime_r(&seconds, &tm) == nullptr || tm.tm_year < 80 || tm.tm_year > 207) {
    return dos;
  }
  dos.time = static_cast<uint16_t>(tm.tm_hour << 11 | tm.tm_min << 5 | tm.tm_sec / 2);
  dos.date = static_cast<uint16_t>((tm.tm_year - 80) << 9 | (tm.tm_mon + 1) << 5 | tm.tm_mday);
  return dos;
}

// The end of central directory record: the last signature whose comment reaches the end.
Result<size_t> FindEnd(std::string_view data) {
  if (data.size() < kEndSize) {
    return DataLoss(fmt::format("zip: {} bytes is too short for an archive", data.size()));
  }
  const size_t lowest = data.size() - std::min(data.size(), kEndSize + 0xffff);
  for (size_t at = data.size() - kEndSize + 1; at-- > lowest;) {
    if (Read32(data, at) == kEndSignature && at + kEndSize + Read16(data, at + 20) == data.size()) {
      return at;
    }
  }
  return DataLoss("zip: no end of central directory record (not a ZIP archive, or cut short)");
}

}  // namespace

Result<std::string> ZipOneEntry(std::string_view data, std::string_view entry_name,
                                int64_t time_ms) {
  if (data.size() >= 0xffffffffu) {
    return InvalidArgument(
        fmt::format("zip: {} bytes need Zip64, which is not written", data.size()));
  }
  if (entry_name.empty() || entry_name.size() > 0xffff) {
    return InvalidArgument("zip: an entry's name must be 1..65535 bytes");
  }
  TRY_ASSIGN(std::string deflated, RawDeflateCompress(data));
  // The central directory's offset is the last 32-bit field to fill.
  if (kLocalHeaderSize + entry_name.size() + deflated.size() >= 0xffffffffu) {
    return InvalidArgument("zip: the archive needs Zip64, which is not written");
  }
  const uint32_t crc = Crc32(data);
  const DosTime dos = DosTimeOf(time_ms);
  // The fields a local and a central header share, from "version needed" on.
  auto common = [&](std::string* out) {
    Append16(out, kVersionNeeded);
    Append16(out, 0);  // flags
    Append16(out, kMethodDeflated);
    Append16(out, dos.time);
    Append16(out, dos.date);
    Append32(out, crc);
    Append32(out, static_cast<uint32_t>(deflated.size()));
    Append32(out, static_cast<uint32_t>(data.size()));
    Append16(out, static_cast<uint16_t>(entry_name.size()));
    Append16(out, 0);  // extra field length
  };
  std::string out;
  out.reserve(kLocalHeaderSize + kCentralHeaderSize + kEndSize + 2 * entry_name.size() +
              deflated.size());
  Append32(&out, kLocalHeaderSignature);
  common(&out);
  out.append(entry_name);
  out.append(deflated);
  const size_t central_at = out.size();
  Append32(&out, kCentralHeaderSignature);
  Append16(&out, kMadeByUnix);
  common(&out);
  Append16(&out, 0);               // comment length
  Append16(&out, 0);               // disk number
  Append16(&out, 0);               // internal attributes
  Append32(&out, 0100644u << 16);  // external attributes: a regular file, rw-r--r--
  Append32(&out, 0);               // the local header's offset
  out.append(entry_name);
  const size_t central_size = out.size() - central_at;
  Append32(&out, kEndSignature);
  Append16(&out, 0);  // this disk
  Append16(&out, 0);  // the central directory's disk
  Append16(&out, 1);  // entries on this disk
  Append16(&out, 1);  // entries
  Append32(&out, static_cast<uint32_t>(central_size));
  Append32(&out, static_cast<uint32_t>(central_at));
  Append16(&out, 0);  // comment length
  return out;
}

Result<std::string> ZipExtract(std::string_view data, size_t max_output) {
  TRY_ASSIGN(size_t end, FindEnd(data));
  const uint16_t entries = Read16(data, end + 10);
  const uint32_t central_size = Read32(data, end + 12);
  const uint32_t central_at = Read32(data, end + 16);
  if (Read16(data, end + 4) != 0 || Read16(data, end + 6) != 0 ||
      Read16(data, end + 8) != entries) {
    return Unimplemented("zip: archives split over several disks are not read");
  }
  if (entries == 0xffff || central_size == 0xffffffffu || central_at == 0xffffffffu) {
    return Unimplemented("zip: Zip64 archives are not read");
  }
  if (size_t{central_at} + central_size > end) {
    return DataLoss(fmt::format(
        "zip: the central directory (byte {}, {} bytes) runs past the end record at byte {}",
        central_at, central_size, end));
  }
  std::string out;
  size_t at = central_at;
  for (uint16_t i = 0; i < entries; ++i) {
    if (at + kCentralHeaderSize > end || Read32(data, at) != kCentralHeaderSignature) {
      return DataLoss(fmt::format("zip: entry {} of {}: no central directory header at byte {}",
                                  i + 1, entries, at));
    }
    const uint16_t flags = Read16(data, at + 8);
    const uint16_t method = Read16(data, at + 10);
    const uint32_t crc = Read32(data, at + 16);
    const uint32_t compressed = Read32(data, at + 20);
    const uint32_t size = Read32(data, at + 24);
    const size_t name_length = Read16(data, at + 28);
    const size_t rest = name_length + Read16(data, at + 30) + Read16(data, at + 32);
    const uint32_t local_at = Read32(data, at + 42);
    if (at + kCentralHeaderSize + rest > end) {
      return DataLoss(fmt::format("zip: entry {} of {}: its central header at byte {} is cut short",
                                  i + 1, entries, at));
    }
    const std::string name(data.substr(at + kCentralHeaderSize, name_length));
    at += kCentralHeaderSize + rest;
    if (compressed == 0xffffffffu || size == 0xffffffffu || local_at == 0xffffffffu) {
      return Unimplemented(fmt::format("zip: entry '{}' is Zip64, which is not read", name));
    }
    if (name.ends_with('/') && size == 0) continue;  // a directory
    if (flags & kFlagEncrypted) {
      return Unimplemented(fmt::format("zip: entry '{}' is encrypted", name));
    }
    if (method != kMethodStored && method != kMethodDeflated) {
      return Unimplemented(fmt::format(
          "zip: entry '{}' uses compression method {} (only stored and deflated are read)", name,
          method));
    }
    if (size_t{local_at} + kLocalHeaderSize > central_at ||
        Read32(data, local_at) != kLocalHeaderSignature) {
      return DataLoss(
          fmt::format("zip: entry '{}': no local file header at byte {}", name, local_at));
    }
    const size_t data_at = size_t{local_at} + kLocalHeaderSize + Read16(data, local_at + 26) +
                           Read16(data, local_at + 28);
    if (data_at + compressed > central_at) {
      return DataLoss(
          fmt::format("zip: entry '{}': its {} bytes at byte {} run into the central directory",
                      name, compressed, data_at));
    }
    if (size > max_output - out.size()) {
      return ResourceExhausted(fmt::format("zip: the data inflates past {} bytes", max_output));
    }
    const size_t start = out.size();
    std::string_view stored = data.substr(data_at, compressed);
    if (method == kMethodStored) {
      out.append(stored);
    } else {
      TRY_ASSIGN(size_t used,
                 InflateOne(stored, -15, max_output, &out, fmt::format("zip: entry '{}'", name)));
      if (used != stored.size()) {
        return DataLoss(
            fmt::format("zip: entry '{}': its deflate data ends {} bytes before its size", name,
                        stored.size() - used));
      }
    }
    std::string_view got = std::string_view(out).substr(start);
    if (got.size() != size) {
      return DataLoss(fmt::format("zip: entry '{}' holds {} bytes, its header says {}", name,
                                  got.size(), size));
    }
    if (Crc32(got) != crc) {
      return DataLoss(
          fmt::format("zip: entry '{}': CRC-32 {:08x} does not match its header's {:08x}", name,
                      Crc32(got), crc));
    }
  }
  return out;
}

}  // namespace tributary::streams
