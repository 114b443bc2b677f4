// Handing a key and its certificate to the running ssh-agent with a lifetime, so the agent forgets
// both when the certificate expires and expired certificates never pile up in it. Runs
// `ssh-add -t SECONDS FILE` (ssh-add also loads FILE-cert.pub) through posix_spawnp with an argv
// array, never a shell; its stdin is /dev/null and its stdout goes to our stderr, so our stdout
// stays for what scripts read.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker {

// True when SSH_AUTH_SOCK names an agent socket (set and not empty).
[[nodiscard]] bool ssh_agent_configured();

// The lifetime to ask the agent for: the whole seconds from `now` to `valid_before` (Unix seconds,
// the certificate's end); nullopt when the certificate has already expired.
[[nodiscard]] std::optional<std::chrono::seconds> agent_lifetime(std::uint64_t valid_before,
                                                                 std::int64_t now);

// Runs argv[0] (found on PATH) with these arguments and waits for it. The exit code, 128 + signal
// when it was killed, or nullopt when it could not be started.
[[nodiscard]] std::optional<int> run_program(const std::vector<std::string>& argv);

// `ssh-add -t SECONDS key_file`: ssh-add's exit code, or nullopt when it could not be started.
[[nodiscard]] std::optional<int> add_key_to_agent(const std::filesystem::path& key_file,
                                                  std::chrono::seconds lifetime);

// `ssh-add -d key_file`: removes the key and, when key_file-cert.pub is beside it, its
// certificate from the agent. ssh-add's exit code, or nullopt when it could not be started.
[[nodiscard]] std::optional<int> remove_key_from_agent(const std::filesystem::path& key_file);

}  // namespace jit::broker
