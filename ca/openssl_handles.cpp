#include "ca/openssl_handles.hpp"

#include <openssl/err.h>

namespace jit::ca {

std::string drain_openssl_errors() {
  const unsigned long code = ERR_get_error();
  std::string text;
  if (code != 0) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    text = buffer;
  }
  ERR_clear_error();
  return text;
}

}  // namespace jit::ca
