// Which process of the cluster this is: an id made once per process, for rows that must say which
// broker holds them (the event outbox's delivery claims, docs/architecture.md "Events"). Brokers
// on one PostgreSQL database, a broker restarted after a crash, and an admin command all differ.
#pragma once

#include <string>

namespace jit::broker {

// "HOST-PID-RANDOM" (RANDOM: 8 hex digits from the CSPRNG), the same for every call in one
// process. The random part keeps two containers with the same host name and PID apart. Throws
// std::runtime_error when the random number generator fails (on the first call).
const std::string& broker_instance_id();

}  // namespace jit::broker
