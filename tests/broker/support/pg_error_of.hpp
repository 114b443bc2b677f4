// The pg::Error a call throws, for tests of the PostgreSQL layer (broker/store/pg/).
#pragma once

#include "broker/store/pg/pg_error.hpp"

#include <gtest/gtest.h>

namespace jit::testing {

// The pg::Error `fn` throws; fails the test when it throws nothing.
template <typename Fn>
broker::pg::Error pg_error_of(Fn&& fn) {
  try {
    fn();
  } catch (const broker::pg::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no pg::Error thrown";
  return broker::pg::Error(broker::pg::Failure::other, "", "none");
}

}  // namespace jit::testing
