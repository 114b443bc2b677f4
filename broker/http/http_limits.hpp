// Bounds of the HTTPS server, set once where each resource is created (see session.cpp).
#pragma once

#include <chrono>
#include <cstddef>

namespace jit::broker {

struct HttpLimits {
  // Request line plus header fields; beyond it the answer is 431 and the connection closes.
  std::size_t max_header_bytes = 8192;
  // Request body; beyond it (declared or streamed) the answer is 413 and the connection closes.
  std::size_t max_body_bytes = 65536;
  // Deadline of each step: the TLS handshake, reading one whole request (so a client sending a
  // byte at a time is cut off), waiting on an idle keep-alive connection, and writing a response.
  std::chrono::seconds read_timeout{10};
  // Connections beyond this are closed as soon as they are accepted.
  std::size_t max_connections = 1024;
};

}  // namespace jit::broker
