// SPDX-License-Identifier: Apache-2.0
// Binding the member to a sale: by the code their phone shows (signed by the
// member service, once only, within a window of the device clock) or by a
// phone number, kept only as a keyed hash and a masked form (invariant 8).
#include "part.hpp"
#include "sale_json.hpp"
#include "sales.hpp"

namespace sa::store {

using ledger::Transaction;
using part::Guarded;
using part::NotFound;
using part::Refused;

Expected<Sale> Sales::BindMemberCode(std::string_view sale_id, std::string_view payload) {
  // Parsed and verified as any scan is; a product label is not a member code.
  auto checked = books_.CheckCode(payload);
  if (!checked) {
    const Error& e = checked.error();
    if (e.code == "member_code_malformed") return e;
    return Refused("member_code_malformed", e.message, e.reason);
  }
  if (checked->code.kind != codes::Kind::member_code) {
    return Refused("not_a_member_code", "that is a product label, not a member code");
  }
  return BindMember(sale_id, checked->code, checked->signature);
}

Expected<Sale> Sales::BindMember(std::string_view sale_id, const codes::Code& code,
                                 codes::SignatureState signature) {
  if (signature != codes::SignatureState::valid) {
    return Refused("member_code_forged", "the member code is not signed by the member service");
  }
  const std::int64_t now_s = books_.now_ms() / 1000;
  const std::int64_t skew = code.issued_at - now_s;
  if (skew > config_.member_code_window_s || -skew > config_.member_code_window_s) {
    return Refused("member_code_expired", "the member code is " +
                                              std::to_string(skew < 0 ? -skew : skew) +
                                              " s from this device's clock (window " +
                                              std::to_string(config_.member_code_window_s) +
                                              " s): ask the member to refresh it");
  }
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    auto used = db_.Cached(
        "INSERT INTO member_codes_used(member_id, issued_at, used_at_ms) VALUES(?, ?, ?) "
        "ON CONFLICT DO NOTHING");
    used.Bind(1, code.member_id).Bind(2, code.issued_at).Bind(3, books_.now_ms()).Run();
    if (db_.Changes() == 0) {
      return Refused("member_code_replayed",
                     "this member code was already used; ask the member "
                     "to refresh it");
    }
    db_.Cached("INSERT INTO members(member_id, first_seen_ms) VALUES(?, ?) ON CONFLICT DO NOTHING")
        .Bind(1, code.member_id)
        .Bind(2, books_.now_ms())
        .Run();
    db_.Cached(
           "UPDATE sales SET member = (SELECT id FROM members WHERE member_id = ?), "
           "price_group = ? WHERE id = ?")
        .Bind(1, code.member_id)
        .BindTextOrNull(2, code.member_group)
        .Bind(3, sale_id)
        .Run();
    // The member's prices for what is already in the cart.
    Reprice(sale_id, books_.now_ms());
    books_.Append("member.bound", events::MemberBoundByCode(sale_id, code.member_id));
    tx.Commit();
    return LoadSale(sale_id);
  });
}

std::string MaskPhone(std::string_view digits) {
  if (digits.size() >= 11) {
    return std::string(digits.substr(0, 3)) + "****" +
           std::string(digits.substr(digits.size() - 4));
  }
  const std::size_t keep = digits.size() / 4;
  return std::string(digits.substr(0, keep)) + std::string(digits.size() - 2 * keep, '*') +
         std::string(digits.substr(digits.size() - keep));
}

Expected<Sale> Sales::BindPhone(std::string_view sale_id, std::string_view phone) {
  // Normalise: digits only, an optional leading + and China's 86 country code.
  std::string digits;
  for (std::size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == ' ' || c == '-' || (c == '+' && i == 0)) {
      continue;
    } else {
      return Refused("phone_invalid",
                     "a phone number has digits, spaces, '-' and a leading '+' "
                     "only");
    }
  }
  if (digits.size() == 13 && digits.substr(0, 2) == "86") digits.erase(0, 2);
  if (digits.size() < 7 || digits.size() > 15) {
    return Refused("phone_invalid", "a phone number has 7 to 15 digits");
  }
  if (config_.phone_hash_key.empty()) {
    return Refused("phone_binding_unavailable",
                   "this device has no phone hash key configured; bind by member code instead");
  }
  const std::string hash = crypto::ToHex(crypto::HmacSha256(config_.phone_hash_key, digits));
  const std::string masked = MaskPhone(digits);
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    db_.Cached(
           "INSERT INTO members(phone_hash, phone_masked, first_seen_ms) VALUES(?, ?, ?) "
           "ON CONFLICT DO NOTHING")
        .Bind(1, hash)
        .Bind(2, masked)
        .Bind(3, books_.now_ms())
        .Run();
    db_.Cached(
           "UPDATE sales SET member = (SELECT id FROM members WHERE phone_hash = ?) "
           "WHERE id = ?")
        .Bind(1, hash)
        .Bind(2, sale_id)
        .Run();
    Reprice(sale_id, books_.now_ms());  // a member's prices for the cart
    books_.Append("member.bound", events::MemberBoundByPhone(sale_id, hash, masked));
    tx.Commit();
    return LoadSale(sale_id);
  });
}

namespace {

// Sets an open sale's guide; the caller has checked who it is.
void WriteGuide(ledger::Database& db, std::string_view sale_id, std::string_view guide,
                std::string_view via) {
  db.Cached("UPDATE sales SET guide_id = ?, guide_via = ? WHERE id = ?")
      .Bind(1, guide)
      .Bind(2, via)
      .Bind(3, sale_id)
      .Run();
}

}  // namespace

Expected<Sale> Sales::SetGuide(std::string_view sale_id, const StaffCode& badge,
                               codes::SignatureState signature) {
  if (signature != codes::SignatureState::valid) {
    return Refused("staff_code_forged",
                   "this staff badge's signature does not match the brand's member service");
  }
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    WriteGuide(db_, sale_id, badge.staff_id, "badge");
    tx.Commit();
    return LoadSale(sale_id);
  });
}

Expected<Sale> Sales::PickGuide(std::string_view sale_id, std::string_view cashier_id) {
  return Guarded([&]() -> Expected<Sale> {
    Transaction tx(db_);
    if (auto refused = CheckOpen(sale_id)) return *refused;
    auto staff = db_.Cached("SELECT 1 FROM cashiers WHERE id = ? AND active = 1");
    staff.Bind(1, cashier_id);
    if (!staff.Step()) {
      return NotFound("guide_not_found", "no active staff member " +
                                             std::string(cashier_id.substr(0, 64)) +
                                             " in this store: scan their badge instead");
    }
    WriteGuide(db_, sale_id, cashier_id, "picked");
    tx.Commit();
    return LoadSale(sale_id);
  });
}

}  // namespace sa::store
