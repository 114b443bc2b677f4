#include "broker/store/store_url.hpp"

#include "broker/store/store_error.hpp"
#include "config/secret_file.hpp"

#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace jit::broker {
namespace {

std::string trimmed(std::string text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  return text;
}

struct FreeConninfoOptions {
  void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

}  // namespace

std::string read_store_url(const std::optional<std::string>& url_env,
                           const std::optional<std::filesystem::path>& url_file) {
  if (url_env.has_value() == url_file.has_value()) {
    throw std::runtime_error("give exactly one of --url-env VAR and --url-file FILE");
  }
  if (url_env) {
    const char* value = std::getenv(url_env->c_str());
    if (value == nullptr || *value == '\0') {
      throw std::runtime_error("environment variable " + *url_env + " is not set");
    }
    return value;
  }
  if (auto exposed = config::secret_file_exposure(*url_file, "the connection string file")) {
    throw std::runtime_error(*exposed);
  }
  std::ifstream in(*url_file, std::ios::binary);
  std::ostringstream text;
  if (!in || !(text << in.rdbuf())) {
    throw std::runtime_error("cannot read the connection string file " + url_file->string());
  }
  std::string url = trimmed(text.str());
  if (url.empty()) throw std::runtime_error(url_file->string() + " is empty");
  return url;
}

std::string configured_store_url(const config::StoreSettings& store) {
  try {
    return read_store_url(store.url_env, store.url_file);
  } catch (const std::runtime_error& e) {
    throw StoreOpenError(std::string("store: ") + e.what());
  }
}

bool conninfo_has_password(const std::string& conninfo) {
  char* error = nullptr;
  const std::unique_ptr<PQconninfoOption, FreeConninfoOptions> options(
      PQconninfoParse(conninfo.c_str(), &error));
  PQfreemem(error);  // libpq's message may quote the string
  if (!options) return true;
  for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
    if (std::string_view(option->keyword) == "password" && option->val != nullptr &&
        *option->val != '\0') {
      return true;
    }
  }
  return false;
}

}  // namespace jit::broker
