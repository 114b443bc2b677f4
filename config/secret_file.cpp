#include "config/secret_file.hpp"

#include <sys/stat.h>

namespace jit::config {

std::optional<std::string> secret_file_exposure(const std::filesystem::path& file,
                                                std::string_view what) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0 || (info.st_mode & 0077) == 0) return std::nullopt;
  return std::string(what) + " " + file.string() + " is readable by others; chmod 600 it";
}

std::optional<std::string> group_shared_key_exposure(const std::filesystem::path& file,
                                                     std::string_view what) {
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0 || (info.st_mode & 0007) == 0) return std::nullopt;
  return std::string(what) + " " + file.string() + " is readable by everyone; chmod o-rwx it";
}

}  // namespace jit::config
