#include "ca/krl_serial_encoding.hpp"

#include <algorithm>
#include <array>

namespace jit::ca {
namespace {

// Costs in bits of what each choice adds to the KRL.
constexpr std::uint64_t kInfinity = UINT64_MAX / 4;
constexpr std::uint64_t kListHeaderBits = (1 + 4) * 8;  // type, length (once)
constexpr std::uint64_t kListEntryBits = 64;            // per serial
constexpr std::uint64_t kRangeBits = (1 + 4 + 16) * 8;  // type, length, min, max
// Type, length, offset and mpint length, plus 15 bits for rounding up to whole bytes and a possible
// 0x00 pad: an upper bound, so the estimate of a bitmap is never below its real size and the plan
// is never larger than encoding each run on its own.
constexpr std::uint64_t kBitmapHeaderBits = (1 + 4 + 8 + 4) * 8 + 15;

// DP states after a run: whether a bitmap is still open (may be extended by the next run) and
// whether the list subsection has been started (its header is paid once).
enum State : std::uint8_t { kClosed = 0, kClosedWithList = 1, kOpen = 2, kOpenWithList = 3 };

struct Step {
  KrlSerialEncoding encoding = KrlSerialEncoding::range;
  bool extends_bitmap = false;
  std::uint8_t previous = kClosed;
};

std::uint64_t list_bits(std::uint64_t count) {
  return kListEntryBits * std::min<std::uint64_t>(count, 1ULL << 32);
}

void write_bitmap(std::span<const KrlSerialRange> runs, ByteWriter& out) {
  const std::uint64_t offset = runs.front().first;
  const std::uint64_t top_bit = runs.back().last - offset;
  Bytes bitmap(static_cast<std::size_t>(top_bit / 8 + 1));
  for (const KrlSerialRange& run : runs) {
    for (std::uint64_t serial = run.first;; ++serial) {
      const std::uint64_t bit = serial - offset;
      bitmap[bitmap.size() - 1 - static_cast<std::size_t>(bit / 8)] |=
          static_cast<std::byte>(1U << (bit % 8));
      if (serial == run.last) break;
    }
  }
  ByteWriter section;
  section.u64(offset);
  section.mpint_positive(bitmap);
  out.u8(static_cast<std::uint8_t>(KrlCertSectionType::serial_bitmap));
  out.string(section.bytes());
}

}  // namespace

std::vector<KrlSerialRange> krl_serial_runs(std::span<const std::uint64_t> serials) {
  std::vector<KrlSerialRange> runs;
  for (std::uint64_t serial : serials) {
    if (!runs.empty() && runs.back().last != UINT64_MAX && runs.back().last + 1 == serial) {
      runs.back().last = serial;
    } else {
      runs.push_back({serial, serial});
    }
  }
  return runs;
}

std::vector<KrlSerialChunk> plan_krl_serial_chunks(std::span<const KrlSerialRange> runs) {
  if (runs.empty()) return {};
  std::vector<std::array<Step, 4>> steps(runs.size());
  std::array<std::uint64_t, 4> cost{0, kInfinity, kInfinity, kInfinity};
  std::array<std::uint64_t, 4> bitmap_start{};  // first serial of the open bitmap, per open state

  for (std::size_t j = 0; j < runs.size(); ++j) {
    const KrlSerialRange& run = runs[j];
    const std::uint64_t length = run.last - run.first + 1;  // runs never span all of 2^64
    std::array<std::uint64_t, 4> next{kInfinity, kInfinity, kInfinity, kInfinity};
    std::array<std::uint64_t, 4> next_start{};
    const auto offer = [&](std::uint8_t state, std::uint64_t value, Step step,
                           std::uint64_t start) {
      if (value < next[state]) {
        next[state] = value;
        steps[j][state] = step;
        next_start[state] = start;
      }
    };
    for (std::uint8_t with_list = 0; with_list < 2; ++with_list) {
      // Closing an open bitmap costs nothing more, so the cheaper of the two is the base.
      const std::uint8_t closed = with_list;
      const std::uint8_t open = kOpen + with_list;
      const std::uint8_t base_state = cost[open] < cost[closed] ? open : closed;
      const std::uint64_t base = cost[base_state];
      if (cost[open] < kInfinity && run.last - bitmap_start[open] <= kMaxKrlBitmapBitIndex) {
        offer(open, cost[open] + (run.last - runs[j - 1].last),
              {KrlSerialEncoding::bitmap, true, open}, bitmap_start[open]);
      }
      if (base >= kInfinity) continue;
      offer(closed, base + kRangeBits, {KrlSerialEncoding::range, false, base_state}, 0);
      offer(kClosedWithList, base + list_bits(length) + (with_list ? 0 : kListHeaderBits),
            {KrlSerialEncoding::list, false, base_state}, 0);
      if (run.last - run.first <= kMaxKrlBitmapBitIndex) {
        offer(open, base + kBitmapHeaderBits + length,
              {KrlSerialEncoding::bitmap, false, base_state}, run.first);
      }
    }
    cost = next;
    bitmap_start = next_start;
  }

  std::uint8_t state =
      static_cast<std::uint8_t>(std::min_element(cost.begin(), cost.end()) - cost.begin());
  std::vector<Step> chosen(runs.size());
  for (std::size_t j = runs.size(); j-- > 0;) {
    chosen[j] = steps[j][state];
    state = chosen[j].previous;
  }
  std::vector<KrlSerialChunk> chunks;
  for (std::size_t j = 0; j < runs.size(); ++j) {
    const bool extends_bitmap =
        chosen[j].encoding == KrlSerialEncoding::bitmap && chosen[j].extends_bitmap;
    const bool extends_list = chosen[j].encoding == KrlSerialEncoding::list && !chunks.empty() &&
                              chunks.back().encoding == KrlSerialEncoding::list;
    if (extends_bitmap || extends_list) {
      chunks.back().run_end = j + 1;
    } else {
      chunks.push_back({chosen[j].encoding, j, j + 1});
    }
  }
  return chunks;
}

void write_krl_serial_subsections(std::span<const KrlSerialRange> runs,
                                  std::span<const KrlSerialChunk> chunks, ByteWriter& out) {
  ByteWriter list;
  for (const KrlSerialChunk& chunk : chunks) {
    const auto covered = runs.subspan(chunk.run_begin, chunk.run_end - chunk.run_begin);
    switch (chunk.encoding) {
      case KrlSerialEncoding::list:
        for (const KrlSerialRange& run : covered) {
          for (std::uint64_t serial = run.first;; ++serial) {
            list.u64(serial);
            if (serial == run.last) break;
          }
        }
        break;
      case KrlSerialEncoding::range: {
        ByteWriter section;
        section.u64(covered.front().first);
        section.u64(covered.front().last);
        out.u8(static_cast<std::uint8_t>(KrlCertSectionType::serial_range));
        out.string(section.bytes());
        break;
      }
      case KrlSerialEncoding::bitmap:
        write_bitmap(covered, out);
        break;
    }
  }
  if (list.size() > 0) {
    out.u8(static_cast<std::uint8_t>(KrlCertSectionType::serial_list));
    out.string(list.bytes());
  }
}

}  // namespace jit::ca
