// One write batch of the store's writer on PostgreSQL (docs/architecture.md, "The writer on
// PostgreSQL"). A batch holds the cluster's audit chain lock from its start to its COMMIT, so its
// round trips to the server delay the writes of every broker. The connection is in pipeline mode
// for the batch: BEGIN, the lock and the head read share one round trip, and the statements nobody
// reads a result of (each job's savepoint, the INSERTs of a certificate and of an audit record)
// ride along with the next statement that waits, a job's first read or the COMMIT. A mint is then
// one round trip instead of four.
//
// The price is that a deferred statement's failure shows later, at that next wait, and the server
// skips everything sent after it up to there. The failure carries the index of the job that sent
// it (the deferred tag); the innermost savepoint is still that job's, as its RELEASE was skipped
// too. So the writer rolls back to it: that job gets its failure, the jobs whose statements the
// server skipped (only those run since, within this batch) answer `unavailable`, and the batch goes
// on and commits the rest.
#include "broker/store/db/postgres_connection.hpp"
#include "broker/store/store.hpp"

#include <limits>

namespace jit::broker {
namespace {

// The tag of the statements that open a batch, before any job.
constexpr std::size_t kBatchStartTag = std::numeric_limits<std::size_t>::max();

}  // namespace

Store::BatchOutcome Store::run_postgres_batch(std::vector<PendingWrite>& batch,
                                              std::vector<boost::system::error_code>& results) {
  auto& pg = dynamic_cast<db::PostgresConnection&>(*writer_db_);
  std::vector<AuditHead> heads_before(batch.size());
  // Job `failure.tag` failed in a statement sent without waiting; every job since, up to
  // `current`, had its statements skipped. Throws (ending the whole batch) when the rollback
  // fails.
  const auto recover = [&](const db::DeferredFailure& failure, std::size_t current) {
    if (failure.tag >= batch.size() || failure.tag > current) throw failure.error;
    pg.exec_script("ROLLBACK TO job");
    head_ = heads_before[failure.tag];
    results[failure.tag] = failure_code(failure.error);
    for (std::size_t j = failure.tag + 1; j <= current; ++j) results[j] = BrokerErrc::unavailable;
  };
  bool jobs_started = false;
  bool committing = false;
  try {
    pg.enter_pipeline();
    pg.set_deferred_tag(kBatchStartTag);
    pg.exec_script_deferred("BEGIN ISOLATION LEVEL READ COMMITTED");
    // Another broker or an admin command may have appended audit records since our last batch;
    // under the chain's lock the head read here is the true one until this transaction ends.
    lock_audit_chain(pg);
    head_ = load_audit_head(pg);
    jobs_started = true;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (i > 0) {
        pg.set_deferred_tag(i - 1);  // the previous job's changes are kept from here on
        pg.exec_script_deferred("RELEASE job");
      }
      pg.set_deferred_tag(i);
      pg.exec_script_deferred("SAVEPOINT job");
      heads_before[i] = head_;
      WriteContext context(pg, audit_key_, head_, options_.clock_us());
      results[i] = run_job(batch[i].job, context);
      auto failure = pg.take_deferred_failure();
      if (!failure && results[i]) {
        try {
          pg.exec_script("ROLLBACK TO job");
          head_ = heads_before[i];
        } catch (const db::Error&) {
          // A deferred statement failed first and the server skipped the rollback: recovered
          // below. Any other failure (the connection) ends the batch.
          failure = pg.take_deferred_failure();
          if (!failure) throw;
        }
      }
      if (failure) recover(*failure, i);
    }
    committing = true;
    try {
      pg.commit();
    } catch (const db::Error&) {
      // A deferred statement of the last jobs failed and the server skipped the COMMIT: the
      // transaction is still open, the failed job is rolled back and the rest committed.
      auto failure = pg.take_deferred_failure();
      if (!failure) throw;
      recover(*failure, batch.size() - 1);
      pg.commit();
    }
    pg.exit_pipeline();
    commits_.fetch_add(1, std::memory_order_relaxed);
    writer_available_.store(true, std::memory_order_relaxed);
    return BatchOutcome::committed;
  } catch (const db::Error& e) {
    const auto outcome = batch_failed(e, results, jobs_started, committing);
    pg.exit_pipeline();
    // A session given up while the server still serves it may hold the chain lock in an open
    // transaction, stalling every broker's writes: closed now, not at the next write.
    if (!pg.usable()) writer_db_.reset();
    return outcome;
  }
}

}  // namespace jit::broker
