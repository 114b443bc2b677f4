#include "broker/workers/syslog_tls_sink.hpp"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <cerrno>
#include <stdexcept>

namespace jit::broker {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

// One TLS connection to the server, shared with its pending handlers.
struct SyslogConnection {
  SyslogConnection(asio::io_context& io, asio::ssl::context& tls)
      : resolver(io), stream(io, tls), deadline(io), poll(io) {}

  void close() {
    closed = true;
    boost::system::error_code ignored;
    resolver.cancel();
    stream.lowest_layer().close(ignored);
    deadline.cancel();
    poll.cancel();
  }

  tcp::resolver resolver;
  asio::ssl::stream<tcp::socket> stream;
  asio::steady_timer deadline;  // bounds the step in progress; closes the connection when it fires
  asio::steady_timer poll;      // paces the acknowledgement check
  bool closed = false;
  bool timed_out = false;
  std::string closed_why;  // what the pending read saw
  std::array<char, 512> discard{};
};

namespace {

void arm_syslog_deadline(const std::shared_ptr<SyslogConnection>& connection,
                         std::chrono::milliseconds limit) {
  connection->deadline.expires_after(limit);
  connection->deadline.async_wait([connection](boost::system::error_code ec) {
    if (ec || connection->closed ||
        connection->deadline.expiry() > std::chrono::steady_clock::now()) {
      return;  // cancelled, or re-armed for a later step
    }
    connection->timed_out = true;
    connection->closed_why = "timed out";
    connection->close();
  });
}

// A read kept pending for the connection's life: the server sends nothing, so its completion means
// the server closed or reset the connection.
void watch_for_close(const std::shared_ptr<SyslogConnection>& connection) {
  connection->stream.async_read_some(asio::buffer(connection->discard),
                                     [connection](boost::system::error_code ec, std::size_t) {
                                       if (connection->closed) return;
                                       if (!ec) return watch_for_close(connection);
                                       connection->closed_why = ec.message();
                                       connection->close();
                                     });
}

// True while the peer has neither closed (FIN) nor reset the TCP connection; reads nothing.
bool peer_still_there(int fd) {
  char byte = 0;
  const auto n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

std::string local_host_name() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "-";
  return name.data();
}

bool is_ip_address(const std::string& text) {
  boost::system::error_code ec;
  asio::ip::make_address(text, ec);
  return !ec;
}

}  // namespace

SyslogTlsSink::SyslogTlsSink(asio::io_context& io, config::SyslogSinkSettings settings)
    : io_(io),
      settings_(std::move(settings)),
      tls_(asio::ssl::context::tls_client),
      position_key_("syslog:" + settings_.host + ":" + std::to_string(settings_.port)) {
  SSL_CTX_set_min_proto_version(tls_.native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  tls_.load_verify_file(settings_.ca_file.string(), ec);
  if (ec) {
    throw std::runtime_error("audit_stream.syslog.ca_file " + settings_.ca_file.string() +
                             " holds no usable CA certificate");
  }
  tls_.set_verify_mode(asio::ssl::verify_peer);
  if (settings_.client_cert_file && settings_.client_key_file) {
    tls_.use_certificate_chain_file(settings_.client_cert_file->string(), ec);
    if (!ec)
      tls_.use_private_key_file(settings_.client_key_file->string(), asio::ssl::context::pem, ec);
    if (ec || SSL_CTX_check_private_key(tls_.native_handle()) != 1) {
      throw std::runtime_error("audit_stream.syslog client_cert_file " +
                               settings_.client_cert_file->string() + " and client_key_file " +
                               settings_.client_key_file->string() + " do not load as a pair");
    }
  }
  header_.hostname = local_host_name();
  header_.app_name = settings_.app_name;
  header_.procid = std::to_string(::getpid());
}

SyslogTlsSink::~SyslogTlsSink() { close(); }

void SyslogTlsSink::close() {
  if (connection_) connection_->close();
  connection_.reset();
}

void SyslogTlsSink::deliver(const std::vector<AuditRecord>& records, Done done) {
  std::string frames;
  for (const auto& record : records) {
    frames += octet_counted_frame(rfc5424_message(record, header_));
  }
  if (connection_ && connection_->closed) connection_.reset();
  if (connection_) return write(connection_, std::move(frames), std::move(done));
  connect(std::move(frames), std::move(done));
}

void SyslogTlsSink::connect(std::string frames, Done done) {
  auto connection = std::make_shared<SyslogConnection>(io_, tls_);
  connection_ = connection;
  arm_syslog_deadline(connection, settings_.timeout);  // resolve, connect and handshake together
  const std::string where = settings_.host + ":" + std::to_string(settings_.port);
  connection->resolver.async_resolve(
      settings_.host, std::to_string(settings_.port),
      [this, connection, where, frames = std::move(frames), done = std::move(done)](
          boost::system::error_code ec, tcp::resolver::results_type results) mutable {
        if (ec || connection->closed) {
          return fail(connection,
                      SinkOutcome::failed(connection->timed_out ? "timeout" : "resolve",
                                          "cannot resolve " + settings_.host + ": " +
                                              (connection->timed_out ? "timed out" : ec.message())),
                      std::move(done));
        }
        asio::async_connect(
            connection->stream.lowest_layer(), results,
            [this, connection, where, frames = std::move(frames), done = std::move(done)](
                boost::system::error_code ec, const tcp::endpoint&) mutable {
              if (ec || connection->closed) {
                return fail(
                    connection,
                    SinkOutcome::failed(connection->timed_out ? "timeout" : "connect",
                                        "cannot connect to " + where + ": " +
                                            (connection->timed_out ? "timed out" : ec.message())),
                    std::move(done));
              }
              // Unacknowledged bytes older than the timeout end the connection (a server that
              // vanished without a FIN), instead of TCP's retransmissions for many minutes.
              const auto fd = connection->stream.lowest_layer().native_handle();
              const unsigned user_timeout = static_cast<unsigned>(settings_.timeout.count() * 1000);
              ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
              handshake(connection, std::move(frames), std::move(done));
            });
      });
}

void SyslogTlsSink::handshake(const std::shared_ptr<SyslogConnection>& connection,
                              std::string frames, Done done) {
  SSL* ssl = connection->stream.native_handle();
  const std::string& name = settings_.server_name;
  // OpenSSL checks the name during verification, so a mismatch is a verify error it can name.
  const bool name_set = is_ip_address(name)
                            ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
                            : SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 &&
                                  SSL_set1_host(ssl, name.c_str()) == 1;
  if (!name_set) {
    return fail(connection,
                SinkOutcome::failed("tls", "cannot set the server name " + name + " to verify"),
                std::move(done));
  }
  connection->stream.async_handshake(
      asio::ssl::stream_base::client,
      [this, connection, frames = std::move(frames),
       done = std::move(done)](boost::system::error_code ec) mutable {
        if (ec || connection->closed) {
          const long verify = SSL_get_verify_result(connection->stream.native_handle());
          if (!connection->timed_out && verify != X509_V_OK) {
            // Nothing was sent: the handshake stopped at the certificate.
            return fail(
                connection,
                SinkOutcome::failed(
                    "tls_verify", "the server certificate does not verify against " +
                                      settings_.ca_file.string() + " for " + settings_.server_name +
                                      ": " + X509_verify_cert_error_string(verify)),
                std::move(done));
          }
          return fail(connection,
                      SinkOutcome::failed(connection->timed_out ? "timeout" : "tls",
                                          "TLS handshake with " + settings_.host + " failed: " +
                                              (connection->timed_out ? "timed out" : ec.message())),
                      std::move(done));
        }
        watch_for_close(connection);
        write(connection, std::move(frames), std::move(done));
      });
}

void SyslogTlsSink::write(const std::shared_ptr<SyslogConnection>& connection, std::string frames,
                          Done done) {
  arm_syslog_deadline(connection, settings_.timeout);  // the write and its acknowledgement
  auto bytes = std::make_shared<std::string>(std::move(frames));
  asio::async_write(
      connection->stream, asio::buffer(*bytes),
      [this, connection, bytes, done = std::move(done)](boost::system::error_code ec,
                                                        std::size_t) mutable {
        if (ec || connection->closed) {
          return fail(connection,
                      SinkOutcome::failed(connection->timed_out ? "timeout" : "write",
                                          "cannot write to " + settings_.host + ": " +
                                              (connection->timed_out ? "timed out" : ec.message())),
                      std::move(done));
        }
        confirm(connection, std::chrono::steady_clock::now(), std::move(done));
      });
}

void SyslogTlsSink::confirm(const std::shared_ptr<SyslogConnection>& connection,
                            std::chrono::steady_clock::time_point written_at, Done done) {
  if (connection->closed) {
    return fail(connection,
                SinkOutcome::failed(connection->timed_out ? "timeout" : "closed",
                                    "the connection to " + settings_.host +
                                        " ended before the server acknowledged (" +
                                        connection->closed_why + ")"),
                std::move(done));
  }
  const int fd = connection->stream.lowest_layer().native_handle();
  int unacknowledged = 0;
  const bool queue_known = ::ioctl(fd, SIOCOUTQ, &unacknowledged) == 0;
  const bool settled = std::chrono::steady_clock::now() - written_at >= 20ms;
  if (queue_known && unacknowledged == 0 && settled && peer_still_there(fd)) {
    connection->deadline.cancel();
    return done({});
  }
  connection->poll.expires_after(10ms);
  connection->poll.async_wait(
      [this, connection, written_at, done = std::move(done)](boost::system::error_code) mutable {
        confirm(connection, written_at, std::move(done));
      });
}

void SyslogTlsSink::fail(const std::shared_ptr<SyslogConnection>& connection, SinkOutcome outcome,
                         Done done) {
  connection->close();
  if (connection_ == connection) connection_.reset();
  done(std::move(outcome));
}

}  // namespace jit::broker
