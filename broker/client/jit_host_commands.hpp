// `jit host-setup` and `jit host-refresh` (docs/operations.md, "Host set-up"): what an sshd host
// and an nginx server checking client certificates need from the broker, written under one output
// folder, and the refresh of the revocation lists that a systemd timer or cron runs. They use the
// broker URL and TLS CA file of the profile and the global --broker/--ca-file options; no session.
// Return the exit code (kJitOk, or kJitError after printing why).
#pragma once

#include "broker/client/host_setup_files.hpp"
#include "broker/client/jit_api_client.hpp"

#include <chrono>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace jit::broker {

inline constexpr std::string_view kDefaultAfterCrlChange = "systemctl reload nginx";

struct HostSetupOptions {
  HostPathOptions paths;
  std::vector<std::string> principals;             // "account=principal1,principal2"
  std::optional<std::filesystem::path> units_dir;  // default OUT/units
  std::chrono::seconds interval{60};               // the timer's period
  std::optional<std::string> after_crl_change;     // default kDefaultAfterCrlChange ("": none)
};
// Writes the files, the units and the cron line, then prints the sshd_config and nginx lines on
// `out` (each block after a comment line naming it); what it wrote and how to install the units
// go to `err`, so that `out` holds only configuration.
int jit_host_setup(const JitGlobalOptions& global, const HostSetupOptions& options,
                   std::ostream& out, std::ostream& err);

struct HostRefreshOptions {
  HostPathOptions paths;
  std::string after_crl_change;  // run by /bin/sh after the CRL file was replaced; empty: none
};
// Refreshes the KRL (--ssh) and the CRL (--nginx); exit 0 when each is replaced or unchanged.
int jit_host_refresh(const JitGlobalOptions& global, const HostRefreshOptions& options,
                     std::ostream& out, std::ostream& err);

}  // namespace jit::broker
