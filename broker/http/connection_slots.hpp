// Who holds the HTTPS server's connection slots, by client address, and which holders are still in
// their TLS handshake. It decides whom to close when a cap is reached, so that connections which
// connect and then say nothing cannot keep a well-behaved client out: the oldest holder still in
// its handshake gives up its slot; a connection past its handshake is never evicted, so when all
// holders are established the newcomer is the one refused. Not thread-safe: the SessionRegistry's
// mutex guards it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace jit::broker {

class ConnectionSlots {
 public:
  using Id = std::uint64_t;

  ConnectionSlots(std::size_t max_total, std::size_t max_per_source);

  // Takes a slot for a new connection from `source`. When `source` holds max_per_source slots, its
  // oldest holder still in the handshake gives its slot up; when max_total are held, the oldest
  // such holder of any source does. Their ids are appended to `evicted` (the caller closes them).
  // nullopt, and nothing changed, when a cap is reached and no holder may be evicted.
  std::optional<Id> admit(const std::string& source, std::vector<Id>& evicted);
  // The holder finished its TLS handshake: from now on it is never evicted.
  void handshake_done(Id id);
  // Gives the slot back; nothing when it was already given back (evicted).
  void release(Id id);

  std::size_t size() const { return holders_.size(); }
  std::size_t held_by(const std::string& source) const;

 private:
  struct Holder {
    std::string source;
    bool handshaking = true;
  };
  // The oldest holder in its handshake (of `source` when given), other than `except`.
  std::optional<Id> oldest_handshaking(const std::string* source, std::optional<Id> except) const;

  std::size_t max_total_;
  std::size_t max_per_source_;
  std::map<Id, Holder> holders_;  // ids grow with each admission: the oldest first
  std::unordered_map<std::string, std::size_t> per_source_;
  Id next_id_ = 1;
};

}  // namespace jit::broker
