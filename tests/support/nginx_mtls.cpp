#include "tests/support/nginx_mtls.hpp"

#include "tests/support/files.hpp"

#include <csignal>
#include <thread>

namespace jit::testing {
namespace {

constexpr const char* kNginxMtlsConfig = R"(daemon off;
master_process off;
worker_processes 1;
pid @DIR@/nginx.pid;
error_log @DIR@/nginx-error.log info;
events { worker_connections 16; }
http {
  access_log off;
  client_body_temp_path @DIR@/tmp;
  proxy_temp_path @DIR@/tmp;
  fastcgi_temp_path @DIR@/tmp;
  uwsgi_temp_path @DIR@/tmp;
  scgi_temp_path @DIR@/tmp;
  server {
    listen 127.0.0.1:@PORT@ ssl;
    ssl_certificate @CERT@;
    ssl_certificate_key @KEY@;
    ssl_client_certificate @CLIENT_CA@;
    ssl_verify_client on;
    ssl_verify_depth 2;
    ssl_crl @CRL@;
    location / { default_type text/plain; return 200 "$ssl_client_s_dn\n"; }
  }
}
)";

ProcessResult curl_to(int port, const std::filesystem::path& server_certificate,
                      const std::vector<std::string>& client) {
  std::vector<std::string> argv{
      "/usr/bin/curl", "-sS", "--max-time", "10", "--cacert", server_certificate.string()};
  argv.insert(argv.end(), client.begin(), client.end());
  argv.insert(argv.end(),
              {"-w", "\n%{http_code}", "https://localhost:" + std::to_string(port) + "/"});
  return run_process(argv);
}

}  // namespace

NginxMtlsServer::NginxMtlsServer(const std::filesystem::path& dir, NginxMtlsFiles files)
    : dir_(dir), files_(std::move(files)), port_(free_loopback_port()) {
  std::filesystem::create_directories(dir_ / "tmp");
  std::string config = kNginxMtlsConfig;
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"@DIR@", dir_.string()},
                                 {"@PORT@", std::to_string(port_)},
                                 {"@CERT@", files_.server_certificate.string()},
                                 {"@KEY@", files_.server_key.string()},
                                 {"@CLIENT_CA@", files_.client_ca.string()},
                                 {"@CRL@", files_.crl.string()}}) {
    for (auto at = config.find(from); at != std::string::npos; at = config.find(from, at)) {
      config.replace(at, from.size(), to);
    }
  }
  write_text(dir_ / "nginx.conf", config);
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{kNginxBinary.string(), "-p", dir_.string(), "-c",
                               (dir_ / "nginx.conf").string(), "-e",
                               (dir_ / "nginx-error.log").string()},
      dir_);
  // Without a client certificate nginx answers 400 once it listens; curl's 7 is "refused".
  for (int i = 0; i < 100 && curl_to(port_, files_.server_certificate, {}).exit_code == 7; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

NginxMtlsServer::~NginxMtlsServer() {
  process_->signal(SIGTERM);
  (void)process_->wait(std::chrono::seconds(10));
}

ProcessResult NginxMtlsServer::request(const std::filesystem::path& certificate,
                                       const std::filesystem::path& key) const {
  return curl_to(port_, files_.server_certificate,
                 {"--cert", certificate.string(), "--key", key.string()});
}

std::string NginxMtlsServer::error_log() const { return read_text(dir_ / "nginx-error.log"); }

}  // namespace jit::testing
