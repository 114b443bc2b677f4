// Reading a secret (password, TOTP code) for the `jit` command: the prompt goes to `err`, so
// stdout stays clean for scripts, and echo is off while a terminal is the input.
#pragma once

#include <iosfwd>
#include <string>

namespace jit::broker {

// One line without its line end; empty at end of input.
std::string read_secret_line(const std::string& prompt, std::istream& in, std::ostream& err);

}  // namespace jit::broker
