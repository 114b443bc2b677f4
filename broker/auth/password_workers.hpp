// The threads password logins run on (issue 14, B5): scrypt takes ~60 ms of CPU and 16 MiB, so it
// never runs on an HTTP I/O thread. A fixed number of threads and a bounded queue: when the queue
// is full, post() refuses at once and the caller answers 429 without hashing anything.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace jit::broker {

class PasswordWorkers {
 public:
  // threads 0: half the hardware threads, at least one.
  PasswordWorkers(unsigned threads, std::size_t max_queue);
  ~PasswordWorkers();  // stop()
  PasswordWorkers(const PasswordWorkers&) = delete;
  PasswordWorkers& operator=(const PasswordWorkers&) = delete;

  // Queues `job`; false (and `job` is dropped unrun) when max_queue jobs wait or after stop().
  bool post(std::function<void()> job);

  // Drops the jobs still waiting (their captures are released unrun) and joins the threads after
  // the running jobs return. Idempotent.
  void stop();

 private:
  void run();

  const std::size_t max_queue_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace jit::broker
