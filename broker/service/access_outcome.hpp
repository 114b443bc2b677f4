// What a write job of the access workflow hands back to its caller after the commit: the answer
// and the follow-ups (webhook events, sweeper and publisher pokes).
#pragma once

#include "broker/service/access_service.hpp"

#include <utility>
#include <vector>

namespace jit::broker {

struct AccessService::Outcome {
  Result<boost::json::object> answer = make_error_code(BrokerErrc::internal);
  std::vector<std::pair<std::string, boost::json::object>> events;
  bool deadlines_changed = false;
  bool revocations_changed = false;
};

}  // namespace jit::broker
