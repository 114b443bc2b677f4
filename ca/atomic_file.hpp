// Writes a whole file or nothing: a temporary file in the same folder, fsync, rename over the
// target, then fsync of the folder. A reader (sshd reading RevokedKeys, nginx reading a CRL)
// therefore sees either the old content or the new, never a torn file.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"

#include <sys/types.h>
#include <filesystem>

namespace jit::ca {

// `mode` applies to the new file from its creation (0600 for keys, 0644 for public material).
[[nodiscard]] Result<void> write_file_atomically(const std::filesystem::path& path,
                                                 ByteView content, mode_t mode);

// Creates `path` with `content` only if no file of that name exists, whole or not at all: the
// content is written and synced under a temporary name, then hard-linked to `path`, which fails
// when another writer (another process starting at the same moment) got there first. Answers true
// when this call created the file, false when it already existed (then it was left untouched).
[[nodiscard]] Result<bool> create_file_exclusively(const std::filesystem::path& path,
                                                   ByteView content, mode_t mode);

// Reads a whole regular file of at most max_bytes.
[[nodiscard]] Result<Bytes> read_file(const std::filesystem::path& path, std::size_t max_bytes);
// The most a CA or TLS key file may hold (PEM or OpenSSH format): far above any key we read.
inline constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

}  // namespace jit::ca
