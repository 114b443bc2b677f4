// CBOR for WebAuthn, internal to approvals/ (libcbor is a private dependency: only approvals/*.cpp
// include this header). Before libcbor sees any input, cbor_item_extent() walks it with a bounded
// ByteReader: it proves that every length fits in the bytes present (libcbor would otherwise
// allocate an array of whatever count a 9-byte header claims), caps the nesting depth, and enforces
// the subset WebAuthn uses in its CTAP2 canonical form: definite lengths only, shortest-form heads,
// no tags, no floats or simple values other than false/true/null, and no duplicate keys in any map.
#pragma once

#include "approvals/approvals_error.hpp"
#include "ca/bytes.hpp"

#include <cbor.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

namespace jit::approvals {

struct CborItemDeleter {
  void operator()(cbor_item_t* item) const noexcept { cbor_decref(&item); }
};
using CborItemPtr = std::unique_ptr<cbor_item_t, CborItemDeleter>;

inline constexpr unsigned kMaxCborDepth = 16;

// The size in bytes of the one well-formed item that starts `data` (trailing bytes are left to the
// caller). invalid_input if no such item is there.
[[nodiscard]] Result<std::size_t> cbor_item_extent(ca::ByteView data);

// Exactly one item that covers all of `data`. invalid_input otherwise.
[[nodiscard]] Result<CborItemPtr> decode_cbor_exact(ca::ByteView data);

// Typed views of decoded items; nullopt when the item has another type or does not fit.
[[nodiscard]] std::optional<std::int64_t> cbor_int_value(const cbor_item_t* item);
[[nodiscard]] std::optional<std::string_view> cbor_text_value(const cbor_item_t* item);
[[nodiscard]] std::optional<ca::ByteView> cbor_bytes_value(const cbor_item_t* item);

// The value for a key of a map, or nullptr (keys are unique: cbor_item_extent checked that).
[[nodiscard]] const cbor_item_t* cbor_map_find_text(const cbor_item_t* map, std::string_view key);
[[nodiscard]] const cbor_item_t* cbor_map_find_int(const cbor_item_t* map, std::int64_t key);

}  // namespace jit::approvals
