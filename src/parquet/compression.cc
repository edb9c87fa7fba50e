#include "parquet/compression.h"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "base/deflate.h"

namespace tributary::parquet {
namespace {

constexpr int kZstdLevel = 3;

// base/deflate.h's, as the streams' gzip objects (BENCHMARKS.md, "Compressing a stream's
// objects"; parquet_bench's *_gzip).
Status GzipCompress(std::string_view in, std::string* out) {
  TRY_ASSIGN(*out, ::tributary::GzipCompress(in));
  return Status::Ok();
}

Status GzipDecompress(std::string_view in, size_t size, std::string* out) {
  z_stream zs;
  std::memset(&zs, 0, sizeof(zs));
  // 15 + 32: accept a gzip or a zlib header.
  if (inflateInit2(&zs, 15 + 32) != Z_OK) return Internal("gzip: inflateInit2 failed");
  // Grow the output as data arrives rather than trusting `size` up front, so a
  // corrupt header cannot make us allocate gigabytes for a few input bytes.
  out->resize(std::max<size_t>(1, std::min<size_t>(size, in.size() * 8 + 4096)));
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + zs.total_out);
    zs.avail_out = static_cast<uInt>(out->size() - zs.total_out);
    rc = inflate(&zs, Z_FINISH);
    if (rc == Z_STREAM_END) break;
    if ((rc == Z_BUF_ERROR || rc == Z_OK) && zs.avail_out == 0 && out->size() < size) {
      out->resize(std::min(size, out->size() * 2));
      continue;
    }
    break;
  }
  size_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END) {
    return DataLoss("gzip: stream is corrupt or larger than the expected " + std::to_string(size) +
                    " bytes (zlib " + std::to_string(rc) + ")");
  }
  if (produced != size) {
    return DataLoss("gzip: decompressed to " + std::to_string(produced) + " bytes, expected " +
                    std::to_string(size));
  }
  out->resize(size);
  return Status::Ok();
}

}  // namespace

Result<Codec> ParseCodec(std::string_view name) {
  if (name == "uncompressed" || name == "none") return Codec::kUncompressed;
  if (name == "snappy") return Codec::kSnappy;
  if (name == "gzip") return Codec::kGzip;
  if (name == "zstd") return Codec::kZstd;
  return InvalidArgument("unknown codec '" + std::string(name) +
                         "' (expected uncompressed, snappy, gzip or zstd)");
}

std::string_view CodecName(Codec codec) {
  switch (codec) {
    case Codec::kUncompressed:
      return "uncompressed";
    case Codec::kSnappy:
      return "snappy";
    case Codec::kGzip:
      return "gzip";
    case Codec::kZstd:
      return "zstd";
    case Codec::kLzo:
      return "lzo";
    case Codec::kBrotli:
      return "brotli";
    case Codec::kLz4:
      return "lz4";
    case Codec::kLz4Raw:
      return "lz4_raw";
  }
  return "unknown";
}

Status Compress(Codec codec, std::string_view in, std::string* out) {
  out->clear();
  switch (codec) {
    case Codec::kUncompressed:
      out->assign(in);
      return Status::Ok();
    case Codec::kSnappy:
      snappy::Compress(in.data(), in.size(), out);
      return Status::Ok();
    case Codec::kGzip:
      return GzipCompress(in, out);
    case Codec::kZstd: {
      out->resize(ZSTD_compressBound(in.size()));
      size_t n = ZSTD_compress(out->data(), out->size(), in.data(), in.size(), kZstdLevel);
      if (ZSTD_isError(n)) return Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
      out->resize(n);
      return Status::Ok();
    }
    default:
      return Unimplemented("compression codec " + std::string(CodecName(codec)) +
                           " is not supported");
  }
}

Status Decompress(Codec codec, std::string_view in, size_t size, std::string* out) {
  switch (codec) {
    case Codec::kUncompressed:
      if (in.size() != size) {
        return DataLoss("uncompressed page holds " + std::to_string(in.size()) +
                        " bytes, header says " + std::to_string(size));
      }
      out->assign(in);
      return Status::Ok();
    case Codec::kSnappy: {
      size_t n = 0;
      if (!snappy::GetUncompressedLength(in.data(), in.size(), &n)) {
        return DataLoss("snappy: cannot read the uncompressed length");
      }
      if (n != size) {
        return DataLoss("snappy: block decompresses to " + std::to_string(n) +
                        " bytes, header says " + std::to_string(size));
      }
      out->resize(size);
      if (!snappy::RawUncompress(in.data(), in.size(), out->data())) {
        return DataLoss("snappy: corrupt block");
      }
      return Status::Ok();
    }
    case Codec::kGzip:
      return GzipDecompress(in, size, out);
    case Codec::kZstd: {
      unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
      if (declared == ZSTD_CONTENTSIZE_ERROR) return DataLoss("zstd: not a zstd frame");
      if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != size) {
        return DataLoss("zstd: frame holds " + std::to_string(declared) + " bytes, header says " +
                        std::to_string(size));
      }
      out->resize(size);
      size_t n = ZSTD_decompress(out->data(), size, in.data(), in.size());
      if (ZSTD_isError(n)) return DataLoss(std::string("zstd: ") + ZSTD_getErrorName(n));
      if (n != size) {
        return DataLoss("zstd: decompressed to " + std::to_string(n) + " bytes, expected " +
                        std::to_string(size));
      }
      return Status::Ok();
    }
    default:
      return Unimplemented("compression codec " + std::string(CodecName(codec)) +
                           " is not supported");
  }
}

}  // namespace tributary::parquet
