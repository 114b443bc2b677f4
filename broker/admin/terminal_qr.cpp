#include "broker/admin/terminal_qr.hpp"

#include <qrencode.h>

#include <memory>

namespace jit::broker {
namespace {

struct QrcodeFree {
  void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};
using QrcodePtr = std::unique_ptr<QRcode, QrcodeFree>;

}  // namespace

std::optional<QrModules> qr_modules(std::string_view text) {
  const std::string copy(text);  // libqrencode wants a NUL-terminated string
  QrcodePtr code(QRcode_encodeString8bit(copy.c_str(), 0, QR_ECLEVEL_M));
  if (!code || code->width <= 0) return std::nullopt;
  QrModules modules;
  modules.width = code->width;
  const auto count = static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width);
  modules.dark.resize(count);
  // Bit 0 of each byte is the module's colour (qrencode.h); the other bits say what it is part of.
  for (std::size_t i = 0; i < count; ++i) modules.dark[i] = (code->data[i] & 1) != 0;
  return modules;
}

std::string render_terminal_qr(const QrModules& modules) {
  const int size = modules.width + 2 * kQrQuietZone;
  std::string out;
  for (int row = 0; row < size; row += 2) {
    for (int column = 0; column < size; ++column) {
      const bool top_light = !modules.at(row - kQrQuietZone, column - kQrQuietZone);
      // Below the last row there is nothing to draw: the lower half stays blank.
      const bool bottom_light =
          row + 1 < size && !modules.at(row + 1 - kQrQuietZone, column - kQrQuietZone);
      if (top_light && bottom_light) {
        out += "\u2588";  // full block
      } else if (top_light) {
        out += "\u2580";  // upper half block
      } else if (bottom_light) {
        out += "\u2584";  // lower half block
      } else {
        out += ' ';
      }
    }
    out += '\n';
  }
  return out;
}

}  // namespace jit::broker
