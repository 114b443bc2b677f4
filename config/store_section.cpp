// broker.yaml's `store` section (docs/architecture.md, "Store backends (SQLite and PostgreSQL)"):
// `backend: sqlite` (the default, <data_dir>/broker.db) or `backend: postgresql` with the libpq
// connection string in an environment variable (url_env) or a file (url_file). The string carries
// the password, so broker.yaml never holds it inline.
#include "config/broker_sections.hpp"
#include "config/syntax.hpp"

namespace jit::config::detail {

StoreSettings read_store(const YamlValue& value, const std::filesystem::path& base) {
  const YamlMap map = value.map({"backend", "url_env", "url_file"});
  StoreSettings store;
  if (const YamlValue* v = map.find("backend")) {
    const std::string name = v->string("sqlite or postgresql");
    if (name == "postgresql") {
      store.backend = StoreBackend::postgresql;
    } else if (name != "sqlite") {
      v->fail("'" + name + "' is not a store backend", "sqlite or postgresql");
    }
  }
  if (const YamlValue* v = map.find("url_env")) {
    std::string name = v->string("an environment variable name");
    if (!syntax::is_env_var_name(name)) {
      v->fail("'" + name + "' is not an environment variable name", "[A-Za-z_][A-Za-z0-9_]*");
    }
    store.url_env = std::move(name);
  }
  if (const YamlValue* v = map.find("url_file")) {
    if (store.url_env) {
      v->fail("url_env and url_file are both set",
              "one connection string source: url_env or url_file");
    }
    store.url_file = v->path(base);
  }
  const bool has_url = store.url_env || store.url_file;
  if (store.backend == StoreBackend::postgresql && !has_url) {
    map.fail_missing("url_env",
                     "where the PostgreSQL connection string comes from: url_env or url_file");
  }
  if (store.backend == StoreBackend::sqlite && has_url) {
    (store.url_env ? map.find("url_env") : map.find("url_file"))
        ->fail("a connection string is set for the sqlite backend", "backend: postgresql");
  }
  return store;
}

}  // namespace jit::config::detail
