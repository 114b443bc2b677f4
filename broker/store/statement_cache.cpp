#include "broker/store/statement_cache.hpp"

#include <mutex>
#include <unordered_map>

namespace jit::broker {

struct CachedStatementEntry {
  std::unique_ptr<SQLite::Statement> statement;
  bool in_use = false;
};

namespace {

struct ConnectionCache {
  std::size_t capacity = 0;
  std::unordered_map<std::string, CachedStatementEntry> entries;
};

struct Registry {
  std::mutex mutex;
  std::unordered_map<sqlite3*, std::unique_ptr<ConnectionCache>> caches;
};

Registry& registry() {
  static Registry instance;
  return instance;
}

ConnectionCache* cache_of(SQLite::Database& db) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  auto it = r.caches.find(db.getHandle());
  return it == r.caches.end() ? nullptr : it->second.get();
}

}  // namespace

PreparedStatement::PreparedStatement(CachedStatementEntry& cached) : cached_(&cached) {
  cached.in_use = true;
}

PreparedStatement::PreparedStatement(PreparedStatement&& other) noexcept
    : own_(std::move(other.own_)), cached_(other.cached_) {
  other.cached_ = nullptr;
}

PreparedStatement::~PreparedStatement() {
  if (cached_ == nullptr) return;
  // tryReset: a failed last step must not throw here; the error was already reported to the user.
  cached_->statement->tryReset();
  cached_->statement->clearBindings();
  cached_->in_use = false;
}

SQLite::Statement* PreparedStatement::statement_() const {
  return cached_ != nullptr ? cached_->statement.get() : own_.get();
}

PreparedStatement prepare_cached(SQLite::Database& db, const std::string& sql) {
  ConnectionCache* cache = cache_of(db);
  if (cache != nullptr) {
    auto it = cache->entries.find(sql);
    if (it == cache->entries.end() && cache->entries.size() < cache->capacity) {
      // Prepared before insertion, so a statement that fails to prepare leaves no entry.
      auto statement = std::make_unique<SQLite::Statement>(db, sql);
      it = cache->entries.emplace(sql, CachedStatementEntry{std::move(statement), false}).first;
    }
    if (it != cache->entries.end() && !it->second.in_use) return PreparedStatement(it->second);
  }
  return PreparedStatement(std::make_unique<SQLite::Statement>(db, sql));
}

void enable_statement_cache(SQLite::Database& db, std::size_t capacity) {
  auto cache = std::make_unique<ConnectionCache>();
  cache->capacity = capacity;
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  r.caches[db.getHandle()] = std::move(cache);
}

void drop_statement_cache(SQLite::Database& db) {
  std::unique_ptr<ConnectionCache> dropped;
  {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.caches.find(db.getHandle());
    if (it == r.caches.end()) return;
    dropped = std::move(it->second);
    r.caches.erase(it);
  }
  // `dropped` finalizes its statements here, before the caller closes the connection.
}

}  // namespace jit::broker
