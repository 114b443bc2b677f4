#include "broker/http/connection_slots.hpp"

namespace jit::broker {

ConnectionSlots::ConnectionSlots(std::size_t max_total, std::size_t max_per_source)
    : max_total_(max_total), max_per_source_(max_per_source) {}

std::optional<ConnectionSlots::Id> ConnectionSlots::admit(const std::string& source,
                                                          std::vector<Id>& evicted) {
  // Both caps are checked before anything changes, so a refusal evicts no one.
  std::optional<Id> for_source;
  if (held_by(source) >= max_per_source_) {
    for_source = oldest_handshaking(&source, std::nullopt);
    if (!for_source) return std::nullopt;
  }
  std::optional<Id> for_total;
  if (holders_.size() - (for_source ? std::size_t{1} : std::size_t{0}) >= max_total_) {
    for_total = oldest_handshaking(nullptr, for_source);
    if (!for_total) return std::nullopt;
  }
  for (const auto victim : {for_source, for_total}) {
    if (!victim) continue;
    release(*victim);
    evicted.push_back(*victim);
  }
  const Id id = next_id_++;
  holders_.emplace(id, Holder{source, true});
  ++per_source_[source];
  return id;
}

void ConnectionSlots::handshake_done(Id id) {
  if (auto it = holders_.find(id); it != holders_.end()) it->second.handshaking = false;
}

void ConnectionSlots::release(Id id) {
  const auto it = holders_.find(id);
  if (it == holders_.end()) return;
  const auto count = per_source_.find(it->second.source);
  if (count != per_source_.end() && --count->second == 0) per_source_.erase(count);
  holders_.erase(it);
}

std::size_t ConnectionSlots::held_by(const std::string& source) const {
  const auto it = per_source_.find(source);
  return it == per_source_.end() ? 0 : it->second;
}

std::optional<ConnectionSlots::Id> ConnectionSlots::oldest_handshaking(
    const std::string* source, std::optional<Id> except) const {
  // At most max_total holders; under a flood of silent connections the first one matches.
  for (const auto& [id, holder] : holders_) {
    if (!holder.handshaking || id == except) continue;
    if (source != nullptr && holder.source != *source) continue;
    return id;
  }
  return std::nullopt;
}

}  // namespace jit::broker
