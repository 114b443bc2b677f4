// The data key file (issue 14 E23): two processes starting at once on a fresh data folder must end
// with the same key, or TOTP secrets sealed by one cannot be opened by the other.
#include "broker/auth/data_key.hpp"
#include "broker/store/store_error.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <fstream>
#include <latch>
#include <thread>
#include <vector>

namespace jit::broker {
namespace {

TEST(DataKey, CreatorsRacingOnAFreshFolderAllEndWithTheSameKey) {
  constexpr int kRounds = 40;
  constexpr int kThreads = 6;
  int rounds_with_two_keys = 0;
  for (int round = 0; round < kRounds; ++round) {
    testing::TempDir dir;
    const auto file = dir.path() / "data.key";
    std::vector<ca::Bytes> keys(kThreads);
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        keys[static_cast<std::size_t>(t)] = load_or_create_data_key(file);
      });
    }
    for (auto& thread : threads) thread.join();
    const auto on_disk = load_or_create_data_key(file);
    bool differ = false;
    for (const auto& key : keys) differ = differ || key != on_disk;
    rounds_with_two_keys += differ ? 1 : 0;
  }
  EXPECT_EQ(rounds_with_two_keys, 0) << "of " << kRounds << " rounds";
}

TEST(DataKey, IsMadeWithMode0600AndReadBackUnchanged) {
  testing::TempDir dir;
  const auto file = dir.path() / "data.key";
  const auto made = load_or_create_data_key(file);
  EXPECT_EQ(made.size(), 32u);
  struct stat info {};
  ASSERT_EQ(::stat(file.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(load_or_create_data_key(file), made);
  // No temporary file is left beside it.
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path()))
    ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(DataKey, AKeyReadableByOthersOrOfTheWrongSizeIsRefused) {
  testing::TempDir dir;
  const auto file = dir.path() / "data.key";
  (void)load_or_create_data_key(file);
  ::chmod(file.c_str(), 0640);
  EXPECT_THROW((void)load_or_create_data_key(file), StoreOpenError);
  ::chmod(file.c_str(), 0600);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << "short";
  EXPECT_THROW((void)load_or_create_data_key(file), StoreOpenError);
}

}  // namespace
}  // namespace jit::broker
