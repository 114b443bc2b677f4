// Shared helpers for the SSH CA and KRL tests: golden data files, files with a mode, and a quick
// way to build CA keys and profiles.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ssh_ca_key.hpp"
#include "ca/ssh_certificate.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <string>

namespace jit::testing {

// Text of tests/ca/data/ssh/<name> (see regenerate.sh there).
std::string ssh_test_file(const std::string& name);

// The file's text; throws std::runtime_error when it cannot be read (a golden file must exist).
std::string read_text_file(const std::filesystem::path& path);
void write_text_file(const std::filesystem::path& path, const std::string& text, int mode = 0644);

// A fixed instant (2030-01-01T00:00:00Z) so that unit tests do not depend on the clock.
inline constexpr std::chrono::sys_seconds kTestNow{std::chrono::seconds{1893456000}};

// A valid profile: serial 42, principal "dbread", one hour from kTestNow, permit-pty.
ca::SshCertificateProfile test_profile();

ca::SshCaKey must_generate(ca::KeyAlgorithm algorithm);

ca::Bytes to_bytes(std::string_view text);

// Bytes written as a list of small integers: bytes_of({0x30, 0x03}).
ca::Bytes bytes_of(std::initializer_list<int> values);

// The Ed25519 CA key of the golden files (ssh_test_file("ed25519_ca.pub")).
ca::SshPublicKey golden_ca();

}  // namespace jit::testing
