#include "broker/auth/data_key.hpp"

#include "approvals/secret_box.hpp"
#include "broker/store/store_error.hpp"
#include "ca/atomic_file.hpp"
#include "config/secret_file.hpp"

#include <sys/stat.h>

namespace jit::broker {

ca::Bytes load_or_create_data_key(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    auto key = approvals::generate_data_key();
    if (!key) throw StoreOpenError("cannot generate the data key");
    // Exclusive: of two processes starting at once on a fresh folder, one creates the key and
    // the other reads that one, so both seal and open TOTP secrets with the same key.
    auto created = ca::create_file_exclusively(file, *key, 0600);
    if (!created) throw StoreOpenError("cannot write the data key " + file.string());
    if (*created) return std::move(*key);
    ca::wipe(*key);
  }
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0)
    throw StoreOpenError("cannot read the data key " + file.string());
  if (auto exposed = config::secret_file_exposure(file, "data key")) throw StoreOpenError(*exposed);
  auto key = ca::read_file(file, 4096);
  if (!key) throw StoreOpenError("cannot read the data key " + file.string());
  if (key->size() != approvals::kDataKeyBytes) {
    throw StoreOpenError("data key " + file.string() + " is not " +
                         std::to_string(approvals::kDataKeyBytes) + " bytes");
  }
  return std::move(*key);
}

}  // namespace jit::broker
