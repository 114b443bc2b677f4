// Who ran a `jit-broker` admin command, for the audit records it writes (docs/operations.md,
// "Audit log"). The actor of those records stays `admin`; their details name the operating-system
// account the command ran as (`os_user`, from the effective uid, which the caller cannot choose)
// and, when the command ran under sudo, the account sudo was called from (`sudo_user`, from the
// SUDO_USER variable sudo sets; informative only, since whoever runs the command sets its
// environment).
#pragma once

#include <boost/json/object.hpp>

#include <string>

namespace jit::broker {

// `details` with os_user and, under sudo, sudo_user added.
boost::json::object with_operator_account(boost::json::object details);
// The same as serialized JSON, for records whose details were "{}".
std::string operator_account_details();

}  // namespace jit::broker
