#include "broker/broker_instance.hpp"

#include "approvals/secure_random.hpp"
#include "ca/bytes.hpp"

#include <unistd.h>

#include <array>
#include <stdexcept>

namespace jit::broker {
namespace {

std::string make_instance_id() {
  std::array<char, 256> host{};
  if (::gethostname(host.data(), host.size() - 1) != 0 || host[0] == '\0') {
    host = {'h', 'o', 's', 't'};
  }
  auto random = approvals::random_bytes(4);
  if (!random) throw std::runtime_error("random number generator failed");
  return std::string(host.data()) + "-" + std::to_string(::getpid()) + "-" +
         ca::hex_encode(*random);
}

}  // namespace

const std::string& broker_instance_id() {
  static const std::string id = make_instance_id();  // thread-safe initialisation, once
  return id;
}

}  // namespace jit::broker
