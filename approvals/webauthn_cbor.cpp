#include "approvals/webauthn_cbor.hpp"

#include <limits>
#include <set>

namespace jit::approvals {
namespace {

constexpr unsigned kMajorUnsigned = 0;
constexpr unsigned kMajorNegative = 1;
constexpr unsigned kMajorBytes = 2;
constexpr unsigned kMajorText = 3;
constexpr unsigned kMajorArray = 4;
constexpr unsigned kMajorMap = 5;
constexpr unsigned kMajorTag = 6;
constexpr unsigned kMajorSimple = 7;

// Reads the argument of a head whose initial byte is already consumed. Refuses reserved and
// indefinite encodings and any argument that a shorter head could have carried.
bool read_argument(ca::ByteReader& reader, unsigned info, std::uint64_t& out) {
  if (info < 24) {
    out = info;
    return true;
  }
  switch (info) {
    case 24: {
      std::uint8_t v = 0;
      if (!reader.u8(v) || v < 24) return false;
      out = v;
      return true;
    }
    case 25: {
      std::uint16_t v = 0;
      if (!reader.u16(v) || v <= 0xFF) return false;
      out = v;
      return true;
    }
    case 26: {
      std::uint32_t v = 0;
      if (!reader.u32(v) || v <= 0xFFFF) return false;
      out = v;
      return true;
    }
    case 27: {
      std::uint64_t v = 0;
      if (!reader.u64(v) || v <= 0xFFFFFFFFULL) return false;
      out = v;
      return true;
    }
    default:
      return false;  // 28-30 are reserved, 31 is an indefinite length
  }
}

bool skip_item(ca::ByteReader& reader, unsigned depth) {
  if (depth > kMaxCborDepth) return false;
  std::uint8_t initial = 0;
  if (!reader.u8(initial)) return false;
  const unsigned major = initial >> 5;
  const unsigned info = initial & 0x1FU;
  if (major == kMajorSimple) return info >= 20 && info <= 22;  // false, true, null
  if (major == kMajorTag) return false;
  std::uint64_t argument = 0;
  if (!read_argument(reader, info, argument)) return false;
  switch (major) {
    case kMajorUnsigned:
    case kMajorNegative:
      return true;
    case kMajorBytes:
    case kMajorText: {
      ca::ByteView skipped;
      return argument <= reader.remaining() && reader.bytes(argument, skipped);
    }
    case kMajorArray:
      // Every element takes at least one byte, so a count beyond what is left cannot be honest.
      if (argument > reader.remaining()) return false;
      for (std::uint64_t i = 0; i < argument; ++i) {
        if (!skip_item(reader, depth + 1)) return false;
      }
      return true;
    case kMajorMap: {
      if (argument > reader.remaining() / 2) return false;
      // With shortest-form heads and definite lengths, equal keys have equal encodings.
      std::set<std::string_view> keys;
      for (std::uint64_t i = 0; i < argument; ++i) {
        const std::size_t key_start = reader.offset();
        const ca::ByteView before = reader.rest();
        if (!skip_item(reader, depth + 1)) return false;
        const std::string_view key = ca::as_chars(before.first(reader.offset() - key_start));
        if (!keys.insert(key).second) return false;
        if (!skip_item(reader, depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

Result<std::size_t> cbor_item_extent(ca::ByteView data) {
  ca::ByteReader reader(data);
  if (!skip_item(reader, 0)) return ApprovalsErrc::invalid_input;
  return reader.offset();
}

Result<CborItemPtr> decode_cbor_exact(ca::ByteView data) {
  auto extent = cbor_item_extent(data);
  if (!extent) return extent.error();
  if (*extent != data.size()) return ApprovalsErrc::invalid_input;
  cbor_load_result result{};
  CborItemPtr item(cbor_load(ca::as_uchars(data), data.size(), &result));
  if (!item || result.error.code != CBOR_ERR_NONE || result.read != data.size()) {
    return result.error.code == CBOR_ERR_MEMERROR ? ApprovalsErrc::internal_error
                                                  : ApprovalsErrc::invalid_input;
  }
  return item;
}

std::optional<std::int64_t> cbor_int_value(const cbor_item_t* item) {
  if (item == nullptr) return std::nullopt;
  const bool negative = cbor_isa_negint(item);
  if (!negative && !cbor_isa_uint(item)) return std::nullopt;
  const std::uint64_t magnitude = cbor_get_int(item);
  if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  const auto value = static_cast<std::int64_t>(magnitude);
  return negative ? -1 - value : value;
}

std::optional<std::string_view> cbor_text_value(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_string(item) || !cbor_string_is_definite(item)) {
    return std::nullopt;
  }
  return std::string_view(reinterpret_cast<const char*>(cbor_string_handle(item)),
                          cbor_string_length(item));
}

std::optional<ca::ByteView> cbor_bytes_value(const cbor_item_t* item) {
  if (item == nullptr || !cbor_isa_bytestring(item) || !cbor_bytestring_is_definite(item)) {
    return std::nullopt;
  }
  return ca::ByteView(reinterpret_cast<const std::byte*>(cbor_bytestring_handle(item)),
                      cbor_bytestring_length(item));
}

const cbor_item_t* cbor_map_find_text(const cbor_item_t* map, std::string_view key) {
  if (map == nullptr || !cbor_isa_map(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i) {
    if (cbor_text_value(pairs[i].key) == key) return pairs[i].value;
  }
  return nullptr;
}

const cbor_item_t* cbor_map_find_int(const cbor_item_t* map, std::int64_t key) {
  if (map == nullptr || !cbor_isa_map(map)) return nullptr;
  const cbor_pair* pairs = cbor_map_handle(map);
  for (std::size_t i = 0; i < cbor_map_size(map); ++i) {
    if (cbor_int_value(pairs[i].key) == key) return pairs[i].value;
  }
  return nullptr;
}

}  // namespace jit::approvals
