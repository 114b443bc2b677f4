#include "broker/data_dir.hpp"

#include "broker/store/store_error.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace jit::broker {

void create_private_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw StoreOpenError("cannot create data folder " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (ec) throw StoreOpenError("cannot set mode 0700 on " + dir.string() + ": " + ec.message());
}

DataDirLock::DataDirLock(const std::filesystem::path& dir) {
  create_private_dir(dir);
  const auto lock_file = dir / "broker.lock";
  fd_ = ::open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    throw StoreOpenError("cannot open " + lock_file.string() + ": " + std::strerror(errno));
  }
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
    throw StoreOpenError("data folder " + dir.string() + " is in use by another jit-broker (lock " +
                         lock_file.string() + ")");
  }
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace jit::broker
