#include "tests/support/test_audit_key.hpp"

#include "broker/auth/derived_keys.hpp"

namespace jit::testing {

ca::Bytes test_data_key() { return ca::Bytes(32, std::byte{7}); }

broker::AuditChainKey test_audit_key() { return broker::audit_chain_key(test_data_key()); }

}  // namespace jit::testing
