#include "broker/store/db/postgres_connection.hpp"

#include "broker/store/db/placeholders.hpp"

#include <optional>

namespace jit::broker::db {
namespace {

template <typename Fn>
auto postgres_guard(Fn&& fn) {
  try {
    return fn();
  } catch (const pg::Error& e) {
    throw postgres_error(e);
  }
}

// A statement is its numbered SQL and its parameters; the server-side prepared statement is kept
// by pg::Connection, once per SQL text and parameter types, so preparing here costs nothing and
// `cached` changes nothing.
class PostgresStatement final : public StatementBackend {
 public:
  PostgresStatement(pg::Connection& connection, NumberedSql sql)
      : connection_(connection),
        sql_(std::move(sql.sql)),
        params_(static_cast<std::size_t>(sql.parameter_count), pg::Param(nullptr)) {}

  int parameter_count() const override { return static_cast<int>(params_.size()); }
  void bind_int64(int index, std::int64_t value) override { param(index) = pg::Param(value); }
  void bind_text(int index, std::string_view value) override { param(index) = pg::Param(value); }
  void bind_bytes(int index, std::span<const std::byte> value) override {
    param(index) =
        pg::Param::bytes({reinterpret_cast<const std::uint8_t*>(value.data()), value.size()});
  }
  void bind_null(int index) override { param(index) = pg::Param(nullptr); }

  bool step() override {
    if (!result_) {
      result_ = run();
      row_ = -1;
    }
    if (row_ < result_->rows()) ++row_;
    return row_ < result_->rows();
  }
  std::int64_t exec() override {
    const pg::Result result = run();
    result_.reset();
    return result.affected_rows();
  }
  void exec_deferred() override {
    result_.reset();
    postgres_guard([&] { connection_.execute_deferred(sql_, params_); });
  }
  void reset() override { result_.reset(); }
  int column_count() const override { return result_ ? result_->columns() : 0; }
  bool is_null(int column) const override {
    return postgres_guard([&] { return result_->is_null(row_, column); });
  }
  std::int64_t get_int64(int column) const override {
    return postgres_guard([&] { return result_->get_int64(row_, column); });
  }
  double get_double(int column) const override {
    return postgres_guard([&] { return result_->get_double(row_, column); });
  }
  std::string get_text(int column) const override {
    return postgres_guard([&] { return result_->get_text(row_, column); });
  }
  std::vector<std::byte> get_bytes(int column) const override {
    const auto bytes = postgres_guard([&] { return result_->get_bytes(row_, column); });
    const auto* data = reinterpret_cast<const std::byte*>(bytes.data());
    return std::vector<std::byte>(data, data + bytes.size());
  }

 private:
  pg::Param& param(int index) { return params_.at(static_cast<std::size_t>(index - 1)); }
  pg::Result run() {
    return postgres_guard([&] { return connection_.execute(sql_, params_); });
  }

  pg::Connection& connection_;
  std::string sql_;
  std::vector<pg::Param> params_;
  std::optional<pg::Result> result_;
  int row_ = -1;
};

}  // namespace

Error postgres_error(const pg::Error& e) {
  switch (e.failure()) {
    case pg::Failure::connection:
    case pg::Failure::timeout:
    case pg::Failure::bad_connection_string:
      return Error(Failure::unavailable, e.what());
    case pg::Failure::retry:
      return Error(Failure::retry, e.what());
    case pg::Failure::unique_violation:
      return Error(Failure::unique_violation, e.what());
    case pg::Failure::other:
      break;
  }
  return Error(Failure::other, e.what());
}

std::unique_ptr<PostgresConnection> PostgresConnection::connect(const std::string& conninfo) {
  return postgres_guard(
      [&] { return std::make_unique<PostgresConnection>(pg::Connection::connect(conninfo)); });
}

void PostgresConnection::exec_script(std::string_view sql) {
  postgres_guard([&] { connection_.execute_script(sql); });
}

std::unique_ptr<StatementBackend> PostgresConnection::prepare(std::string_view sql,
                                                              bool /*cached*/) {
  return std::make_unique<PostgresStatement>(connection_, number_placeholders(sql));
}

void PostgresConnection::begin_write() { exec_script("BEGIN ISOLATION LEVEL READ COMMITTED"); }

void PostgresConnection::enter_pipeline() {
  postgres_guard([&] { connection_.enter_pipeline(); });
}

void PostgresConnection::exit_pipeline() noexcept { connection_.exit_pipeline(); }

void PostgresConnection::exec_script_deferred(std::string_view sql) {
  postgres_guard([&] { connection_.execute_deferred(sql); });
}

std::optional<DeferredFailure> PostgresConnection::take_deferred_failure() {
  auto failure = connection_.take_deferred_failure();
  if (!failure) return std::nullopt;
  return DeferredFailure{failure->tag, postgres_error(failure->error)};
}

void PostgresConnection::commit() {
  // COMMIT of a transaction in which a statement failed succeeds as "ROLLBACK": never taken for
  // a commit.
  const auto status = postgres_guard([&] { return connection_.execute_script("COMMIT"); });
  if (status.command_status() != "COMMIT") {
    throw Error(Failure::other, "PostgreSQL: the transaction was rolled back, not committed");
  }
}

}  // namespace jit::broker::db
