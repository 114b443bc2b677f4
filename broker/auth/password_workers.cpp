#include "broker/auth/password_workers.hpp"

#include <algorithm>

namespace jit::broker {

PasswordWorkers::PasswordWorkers(unsigned threads, std::size_t max_queue) : max_queue_(max_queue) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency() / 2);
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

PasswordWorkers::~PasswordWorkers() { stop(); }

bool PasswordWorkers::post(std::function<void()> job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void PasswordWorkers::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable() && thread.get_id() != std::this_thread::get_id()) thread.join();
  }
  // `dropped` goes out of scope here, outside the lock: its captures may do anything.
}

void PasswordWorkers::run() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      job();
    } catch (...) {
      // A job answers its own errors; one that throws must not take the worker down with it.
    }
  }
}

}  // namespace jit::broker
