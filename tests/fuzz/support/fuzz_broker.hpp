// The broker without sockets, for the HTTP and API fuzz targets: every route BrokerApp serves
// (health, auth, CA, requests, grants, revocation lists) over a real store in a temporary folder,
// with users signed in ahead of time so that inputs reach the handlers behind authentication.
// Inputs name the ahead-of-time objects by placeholders, which substitute() replaces:
//   @alice @bob @carol @dave @erin @frank   a user's session token (in X-CSRF-Token: its CSRF
//   token)
//   @request                                a pending prod-db-read request of alice's
//   @grant                                  an active auto-read grant of alice's
// After each input restore() puts these objects back if the input ended them (logout, cancel,
// deny, revoke), so one input's success does not close paths for the next ones.
#pragma once

#include "broker/http/http_types.hpp"

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace jit::fuzz {

class FuzzBroker {
 public:
  // The process-wide broker, built on first use (enrolling the users costs a few scrypt hashes).
  // Its folder is under std::filesystem::temp_directory_path() (TMPDIR), and is rebuilt from
  // scratch once the database outgrows a bound, so long runs do not fill the disk.
  static FuzzBroker& instance();

  ~FuzzBroker();
  FuzzBroker(const FuzzBroker&) = delete;
  FuzzBroker& operator=(const FuzzBroker&) = delete;

  enum class Field { target, authorization, cookie, csrf };
  // `text` with every placeholder replaced by what it stands for in that field.
  [[nodiscard]] std::string substitute(std::string_view text, Field field) const;
  // The placeholder values for a user ("alice"): its bearer header value.
  [[nodiscard]] std::string bearer(std::string_view user) const;
  [[nodiscard]] const std::string& pending_request_id() const;
  [[nodiscard]] const std::string& active_grant_id() const;

  // Dispatches through the real router and waits for the answer, as HttpsSession does. Aborts (a
  // fuzzer finding) when the answer is a 5xx other than 503, or never comes. With JIT_FUZZ_VERBOSE
  // set in the environment it prints each answer (to see what a reproducer does).
  broker::HttpResponse dispatch(broker::HttpRequest request);

  // Recreates sessions, the pending request and the active grant that the last input ended.
  void restore();

 private:
  struct State;
  FuzzBroker();
  std::unique_ptr<State> state_;
  bool verbose_ = false;
};

}  // namespace jit::fuzz
