// The reads of the access workflow: requests and grants as the caller may see them (the JSON views
// of access_views.hpp), a requester's history for a reviewer, and the counts the metrics show. A
// request or grant the caller may not see is not_found, like one that does not exist.
#pragma once

#include "broker/auth/identity_service.hpp"
#include "broker/service/access_context.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace jit::broker {

// One page of a listing: at most the filter's `limit` views, and where the next page starts when
// more rows exist.
struct ListPage {
  boost::json::array items;
  std::optional<PageCursor> next;
};

class AccessQueries {
 public:
  AccessQueries(Store& store, const config::Policy& policy) : store_(store), policy_(policy) {}

  Result<boost::json::object> get_request(const Caller& caller, const std::string& id);
  ListPage list_requests(const Caller& caller, RequestFilter filter);
  Result<boost::json::object> get_grant(const Caller& caller, const std::string& id);
  ListPage list_grants(const Caller& caller, GrantFilter filter);
  // The requester's latest `limit` grants of the request's role, other than the request's own,
  // newest first: what a reviewer looks at to spot an unusual ask. Visible to whoever may view the
  // request (not_found otherwise).
  Result<boost::json::array> requester_history(const Caller& caller, const std::string& request_id,
                                               std::size_t limit);
  // Break-glass grants whose post-incident review is not done and was due before `now`.
  std::int64_t overdue_reviews(std::int64_t now);

 private:
  Store& store_;
  const config::Policy& policy_;
};

}  // namespace jit::broker
