// The audit chain key of stores that tests open directly. Derived from a fixed data key the way the
// broker derives it from its data key file, so a test can also verify the chain it wrote.
#pragma once

#include "broker/auth/derived_keys.hpp"
#include "broker/store/audit_chain.hpp"

namespace jit::testing {

inline ca::Bytes test_data_key() { return ca::Bytes(32, std::byte{7}); }

inline broker::AuditChainKey test_audit_key() { return broker::audit_chain_key(test_data_key()); }

}  // namespace jit::testing
