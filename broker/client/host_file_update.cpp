#include "broker/client/host_file_update.hpp"

#include "broker/client/host_setup_files.hpp"
#include "broker/client/http_client.hpp"
#include "ca/atomic_file.hpp"

#include <boost/beast/core/string.hpp>

#include <ostream>
#include <system_error>

namespace jit::broker {
namespace {

namespace fs = std::filesystem;

// The whole file as text; nullopt when it does not exist or cannot be read.
std::optional<std::string> installed_text(const fs::path& path, std::size_t max_bytes) {
  auto content = ca::read_file(path, max_bytes);
  if (!content) return std::nullopt;
  return std::string(ca::as_chars(*content));
}

std::string header_value(const ClientResponse& response, std::string_view name) {
  for (const auto& [field, value] : response.headers) {
    if (boost::beast::iequals(field, name)) return value;
  }
  return {};
}

// The ETag to send: only when the file in place still passes the check, so that a damaged or
// hand-edited file is fetched again in full rather than kept by a 304.
std::optional<std::string> usable_etag(const BrokerFile& file,
                                       const std::optional<std::string>& installed) {
  if (!file.conditional || !installed || !file.check(*installed, std::nullopt).empty())
    return std::nullopt;
  auto etag = installed_text(etag_path(file.file), 1024);
  if (!etag) return std::nullopt;
  while (!etag->empty() && (etag->back() == '\n' || etag->back() == '\r')) etag->pop_back();
  if (!is_entity_tag(*etag)) return std::nullopt;
  return etag;
}

}  // namespace

bool is_entity_tag(std::string_view text) noexcept {
  if (text.starts_with("W/")) text.remove_prefix(2);
  if (text.size() < 2 || text.size() > 256 || text.front() != '"' || text.back() != '"')
    return false;
  for (char c : text.substr(1, text.size() - 2)) {
    if (c <= 0x20 || c >= 0x7f || c == '"') return false;
  }
  return true;
}

FileUpdate update_broker_file(const CliProfile& profile, const BrokerFile& file, std::ostream& out,
                              std::ostream& err) {
  const std::string url = profile.broker_url + file.target;
  const auto fail = [&](const std::string& problem) {
    err << "jit: " << file.what << " from " << url << ": " << problem << "; " << file.file.string()
        << " left as it was\n";
    return FileUpdate::failed;
  };
  auto parsed_url = parse_url(url);
  if (!parsed_url) return fail("not a valid URL");
  // What sshd and nginx trust must come from the broker it claims to come from.
  if (!parsed_url->tls) return fail("the broker URL must be https://");

  const auto installed = installed_text(file.file, file.max_bytes);
  const auto etag = usable_etag(file, installed);
  ClientRequest request;
  request.url = *parsed_url;
  request.max_response_bytes = file.max_bytes;
  if (etag) request.headers.emplace_back("If-None-Match", *etag);
  ClientTlsOptions tls;
  if (profile.ca_file) tls.ca_file = *profile.ca_file;
  const auto response = fetch(tls, std::move(request));
  if (!response) return fail("cannot fetch it: " + response.error().message());
  if (response->status == 304 && etag) {
    out << file.what << " " << file.file.string() << ": unchanged (304 Not Modified)\n";
    return FileUpdate::unchanged;
  }
  if (response->status != 200)
    return fail("the broker answered HTTP " + std::to_string(response->status));
  if (const auto problem = file.check(response->body, installed); !problem.empty())
    return fail("refused: " + problem);

  std::error_code ec;
  fs::create_directories(file.file.parent_path(), ec);
  if (!ca::write_file_atomically(file.file, ca::as_bytes(response->body), 0644))
    return fail("cannot write the file");
  if (file.conditional) {
    // Written after the list: a crash in between leaves an old ETag, which only costs a full
    // fetch next time (the broker's ETag for the new list differs).
    const auto tag = header_value(*response, "ETag");
    if (is_entity_tag(tag)) {
      const std::string line = tag + "\n";
      if (!ca::write_file_atomically(etag_path(file.file), ca::as_bytes(line), 0644)) {
        err << "jit: cannot write " << etag_path(file.file).string()
            << " (the next refresh fetches the whole list)\n";
      }
    } else {
      fs::remove(etag_path(file.file), ec);
    }
  }
  out << file.what << " " << file.file.string() << ": replaced\n";
  return FileUpdate::replaced;
}

}  // namespace jit::broker
