// The audit chain key of stores that tests open directly. Derived from a fixed data key the way the
// broker derives it from its data key file, so a test can also verify the chain it wrote.
#pragma once

#include "broker/store/audit_chain.hpp"
#include "ca/bytes.hpp"

namespace jit::testing {

ca::Bytes test_data_key();
broker::AuditChainKey test_audit_key();

}  // namespace jit::testing
