// The one result type of the project: a value, or the error code saying why there is none.
// Declared once, in namespace jit, so code in jit::ca, jit::approvals and jit::broker names it
// plain `Result`; it lives in ca/ because ca/ is the lowest library whose functions return one,
// and approvals/ and broker/ build on it.
#pragma once

#include <boost/system/result.hpp>

namespace jit {

template <typename T>
using Result = boost::system::result<T>;

}  // namespace jit
