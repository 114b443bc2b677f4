// The access workflow behind the API, as one service per use case over one store (the shared
// commit rules are in access_context.hpp):
//   - requests(): asking for a role, break-glass, cancelling (request_workflow.hpp);
//   - reviews(): approve, deny, the post-incident review, their passkey challenge
//     (review_workflow.hpp);
//   - grants(): revoking, `user lock`, the start-up entitlement pass, the expiry sweep
//     (grant_workflow.hpp);
//   - queries(): the views of requests and grants (access_queries.hpp).
// Routes and workers take the one they need from here.
#pragma once

#include "broker/service/access_context.hpp"
#include "broker/service/access_queries.hpp"
#include "broker/service/grant_workflow.hpp"
#include "broker/service/request_workflow.hpp"
#include "broker/service/review_workflow.hpp"

namespace jit::broker {

class AccessService {
 public:
  using Answer = AccessContext::Answer;

  AccessService(Store& store, IdentityService& identity, config::Limits limits,
                AccessHooks hooks = {})
      : context_(store, identity, limits, std::move(hooks)),
        requests_(context_),
        reviews_(context_),
        grants_(context_),
        queries_(store, identity.policy()) {}
  AccessService(const AccessService&) = delete;
  AccessService& operator=(const AccessService&) = delete;

  RequestWorkflow& requests() { return requests_; }
  ReviewWorkflow& reviews() { return reviews_; }
  GrantWorkflow& grants() { return grants_; }
  AccessQueries& queries() { return queries_; }

  IdentityService& identity() { return context_.identity(); }

 private:
  AccessContext context_;  // first: the services below keep a reference to it
  RequestWorkflow requests_;
  ReviewWorkflow reviews_;
  GrantWorkflow grants_;
  AccessQueries queries_;
};

}  // namespace jit::broker
