// Chooses how a CA's revoked serials are written in a KRL certificate section: one list subsection
// (8 bytes per serial), range subsections (21 bytes per run of consecutive serials) or bitmap
// subsections (17 bytes plus one bit per serial spanned). Like OpenSSH's krl.c it picks per run of
// consecutive serials, but by exact byte costs and over the whole sequence at once (a dynamic
// programme), so it never does worse than encoding each run on its own; bitmaps stay within the
// 2048-byte bignum that sshd 9.2 can read.
#pragma once

#include "ca/bytes.hpp"
#include "ca/krl.hpp"

#include <cstdint>
#include <span>
#include <vector>

namespace jit::ca {

// Highest bit index a bitmap we write may use: 2047 bytes of magnitude, so even with its 0x00 pad
// the mpint stays within sshd's 2048-byte limit.
inline constexpr std::uint64_t kMaxKrlBitmapBitIndex = (kMaxKrlBitmapBytes - 1) * 8 - 1;

enum class KrlSerialEncoding : std::uint8_t { list, range, bitmap };

// Runs [run_begin, run_end) of the input, written one way. Bitmap and list chunks may cover several
// runs (all list chunks end up in one list subsection); a range chunk covers exactly one run.
struct KrlSerialChunk {
  KrlSerialEncoding encoding;
  std::size_t run_begin;
  std::size_t run_end;
  friend bool operator==(const KrlSerialChunk&, const KrlSerialChunk&) = default;
};

// runs: sorted, disjoint, not touching (first of a run > last of the previous + 1), never serial 0.
[[nodiscard]] std::vector<KrlSerialChunk> plan_krl_serial_chunks(
    std::span<const KrlSerialRange> runs);

// Appends the subsections for the plan: ranges and bitmaps in serial order, then the one list.
void write_krl_serial_subsections(std::span<const KrlSerialRange> runs,
                                  std::span<const KrlSerialChunk> chunks, ByteWriter& out);

// Turns sorted, unique serials into runs of consecutive values.
[[nodiscard]] std::vector<KrlSerialRange> krl_serial_runs(
    std::span<const std::uint64_t> sorted_unique_serials);

}  // namespace jit::ca
