// Pipeline mode of pg::Connection (pg_connection.hpp; docs/architecture.md, "The writer on
// PostgreSQL"). The writer holds the cluster's audit chain lock for a whole batch, so every round
// trip inside a batch delays every broker's writes: statements whose results nobody reads (the
// savepoints, the INSERTs of a certificate and of its audit record) are sent without waiting and
// ride along with the next statement that does wait. libpq answers every command in the order it
// was sent: its result, then a null; a Sync answers PGRES_PIPELINE_SYNC. After a failure the
// server skips every command up to the next Sync, each then answered PGRES_PIPELINE_ABORTED.
#include "broker/store/pg/pg_connection.hpp"

#include <libpq-fe.h>

namespace jit::broker::pg {

void Connection::enter_pipeline() {
  if (pipeline_) return;
  if (PQenterPipelineMode(conn_.get()) != 1) {
    pipeline_broken("PostgreSQL: cannot enter pipeline mode");
  }
  pipeline_ = true;
  deferred_failure_.reset();
}

void Connection::exit_pipeline() noexcept {
  if (!pipeline_) return;
  try {
    if (!pending_.empty()) read_through_sync();
  } catch (const Error&) {
    // The failure was kept for take_deferred_failure(), or the connection is gone.
  } catch (...) {
    unusable_ = true;  // out of memory: what the server still has to say is unknown
    pending_.clear();
  }
  pipeline_ = false;
  deferred_failure_.reset();
  if (PQexitPipelineMode(conn_.get()) != 1) {
    // Results still unread on a connection that is not gone: nobody can tell what they belong
    // to any more, so the session is given up and the next caller opens a new one.
    unusable_ = true;
    pending_.clear();
  }
}

void Connection::execute_deferred(std::string_view sql, std::span<const Param> params) {
  if (!pipeline_) {
    execute(sql, params);
    return;
  }
  send_prepared(sql, BoundParams(sql, params), /*waited_for=*/false);
}

void Connection::sync() {
  if (pipeline_ && !pending_.empty()) read_through_sync();
}

std::optional<DeferredFailure> Connection::take_deferred_failure() {
  std::optional<DeferredFailure> failure;
  failure.swap(deferred_failure_);
  return failure;
}

void Connection::send_prepared(std::string_view sql, const BoundParams& bound, bool waited_for) {
  auto found = prepared_.find(bound.key);
  if (found == prepared_.end()) {
    // Counted as prepared from now on; read_through_sync() forgets it again unless the server
    // answers the Parse with success.
    std::string name = "jit_" + std::to_string(prepared_.size() + 1);
    if (PQsendPrepare(conn_.get(), name.c_str(), std::string(sql).c_str(), bound.count(),
                      bound.types.data()) != 1) {
      pipeline_broken("PostgreSQL: cannot send a statement");
    }
    pending_.push_back({deferred_tag_, waited_for, bound.key});
    found = prepared_.emplace(bound.key, std::move(name)).first;
  }
  if (PQsendQueryPrepared(conn_.get(), found->second.c_str(), bound.count(), bound.values.data(),
                          bound.lengths.data(), bound.formats.data(),
                          /*resultFormat=*/1) != 1) {
    pipeline_broken("PostgreSQL: cannot send a statement");
  }
  pending_.push_back({deferred_tag_, waited_for, {}});
}

std::optional<Result> Connection::read_through_sync() {
  if (PQpipelineSync(conn_.get()) != 1) pipeline_broken("PostgreSQL: cannot send a Sync");
  std::optional<Result> waited;
  std::optional<Error> first_error;  // the failure that made the server skip the rest
  bool waits = false;
  while (!pending_.empty()) {
    const Pending entry = std::move(pending_.front());
    pending_.pop_front();
    waits = waits || entry.waited_for;
    pg_result* raw = PQgetResult(conn_.get());
    if (raw == nullptr) pipeline_broken("PostgreSQL connection failed");
    Result result(raw);
    // Each command's results end with a null (there is one result per command here).
    while (pg_result* extra = PQgetResult(conn_.get())) {
      const Result discarded(extra);
    }
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
      if (entry.waited_for && entry.prepared_key.empty()) waited.emplace(std::move(result));
      continue;
    }
    if (!entry.prepared_key.empty()) prepared_.erase(entry.prepared_key);
    if (status == PGRES_PIPELINE_ABORTED) continue;  // skipped after first_error
    Error error = error_of(raw);
    if (!entry.waited_for && !deferred_failure_) deferred_failure_ = {entry.tag, error};
    if (!first_error) first_error = std::move(error);
  }
  pg_result* raw = PQgetResult(conn_.get());
  if (raw == nullptr) pipeline_broken("PostgreSQL connection failed");
  const Result sync_result(raw);
  if (PQresultStatus(raw) != PGRES_PIPELINE_SYNC || PQstatus(conn_.get()) == CONNECTION_BAD) {
    pipeline_broken("PostgreSQL connection failed");
  }
  if (first_error) throw *first_error;
  if (waits && !waited) throw Error(Failure::other, "", "PostgreSQL: a statement went unanswered");
  return waited;
}

void Connection::pipeline_broken(std::string_view what) {
  // What libpq still expects no longer matches pending_: the session is given up (its owner
  // closes it, and the server then rolls its transaction back). Counted as a connection failure
  // (503) whatever PQstatus says: libpq may not have seen the socket close yet when the server's
  // last word was a FATAL error, and a send it refuses on a live connection (out of memory) is
  // no more a bug of the caller's.
  unusable_ = true;
  pending_.clear();
  throw_connection_error(what);
}

}  // namespace jit::broker::pg
