// The otpauth:// URI of `jit-broker user enroll --qr` as a QR code a phone can scan off the
// terminal: libqrencode makes the module matrix, we draw it with Unicode half blocks (two module
// rows per text line) inside the 4-module quiet zone QR readers need.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jit::broker {

// The QR symbol's modules, row by row, true for dark; square.
struct QrModules {
  int width = 0;
  std::vector<bool> dark;  // width * width
  [[nodiscard]] bool at(int row, int column) const {
    return row >= 0 && column >= 0 && row < width && column < width &&
           dark[static_cast<std::size_t>(row * width + column)];
  }
};

// Error correction level M, byte mode, the smallest version that fits; nullopt when libqrencode
// refuses (text too long for any version, out of memory).
[[nodiscard]] std::optional<QrModules> qr_modules(std::string_view text);

inline constexpr int kQrQuietZone = 4;

// The terminal block: (width + 8) columns and ceil((width + 8) / 2) lines, each ending in '\n'.
// Light modules (and the quiet zone) are drawn, dark ones left blank, like `qrencode -t UTF8`: on
// the usual light-on-dark terminal the code shows dark on light.
[[nodiscard]] std::string render_terminal_qr(const QrModules& modules);

}  // namespace jit::broker
