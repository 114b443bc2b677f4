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
  // A new connection must send its first TLS byte within this (or read_timeout, if shorter); then
  // the handshake has read_timeout. Connections that connect and say nothing go early.
  std::chrono::seconds first_byte_timeout{3};
  // Connection slots, in all and per client IP address. A new connection beyond either cap takes
  // the slot of the oldest connection still in its handshake (of that source, for the per-source
  // cap); when every holder is past its handshake, the new connection is closed at once.
  std::size_t max_connections = 1024;
  std::size_t max_connections_per_source = 64;
};

}  // namespace jit::broker
