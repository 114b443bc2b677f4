#include "broker/workers/jsonl_file_sink.hpp"

#include "broker/workers/audit_stream_format.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace jit::broker {
namespace {

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

std::filesystem::path rotated_name(const std::filesystem::path& path, int index) {
  return path.string() + "." + std::to_string(index);
}

// fsync of the folder, so renames and a new file's entry are durable.
bool sync_folder(const std::filesystem::path& folder) {
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return false;
  const bool ok = ::fsync(dir) == 0;
  ::close(dir);
  return ok;
}

}  // namespace

JsonlFileSink::JsonlFileSink(config::FileSinkSettings settings)
    : settings_(std::move(settings)), position_key_("file:" + settings_.path.string()) {}

JsonlFileSink::~JsonlFileSink() { close(); }

void JsonlFileSink::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::string JsonlFileSink::open_file() {
  fd_ = ::open(settings_.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return errno_text("cannot open " + settings_.path.string());
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const auto error = errno_text("cannot stat " + settings_.path.string());
    close();
    return error;
  }
  size_ = static_cast<std::uint64_t>(info.st_size);
  if (!sync_folder(settings_.path.parent_path())) {
    const auto error = errno_text("cannot sync the folder of " + settings_.path.string());
    close();
    return error;
  }
  return {};
}

std::string JsonlFileSink::rotate() {
  if (::fsync(fd_) != 0) return errno_text("cannot fsync " + settings_.path.string());
  close();
  for (int i = settings_.keep - 1; i >= 1; --i) {
    const auto from = rotated_name(settings_.path, i);
    if (::rename(from.c_str(), rotated_name(settings_.path, i + 1).c_str()) != 0 &&
        errno != ENOENT) {
      return errno_text("cannot rotate " + from.string());
    }
  }
  if (::rename(settings_.path.c_str(), rotated_name(settings_.path, 1).c_str()) != 0) {
    return errno_text("cannot rotate " + settings_.path.string());
  }
  return open_file();  // syncs the folder, so the renames are durable too
}

std::string JsonlFileSink::append(const std::string& line) {
  std::size_t written = 0;
  while (written < line.size()) {
    const auto n = ::write(fd_, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_text("cannot write " + settings_.path.string());
    }
    written += static_cast<std::size_t>(n);
  }
  size_ += line.size();
  return {};
}

void JsonlFileSink::deliver(const std::vector<AuditRecord>& records,
                            std::function<void(SinkOutcome)> done) {
  std::string error;
  if (fd_ < 0) error = open_file();
  std::uint64_t size_before = size_;  // of the open file, before this batch's lines in it
  std::int64_t durable_through = 0;   // records in files already fsync'd and rotated away
  std::int64_t last_appended = 0;
  for (const auto& record : records) {
    if (!error.empty()) break;
    const std::string line = audit_json_line(record) + "\n";
    if (size_ > 0 && size_ + line.size() > settings_.max_bytes) {
      error = rotate();
      if (!error.empty()) break;
      durable_through = last_appended;
      size_before = size_;
    }
    error = append(line);
    if (error.empty()) last_appended = record.seq;
  }
  if (error.empty() && ::fsync(fd_) != 0) {
    error = errno_text("cannot fsync " + settings_.path.string());
  }
  if (!error.empty()) {
    // Cut this batch's lines off the open file again, so that the retry writes whole lines once.
    if (fd_ >= 0 && ::ftruncate(fd_, static_cast<off_t>(size_before)) == 0) size_ = size_before;
    close();
    return done(SinkOutcome::failed("file_io", error, durable_through));
  }
  done({});
}

}  // namespace jit::broker
