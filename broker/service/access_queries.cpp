#include "broker/service/access_queries.hpp"
#include "broker/store/db/db_connection.hpp"

#include "approvals/access_rules.hpp"
#include "broker/service/access_views.hpp"

#include <boost/json.hpp>

namespace jit::broker {
namespace {

namespace json = boost::json;
using approvals::may_view_request;

// Restricts a listing to what `viewer` may see, in SQL, so that the limit counts visible rows:
// auditors see everything, others their own and those of the roles they approve.
template <typename Filter>
void restrict_to_viewer(const config::Policy& policy, const std::string& viewer,
                        std::optional<std::string>& party, Filter& filter) {
  if (policy.in_group(viewer, config::kAuditorsGroup)) return;
  party = viewer;
  filter.roles.clear();
  for (const auto& [name, role] : policy.roles) {
    if (policy.in_any_group(viewer, role.approvers)) filter.roles.push_back(name);
  }
}

EvidenceDetail evidence_detail_for(const config::Policy& policy, const std::string& viewer) {
  return approvals::may_see_mfa_evidence(policy, viewer) ? EvidenceDetail::full
                                                         : EvidenceDetail::factor_only;
}

}  // namespace

Result<json::object> AccessQueries::get_request(const Caller& caller, const std::string& id) {
  return store_.read([&](db::Connection& db) -> Result<json::object> {
    auto row = find_request(db, id);
    if (!row || !may_view_request(policy_, row->role, row->requester, caller.user)) {
      return make_error_code(BrokerErrc::not_found);
    }
    return request_view(db, policy_, *row, evidence_detail_for(policy_, caller.user));
  });
}

ListPage AccessQueries::list_requests(const Caller& caller, RequestFilter filter) {
  restrict_to_viewer(policy_, caller.user, filter.requester, filter);
  // One row more than the page: whether a next page exists, without counting.
  const std::size_t page_size = filter.limit;
  filter.limit = page_size + 1;
  return store_.read([&](db::Connection& db) {
    ListPage page;
    auto rows = broker::list_requests(db, filter);
    if (rows.size() > page_size) {
      rows.resize(page_size);
      page.next = PageCursor{rows.back().created_at, rows.back().id};
    }
    for (const auto& row : rows) {
      if (may_view_request(policy_, row.role, row.requester, caller.user)) {
        page.items.push_back(
            request_view(db, policy_, row, evidence_detail_for(policy_, caller.user)));
      }
    }
    return page;
  });
}

Result<json::object> AccessQueries::get_grant(const Caller& caller, const std::string& id) {
  return store_.read([&](db::Connection& db) -> Result<json::object> {
    auto grant = find_grant(db, id);
    if (!grant || !may_see_grant(policy_, *grant, caller.user)) {
      return make_error_code(BrokerErrc::not_found);
    }
    auto request = find_request(db, grant->request_id);
    return grant_view(*grant, request && request->breakglass);
  });
}

ListPage AccessQueries::list_grants(const Caller& caller, GrantFilter filter) {
  restrict_to_viewer(policy_, caller.user, filter.user, filter);
  const std::size_t page_size = filter.limit;
  filter.limit = page_size + 1;
  return store_.read([&](db::Connection& db) {
    ListPage page;
    auto grants = broker::list_grants(db, filter);
    if (grants.size() > page_size) {
      grants.resize(page_size);
      page.next = PageCursor{grants.back().not_before, grants.back().id};
    }
    for (const auto& grant : grants) {
      if (!may_see_grant(policy_, grant, caller.user)) continue;
      auto request = find_request(db, grant.request_id);
      page.items.push_back(grant_view(grant, request && request->breakglass));
    }
    return page;
  });
}

Result<json::array> AccessQueries::requester_history(const Caller& caller,
                                                     const std::string& request_id,
                                                     std::size_t limit) {
  return store_.read([&](db::Connection& db) -> Result<json::array> {
    auto row = find_request(db, request_id);
    if (!row || !may_view_request(policy_, row->role, row->requester, caller.user)) {
      return make_error_code(BrokerErrc::not_found);
    }
    // Whoever may view the request may see every grant of its requester and role (the same rule).
    GrantFilter filter;
    filter.limit = limit;
    filter.of_user = row->requester;
    filter.of_role = row->role;
    filter.not_request = row->id;
    json::array out;
    for (const auto& grant : broker::list_grants(db, filter)) {
      auto request = find_request(db, grant.request_id);
      out.push_back(grant_view(grant, request && request->breakglass));
    }
    return out;
  });
}

std::int64_t AccessQueries::overdue_reviews(std::int64_t now) {
  return store_.read([now](db::Connection& db) { return count_overdue_reviews(db, now); });
}

}  // namespace jit::broker
