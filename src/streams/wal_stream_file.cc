#include "streams/wal_stream_file.h"

#include <fmt/format.h>

#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/deflate.h"
#include "base/files.h"

namespace tributary::streams {

namespace {

constexpr char kCrcField[] = "crc32";

// The CRC-32 of the file's other fields, as `j.dump()` writes them (keys in order); a
// number, as the WAL checkpoint keeps its own.
uint32_t CrcOf(nlohmann::json j) {
  j.erase(kCrcField);
  return Crc32(j.dump());
}

}  // namespace

Status SaveWalStreamFile(const std::string& dir, const WalStreamFile& file) {
  TRY(MakeDirs(dir));
  nlohmann::json j = {{"config", ToJson(file.config)},
                      {"epoch", fmt::format("{:016x}", file.epoch)},
                      {"created_ms", file.created_ms}};
  j[kCrcField] = CrcOf(j);
  return WriteFileAtomic(dir + "/" + kWalStreamFileName, j.dump() + "\n")
      .WithContext(
          fmt::format("saving the configuration of stream '{}' beside its WAL", file.config.name));
}

Result<WalStreamFile> LoadWalStreamFile(const std::string& dir) {
  const std::string path = dir + "/" + kWalStreamFileName;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFound(fmt::format("{} has no {}: no configuration to deliver its records by", dir,
                                kWalStreamFileName));
  }
  TRY_ASSIGN(std::string text, ReadFile(path));
  WalStreamFile out;
  try {
    auto j = nlohmann::json::parse(text);
    // A damaged file must not deliver by another configuration (a bucket one letter off):
    // refused whole. One written before the CRC was kept has none, and is read as ever.
    if (j.contains(kCrcField)) {
      const uint64_t saved = j.at(kCrcField).get<uint64_t>();
      if (const uint32_t computed = CrcOf(j); saved != computed) {
        return DataLoss(
            fmt::format("{}: CRC-32 {} of its fields does not match the {} saved with them: "
                        "the file is damaged",
                        path, computed, saved));
      }
    }
    auto config = StreamConfigFromJson(j.at("config"));
    if (!config.ok()) {
      return DataLoss(fmt::format("{}: config: {}", path, config.status().message()));
    }
    out.config = std::move(config).value();
    const std::string epoch = j.at("epoch").get<std::string>();
    auto [end, perr] = std::from_chars(epoch.data(), epoch.data() + epoch.size(), out.epoch, 16);
    if (epoch.size() != 16 || perr != std::errc() || end != epoch.data() + epoch.size()) {
      return DataLoss(fmt::format("{}: epoch '{}' is not 16 hex digits", path, epoch));
    }
    out.created_ms = j.at("created_ms").get<int64_t>();
  } catch (const std::exception& e) {
    return DataLoss(fmt::format("{} does not read: {}", path, e.what()));
  }
  if (Status valid = out.config.Validate(); !valid.ok()) {
    return DataLoss(fmt::format("{}: config is not valid: {}", path, valid.message()));
  }
  return out;
}

}  // namespace tributary::streams
