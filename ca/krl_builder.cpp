#include "ca/krl_builder.hpp"

#include "ca/krl.hpp"
#include "ca/krl_serial_encoding.hpp"
#include "ca/ssh_certificate.hpp"
#include "ca/ssh_wire.hpp"

#include <algorithm>

namespace jit::ca {
namespace {

constexpr std::size_t kMaxWrittenComment = 1024;

struct ScopePlan {
  ByteView ca_key_blob;
  std::vector<KrlSerialRange> runs;
  std::vector<std::string> key_ids;
};

void write_scope(const ScopePlan& plan, ByteWriter& out) {
  ByteWriter section;
  section.string(plan.ca_key_blob);
  section.string(ByteView{});  // reserved
  write_krl_serial_subsections(plan.runs, plan_krl_serial_chunks(plan.runs), section);
  if (!plan.key_ids.empty()) {
    ByteWriter ids;
    for (const std::string& id : plan.key_ids) ids.string(id);
    section.u8(static_cast<std::uint8_t>(KrlCertSectionType::key_id));
    section.string(ids.bytes());
  }
  out.u8(static_cast<std::uint8_t>(KrlSectionType::certificates));
  out.string(section.bytes());
}

// The published file must say exactly what we meant: same scopes, serials and key ids, nothing
// else.
bool matches(const Krl& parsed, const std::vector<ScopePlan>& plans, std::uint64_t version,
             std::string_view comment) {
  if (parsed.version != version || parsed.comment != comment ||
      parsed.certificate_scopes.size() != plans.size() || !parsed.revoked_keys.empty() ||
      !parsed.revoked_sha1.empty() || !parsed.revoked_sha256.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < plans.size(); ++i) {
    const KrlCertificateScope& scope = parsed.certificate_scopes[i];
    const ByteView blob = plans[i].ca_key_blob;
    if (!std::equal(scope.ca_key_blob.begin(), scope.ca_key_blob.end(), blob.begin(), blob.end()) ||
        scope.serials != plans[i].runs || scope.key_ids != plans[i].key_ids) {
      return false;
    }
  }
  return true;
}

}  // namespace

void KrlBuilder::reserve(std::size_t serials) { reserve_ = serials; }

KrlBuilder::CaRevocations& KrlBuilder::revocations_for(ByteView blob) {
  const auto same = [&](const CaRevocations& entry) {
    return std::equal(entry.ca_key_blob.begin(), entry.ca_key_blob.end(), blob.begin(), blob.end());
  };
  if (last_ca_ < by_ca_.size() && same(by_ca_[last_ca_])) return by_ca_[last_ca_];
  for (last_ca_ = 0; last_ca_ < by_ca_.size(); ++last_ca_) {
    if (same(by_ca_[last_ca_])) return by_ca_[last_ca_];
  }
  by_ca_.push_back(CaRevocations{Bytes(blob.begin(), blob.end()), {}, {}});
  by_ca_.back().serials.reserve(reserve_);
  return by_ca_.back();
}

Result<void> KrlBuilder::add(const SshPublicKey& ca_key, const KrlRevocation& revocation) {
  if (revocation.serial == 0 && revocation.key_id.empty()) return CaErrc::invalid_argument;
  if (revocation.key_id.size() > kMaxSshKeyIdLength || !is_printable_ascii(revocation.key_id)) {
    return CaErrc::invalid_argument;
  }
  CaRevocations& entry = revocations_for(ca_key.blob());
  if (revocation.serial != 0) entry.serials.push_back({revocation.serial, revocation.not_after});
  if (!revocation.key_id.empty())
    entry.key_ids.push_back({revocation.key_id, revocation.not_after});
  ++size_;
  return {};
}

Result<BuiltKrl> KrlBuilder::build(std::uint64_t version, std::chrono::sys_seconds now,
                                   std::string_view comment) const {
  if (version == 0 || comment.size() > kMaxWrittenComment || !is_printable_ascii(comment))
    return CaErrc::invalid_argument;
  const auto now_seconds = now.time_since_epoch().count();
  if (now_seconds < 0) return CaErrc::invalid_argument;
  const auto cutoff = static_cast<std::uint64_t>(now_seconds);

  BuiltKrl result;
  std::vector<ScopePlan> plans;
  // Sections in blob order, so the same input always gives the same bytes.
  std::vector<const CaRevocations*> order;
  for (const CaRevocations& entry : by_ca_) order.push_back(&entry);
  std::sort(order.begin(), order.end(), [](const CaRevocations* a, const CaRevocations* b) {
    return a->ca_key_blob < b->ca_key_blob;
  });
  for (const CaRevocations* entry : order) {
    // sshd treats now >= valid_before as expired, so such a certificate needs no revocation.
    std::vector<std::uint64_t> serials;
    serials.reserve(entry->serials.size());
    for (const Expiring& revoked : entry->serials) {
      if (revoked.not_after > cutoff) serials.push_back(revoked.serial);
    }
    ScopePlan plan{entry->ca_key_blob, {}, {}};
    for (const ExpiringKeyId& revoked : entry->key_ids) {
      if (revoked.not_after > cutoff) plan.key_ids.push_back(revoked.key_id);
    }
    result.pruned +=
        (entry->serials.size() - serials.size()) + (entry->key_ids.size() - plan.key_ids.size());
    if (serials.empty() && plan.key_ids.empty()) continue;
    std::sort(serials.begin(), serials.end());
    serials.erase(std::unique(serials.begin(), serials.end()), serials.end());
    std::sort(plan.key_ids.begin(), plan.key_ids.end());
    plan.key_ids.erase(std::unique(plan.key_ids.begin(), plan.key_ids.end()), plan.key_ids.end());
    plan.runs = krl_serial_runs(serials);
    result.revoked_serials += serials.size();
    result.revoked_key_ids += plan.key_ids.size();
    plans.push_back(std::move(plan));
  }

  ByteWriter out;
  out.reserve(64 + result.revoked_serials * 8);
  out.raw(as_bytes(kKrlMagic));
  out.u32(kKrlFormatVersion);
  out.u64(version);
  out.u64(cutoff);
  out.u64(0);              // flags
  out.string(ByteView{});  // reserved
  out.string(comment);
  for (const ScopePlan& plan : plans) write_scope(plan, out);

  auto parsed = parse_krl(out.bytes());
  if (!parsed || !matches(*parsed, plans, version, comment)) return CaErrc::crypto_failure;
  result.bytes = out.take();
  return result;
}

}  // namespace jit::ca
