#include "ca/krl_serial_encoding.hpp"

#include <gtest/gtest.h>

#include <random>
#include <set>

namespace jit::ca {
namespace {

std::vector<KrlSerialRange> runs_of(std::vector<std::uint64_t> serials) {
  std::sort(serials.begin(), serials.end());
  serials.erase(std::unique(serials.begin(), serials.end()), serials.end());
  return krl_serial_runs(serials);
}

std::vector<std::uint64_t> range(std::uint64_t first, std::uint64_t last, std::uint64_t step = 1) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t s = first; s <= last; s += step) out.push_back(s);
  return out;
}

std::vector<KrlSerialEncoding> encodings(const std::vector<KrlSerialChunk>& chunks) {
  std::vector<KrlSerialEncoding> out;
  for (const auto& chunk : chunks) out.push_back(chunk.encoding);
  return out;
}

// Parses written subsections back through a minimal certificate section.
std::vector<KrlSerialRange> read_back(const std::vector<KrlSerialRange>& runs,
                                      std::size_t* size = nullptr) {
  ByteWriter subsections;
  write_krl_serial_subsections(runs, plan_krl_serial_chunks(runs), subsections);
  if (size != nullptr) *size = subsections.size();
  ByteWriter krl;
  krl.u64(0x5353484B524C0A00);
  krl.u32(1);
  krl.u64(1);
  krl.u64(0);
  krl.u64(0);
  krl.string(ByteView{});
  krl.string(ByteView{});
  ByteWriter section;
  ByteWriter ca_key;
  ca_key.string("ssh-ed25519");
  ca_key.string(Bytes(32, std::byte{1}));
  section.string(ca_key.bytes());
  section.string(ByteView{});
  section.raw(subsections.bytes());
  krl.u8(1);
  krl.string(section.bytes());
  auto parsed = parse_krl(krl.bytes());
  EXPECT_TRUE(parsed);
  if (!parsed || parsed->certificate_scopes.empty()) return {};
  return parsed->certificate_scopes[0].serials;
}

using E = KrlSerialEncoding;

TEST(KrlSerialRuns, MergesConsecutiveSerials) {
  EXPECT_EQ(krl_serial_runs(std::vector<std::uint64_t>{1, 2, 3, 5, 7, 8}),
            (std::vector<KrlSerialRange>{{1, 3}, {5, 5}, {7, 8}}));
  EXPECT_EQ(krl_serial_runs(std::vector<std::uint64_t>{UINT64_MAX - 1, UINT64_MAX}),
            (std::vector<KrlSerialRange>{{UINT64_MAX - 1, UINT64_MAX}}));
}

TEST(KrlSerialEncoding, OneSerialIsAList) {
  const auto runs = runs_of({42});
  EXPECT_EQ(encodings(plan_krl_serial_chunks(runs)), std::vector<E>{E::list});
  std::size_t size = 0;
  EXPECT_EQ(read_back(runs, &size), runs);
  EXPECT_EQ(size, 1u + 4 + 8);
}

TEST(KrlSerialEncoding, ConsecutiveSerialsAreARange) {
  const auto runs = runs_of(range(1, 1000));
  EXPECT_EQ(encodings(plan_krl_serial_chunks(runs)), std::vector<E>{E::range});
  std::size_t size = 0;
  EXPECT_EQ(read_back(runs, &size), runs);
  EXPECT_EQ(size, 1u + 4 + 16);
  // Two in a row: a list or a range takes 21 bytes, a one-byte bitmap 18.
  const auto pair = runs_of({9, 10});
  EXPECT_EQ(encodings(plan_krl_serial_chunks(pair)), std::vector<E>{E::bitmap});
  EXPECT_EQ(read_back(pair, &size), pair);
  EXPECT_EQ(size, 1u + 4 + 8 + 4 + 1);
}

TEST(KrlSerialEncoding, DenseSerialsAreABitmap) {
  const auto runs = runs_of(range(1, 2001, 2));
  const auto chunks = plan_krl_serial_chunks(runs);
  ASSERT_EQ(encodings(chunks), std::vector<E>{E::bitmap});
  EXPECT_EQ(chunks[0].run_begin, 0u);
  EXPECT_EQ(chunks[0].run_end, runs.size());
  std::size_t size = 0;
  EXPECT_EQ(read_back(runs, &size), runs);
  EXPECT_EQ(size, 1u + 4 + 8 + 4 + 251);  // 2001 bits: 250 bytes and one more
}

TEST(KrlSerialEncoding, SparseSerialsAreOneList) {
  std::vector<std::uint64_t> serials;
  for (std::uint64_t i = 1; i <= 100; ++i) serials.push_back(i * 1000003);
  const auto runs = runs_of(serials);
  const auto chunks = plan_krl_serial_chunks(runs);
  EXPECT_EQ(chunks, (std::vector<KrlSerialChunk>{{E::list, 0, 100}}));
  std::size_t size = 0;
  EXPECT_EQ(read_back(runs, &size), runs);
  EXPECT_EQ(size, 1u + 4 + 800);  // one list subsection
}

TEST(KrlSerialEncoding, MixedInputPicksPerRun) {
  std::vector<std::uint64_t> serials{5};
  const auto long_run = range(100000, 150000);
  serials.insert(serials.end(), long_run.begin(), long_run.end());
  const auto dense = range(900000, 900400, 3);
  serials.insert(serials.end(), dense.begin(), dense.end());
  serials.push_back(5000000000);
  const auto runs = runs_of(serials);
  const auto chunks = plan_krl_serial_chunks(runs);
  EXPECT_EQ(encodings(chunks), (std::vector<E>{E::list, E::range, E::bitmap, E::list}));
  EXPECT_EQ(read_back(runs), runs);
}

TEST(KrlSerialEncoding, BitmapsStayWithinWhatSshdCanRead) {
  // 40,000 bits of every-other serial: ssh-keygen 9.2 writes one 5,000-byte bitmap that sshd
  // refuses.
  const auto runs = runs_of(range(1, 80001, 2));
  const auto chunks = plan_krl_serial_chunks(runs);
  ASSERT_GE(chunks.size(), 3u);
  for (const auto& chunk : chunks) {
    ASSERT_EQ(chunk.encoding, E::bitmap);
    EXPECT_LE(runs[chunk.run_end - 1].last - runs[chunk.run_begin].first, kMaxKrlBitmapBitIndex);
  }
  EXPECT_EQ(read_back(runs), runs);
}

TEST(KrlSerialEncoding, NeverLargerThanTheBestSingleChoicePerRunAndAlwaysExact) {
  std::mt19937_64 random(7);
  for (int round = 0; round < 200; ++round) {
    std::set<std::uint64_t> chosen;
    const int count = 1 + static_cast<int>(random() % 400);
    const std::uint64_t spread = 1 + random() % 5000;
    std::uint64_t at = 1 + random() % 1000;
    for (int i = 0; i < count; ++i) {
      const std::uint64_t run = 1 + (random() % 4 == 0 ? random() % 300 : 0);
      for (std::uint64_t k = 0; k < run; ++k) chosen.insert(at + k);
      at += run + 1 + random() % spread;
    }
    const auto runs = runs_of({chosen.begin(), chosen.end()});
    std::size_t size = 0;
    ASSERT_EQ(read_back(runs, &size), runs) << round;
    std::size_t naive = 0;
    std::size_t listed = 0;
    for (const auto& run : runs) {
      const std::size_t length = run.last - run.first + 1;
      if (8 * length < 21) {
        listed += 8 * length;
      } else {
        naive += 21;
      }
    }
    naive += listed == 0 ? 0 : 5 + listed;
    EXPECT_LE(size, naive) << round;
  }
}

}  // namespace
}  // namespace jit::ca
