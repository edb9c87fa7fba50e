#include "parquet/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tributary::parquet {
namespace {

std::string Errno() { return std::strerror(errno); }

class FileSink final : public Sink {
 public:
  FileSink(std::string path, std::string tmp, int fd)
      : path_(std::move(path)), tmp_(std::move(tmp)), fd_(fd) {}
  ~FileSink() override {
    if (fd_ >= 0) {
      ::close(fd_);
      ::unlink(tmp_.c_str());
    }
  }

  Status Append(std::string_view data) override {
    while (!data.empty()) {
      ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return IoError("write " + tmp_ + ": " + Errno());
      }
      data.remove_prefix(static_cast<size_t>(n));
      pos_ += static_cast<uint64_t>(n);
    }
    return Status::Ok();
  }

  Status Close() override {
    if (fd_ < 0) return FailedPrecondition("sink for " + path_ + " already closed");
    int fd = fd_;
    fd_ = -1;
    if (::fsync(fd) != 0) {
      ::close(fd);
      ::unlink(tmp_.c_str());
      return IoError("fsync " + tmp_ + ": " + Errno());
    }
    if (::close(fd) != 0) {
      ::unlink(tmp_.c_str());
      return IoError("close " + tmp_ + ": " + Errno());
    }
    if (::rename(tmp_.c_str(), path_.c_str()) != 0) {
      ::unlink(tmp_.c_str());
      return IoError("rename " + tmp_ + " to " + path_ + ": " + Errno());
    }
    return Status::Ok();
  }

  uint64_t position() const override { return pos_; }

 private:
  std::string path_, tmp_;
  int fd_;
  uint64_t pos_ = 0;
};

class StringSink final : public Sink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  Status Append(std::string_view data) override {
    out_->append(data);
    return Status::Ok();
  }
  Status Close() override { return Status::Ok(); }
  uint64_t position() const override { return out_->size(); }

 private:
  std::string* out_;
};

class FileSource final : public Source {
 public:
  FileSource(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~FileSource() override { ::close(fd_); }
  uint64_t size() const override { return size_; }
  Status ReadAt(uint64_t offset, size_t len, std::string* out) override {
    if (offset > size_ || len > size_ - offset) {
      return DataLoss(path_ + ": read of " + std::to_string(len) + " bytes at offset " +
                      std::to_string(offset) + " is beyond the file size " + std::to_string(size_));
    }
    out->resize(len);
    size_t done = 0;
    while (done < len) {
      ssize_t n = ::pread(fd_, out->data() + done, len - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("read " + path_ + ": " + Errno());
      if (n == 0)
        return DataLoss(path_ + ": file shrank while reading at " + std::to_string(offset + done));
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

 private:
  std::string path_;
  int fd_;
  uint64_t size_;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::string_view data) : data_(data) {}
  uint64_t size() const override { return data_.size(); }
  Status ReadAt(uint64_t offset, size_t len, std::string* out) override {
    if (offset > data_.size() || len > data_.size() - offset) {
      return DataLoss("read of " + std::to_string(len) + " bytes at offset " +
                      std::to_string(offset) + " is beyond the size " +
                      std::to_string(data_.size()));
    }
    out->assign(data_.substr(offset, len));
    return Status::Ok();
  }

 private:
  std::string_view data_;
};

}  // namespace

Result<std::unique_ptr<Sink>> OpenFileSink(const std::string& path) {
  std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create " + tmp + ": " + Errno());
  return std::unique_ptr<Sink>(new FileSink(path, tmp, fd));
}

std::unique_ptr<Sink> MakeStringSink(std::string* out) { return std::make_unique<StringSink>(out); }

Result<std::unique_ptr<Source>> OpenFileSource(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError("open " + path + ": " + Errno());
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return IoError("stat " + path + ": " + Errno());
  }
  return std::unique_ptr<Source>(new FileSource(path, fd, static_cast<uint64_t>(st.st_size)));
}

std::unique_ptr<Source> MakeMemorySource(std::string_view data) {
  return std::make_unique<MemorySource>(data);
}

}  // namespace tributary::parquet
