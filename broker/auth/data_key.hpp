// The broker's data key: 32 random bytes that seal users' TOTP secrets in the database, so a copy
// of the database alone does not give away second factors. Kept in its own file, mode 0600, made on
// first use.
#pragma once

#include "ca/bytes.hpp"

#include <filesystem>

namespace jit::broker {

// Reads the key, or creates it when the file does not exist. Throws StoreOpenError naming the file
// when it cannot be read or written, or is not exactly 32 bytes, or is readable by others.
ca::Bytes load_or_create_data_key(const std::filesystem::path& file);

}  // namespace jit::broker
