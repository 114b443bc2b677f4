#include "approvals/webauthn_cbor.hpp"

#include "tests/support/software_authenticator.hpp"

#include <gtest/gtest.h>

namespace jit::approvals {
namespace {

using testing::from_hex;

TEST(CborExtent, MeasuresTheFirstItem) {
  EXPECT_EQ(cbor_item_extent(from_hex("a0")).value(), 1u);
  EXPECT_EQ(cbor_item_extent(from_hex("a0ff")).value(), 1u);  // trailing bytes are the caller's
  EXPECT_EQ(cbor_item_extent(from_hex("a2616101616202")).value(), 7u);
  EXPECT_EQ(cbor_item_extent(from_hex("5820" + std::string(64, '0'))).value(), 34u);
  EXPECT_EQ(cbor_item_extent(from_hex("83f4f5f6")).value(), 4u);  // [false, true, null]
  EXPECT_EQ(cbor_item_extent(from_hex("3903ff")).value(), 3u);    // -1024
}

TEST(CborExtent, RefusesWhatWebAuthnNeverSends) {
  for (const char* hex : {
           "",                    // nothing
           "bf61610161ff",        // indefinite map
           "5f41004100ff",        // indefinite byte string
           "c240",                // tag
           "f93c00",              // half float
           "fb3ff0000000000000",  // double
           "f7",                  // undefined
           "f820",                // simple value 32
           "1817",                // 23 in two bytes: not the shortest form
           "190017",              // 23 in three bytes
           "5801"
           "00",              // a one-byte string with a one-byte length head
           "1c",              // reserved additional information
           "a2616101616102",  // duplicate key "a"
           "a201010102",      // duplicate key 1
           "a2",              // a map with no entries present
       }) {
    EXPECT_EQ(cbor_item_extent(from_hex(hex)).error(), ApprovalsErrc::invalid_input) << hex;
  }
}

TEST(CborExtent, RefusesCountsBeyondTheInputWithoutAllocating) {
  // An array claiming 2^64-1 elements and a map claiming 2^32 pairs, in a few bytes.
  EXPECT_EQ(cbor_item_extent(from_hex("9bffffffffffffffff00")).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(cbor_item_extent(from_hex("bb0000000100000000a0")).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(decode_cbor_exact(from_hex("9bffffffffffffffff00")).error(),
            ApprovalsErrc::invalid_input);
  EXPECT_EQ(cbor_item_extent(from_hex("5bffffffffffffffff00")).error(),
            ApprovalsErrc::invalid_input);
}

TEST(CborExtent, CapsNesting) {
  std::string deep(2 * (kMaxCborDepth + 1), '8');
  for (std::size_t i = 1; i < deep.size(); i += 2) deep[i] = '1';  // 81 81 81 ... : [[[...
  deep += "00";
  EXPECT_EQ(cbor_item_extent(from_hex(deep)).error(), ApprovalsErrc::invalid_input);
  const std::string shallow = deep.substr(4);  // one level less
  EXPECT_TRUE(cbor_item_extent(from_hex(shallow)).has_value());
}

TEST(CborDecode, ExactAndTyped) {
  auto item = decode_cbor_exact(from_hex("a2636b65796576616c75652001"));
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(cbor_text_value(cbor_map_find_text(item->get(), "key")), "value");
  EXPECT_EQ(cbor_int_value(cbor_map_find_int(item->get(), -1)), 1);
  EXPECT_EQ(cbor_map_find_text(item->get(), "missing"), nullptr);
  EXPECT_EQ(decode_cbor_exact(from_hex("a0a0")).error(), ApprovalsErrc::invalid_input);
}

}  // namespace
}  // namespace jit::approvals
