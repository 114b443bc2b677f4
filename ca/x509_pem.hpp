// PEM (RFC 7468) for X.509 material: a strict reader that accepts exactly one block with a given
// label and nothing but whitespace around it, and a writer with 64-column lines.
#pragma once

#include "ca/bytes.hpp"
#include "ca/ca_error.hpp"

#include <initializer_list>
#include <string>
#include <string_view>

namespace jit::ca {

// The DER inside the one block labelled with one of `labels`. malformed when the text holds no
// block, two blocks, another label, encapsulated headers, text outside the block, or bad base64.
[[nodiscard]] Result<Bytes> decode_single_pem(std::string_view text,
                                              std::initializer_list<std::string_view> labels);

[[nodiscard]] std::string encode_pem(std::string_view label, ByteView der);

}  // namespace jit::ca
