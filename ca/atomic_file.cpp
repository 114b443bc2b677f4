#include "ca/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace jit::ca {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  // Closes now so that a close error (possible on some file systems) is reported.
  bool close() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

bool write_all(int fd, ByteView content) {
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// Writes `content` with `mode` to a new temporary file in `folder`, named after `path`, and
// fsyncs and closes it; answers its name. Nothing is left behind on failure.
Result<std::string> write_temp_beside(const std::filesystem::path& folder,
                                      const std::filesystem::path& path, ByteView content,
                                      mode_t mode) {
  std::string temp_name = (folder / ("." + path.filename().string() + ".XXXXXX")).string();
  const int raw_fd = ::mkstemp(temp_name.data());
  if (raw_fd < 0) return CaErrc::io_failure;
  FileDescriptor fd(raw_fd);
  if (::fchmod(fd.get(), mode) != 0 || !write_all(fd.get(), content) || ::fsync(fd.get()) != 0 ||
      !fd.close()) {
    ::unlink(temp_name.c_str());
    return CaErrc::io_failure;
  }
  return temp_name;
}

// Makes a new directory entry in `folder` durable.
Result<void> sync_folder(const std::filesystem::path& folder) {
  FileDescriptor dir(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) return CaErrc::io_failure;
  return {};
}

std::filesystem::path folder_of(const std::filesystem::path& path) {
  const auto folder = path.parent_path();
  return folder.empty() ? std::filesystem::path(".") : folder;
}

}  // namespace

Result<void> write_file_atomically(const std::filesystem::path& path, ByteView content,
                                   mode_t mode) {
  const auto folder = folder_of(path);
  auto temp = write_temp_beside(folder, path, content, mode);
  if (!temp) return temp.error();
  if (::rename(temp->c_str(), path.c_str()) != 0) {
    ::unlink(temp->c_str());
    return CaErrc::io_failure;
  }
  return sync_folder(folder);
}

Result<bool> create_file_exclusively(const std::filesystem::path& path, ByteView content,
                                     mode_t mode) {
  const auto folder = folder_of(path);
  auto temp = write_temp_beside(folder, path, content, mode);
  if (!temp) return CaErrc::io_failure;
  // link(2), unlike rename(2), never replaces an existing file. The temporary name goes in every
  // case; only the link to `path` may stay.
  const int linked = ::link(temp->c_str(), path.c_str());
  const int link_errno = errno;
  ::unlink(temp->c_str());
  if (linked != 0) {
    if (link_errno == EEXIST) return false;
    return CaErrc::io_failure;
  }
  if (auto synced = sync_folder(folder); !synced) return CaErrc::io_failure;
  return true;
}

Result<Bytes> read_file(const std::filesystem::path& path, std::size_t max_bytes) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return CaErrc::key_unavailable;
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) return CaErrc::key_unavailable;
  if (static_cast<std::size_t>(info.st_size) > max_bytes) return CaErrc::malformed;
  Bytes content(static_cast<std::size_t>(info.st_size));
  std::size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::read(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return CaErrc::key_unavailable;
    done += static_cast<std::size_t>(n);
  }
  return content;
}

}  // namespace jit::ca
