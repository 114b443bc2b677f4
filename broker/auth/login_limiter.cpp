#include "broker/auth/login_limiter.hpp"

#include <boost/asio/ip/address.hpp>

#include <array>

namespace jit::broker {

std::string source_of(std::string_view remote_ip) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(remote_ip, ec);
  if (ec) return std::string(remote_ip);
  if (address.is_v4()) return address.to_string();
  const auto v6 = address.to_v6();
  if (v6.is_v4_mapped()) {
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  }
  auto bytes = v6.to_bytes();
  for (std::size_t i = 8; i < bytes.size(); ++i) bytes[i] = 0;
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

std::chrono::seconds LoginLimiter::admit(const std::string& source, approvals::TimePoint now) {
  std::lock_guard lock(mutex_);
  auto found = per_source_.find(source);
  if (found == per_source_.end() && per_source_.size() >= limits_.max_sources) {
    // Sources whose bucket is full again are the same as sources never seen: forget them.
    std::erase_if(per_source_, [&](const auto& item) {
      return approvals::is_full(item.second, limits_.per_source, now);
    });
    found = per_source_.end();
  }
  approvals::TakeResult mine;
  if (found != per_source_.end() || per_source_.size() < limits_.max_sources) {
    const approvals::TokenBucket current =
        found != per_source_.end() ? found->second : approvals::TokenBucket{};
    mine = approvals::take_token(current, limits_.per_source, now);
    if (!mine.allowed) return mine.retry_after;
  }
  // The shared bucket only after the source's own, so no one source can drain it faster than its
  // own rate.
  const auto shared = approvals::take_token(overall_, limits_.overall, now);
  if (!shared.allowed) return shared.retry_after;
  overall_ = shared.next;
  if (mine.allowed) per_source_[source] = mine.next;
  return std::chrono::seconds{0};
}

}  // namespace jit::broker
