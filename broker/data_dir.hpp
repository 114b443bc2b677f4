// The broker's data folder: created 0700 on first start, and locked for the life of the process so
// two brokers never share one database, key set or KRL.
#pragma once

#include <filesystem>

namespace jit::broker {

class DataDirLock {
 public:
  // Creates `dir` (mode 0700) if needed and takes an exclusive lock on dir/broker.lock. Throws
  // StoreOpenError naming the folder when it cannot, or when another broker holds it.
  explicit DataDirLock(const std::filesystem::path& dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  int fd_ = -1;
};

// Creates a folder (and parents) with mode 0700, or throws StoreOpenError naming it.
void create_private_dir(const std::filesystem::path& dir);

}  // namespace jit::broker
