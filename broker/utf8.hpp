// UTF-8 well-formedness (RFC 3629, Unicode table 3-7), one rule for the JSON body check and the
// log-line escaper.
#pragma once

#include <cstddef>
#include <string_view>

namespace jit::broker {

// The length of the well-formed UTF-8 sequence at text[i] (1 for ASCII), or 0 when the bytes there
// are not one: an overlong form, a surrogate, a code point above U+10FFFF, a stray continuation
// byte, or a sequence cut off by the end of `text`. Needs i < text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);

// Whether every byte of `text` belongs to a well-formed sequence.
bool is_valid_utf8(std::string_view text);

}  // namespace jit::broker
