// ChildProcess forks from test processes that run other threads (load clients, a broker's
// servers). After such a fork the child may make only async-signal-safe calls until exec: an
// allocation can wait for ever on an allocator lock that another thread held at the fork. clang
// 14's ASan allocator does this; the crash-safety test's `jit-broker audit verify` once hung 30 s
// in CI that way, before it could exec. So this binary, on its own, replaces operator new so that
// any C++ allocation in a forked child ends the child with exit code 99 instead of hanging now and
// then.
#include "tests/support/child_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <new>

namespace {

std::atomic<bool> in_forked_child{false};

const bool fork_handler_registered =
    ::pthread_atfork(nullptr, nullptr, [] { in_forked_child.store(true); }) == 0;

}  // namespace

void* operator new(std::size_t size) {
  if (in_forked_child.load()) ::_exit(99);
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }

namespace jit::testing {
namespace {

TEST(ChildProcess, RunsAProgramWithoutAllocatingBetweenForkAndExec) {
  ASSERT_TRUE(fork_handler_registered);
  TempDir dir;
  auto [code, out, err] =
      ChildProcess::run({"/bin/sh", "-c", "printf '%s ' \"$JIT_CHILD_TEST\"; cat"}, dir.path(),
                        {"JIT_CHILD_TEST=hello"}, "from stdin");
  EXPECT_EQ(code, 0) << err;  // 99: the child allocated after fork
  EXPECT_EQ(out, "hello from stdin");
}

TEST(ChildProcess, AddedVariablesReplaceInheritedOnes) {
  ASSERT_EQ(::setenv("JIT_CHILD_REPLACED", "inherited", 1), 0);
  ASSERT_EQ(::setenv("JIT_CHILD_KEPT", "kept", 1), 0);
  TempDir dir;
  auto [code, out, err] =
      ChildProcess::run({"/bin/sh", "-c", "env | grep '^JIT_CHILD_' | sort"}, dir.path(),
                        {"JIT_CHILD_REPLACED=added", "JIT_CHILD_NEW=new"});
  EXPECT_EQ(code, 0) << err;
  EXPECT_EQ(out, "JIT_CHILD_KEPT=kept\nJIT_CHILD_NEW=new\nJIT_CHILD_REPLACED=added\n");
}

TEST(ChildProcess, ReportsTheExitCodeOfAProgramThatCannotStart) {
  TempDir dir;
  auto [code, out, err] = ChildProcess::run({"/nonexistent/program"}, dir.path());
  EXPECT_EQ(code, 127);
}

}  // namespace
}  // namespace jit::testing
