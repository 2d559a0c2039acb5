// SPDX-License-Identifier: Apache-2.0
#include "crm.hpp"

#include <cstdio>
#include <optional>
#include <string_view>

#include "crypto.hpp"
#include "platform/nlohmann/json.hpp"
#include "receipt.hpp"

namespace sa::omssim {
namespace {

using ledger::Transaction;

constexpr std::int64_t kDayS = 86400;

// The claim key of the device the token names; nothing for a device the
// cloud does not know.
std::optional<std::vector<std::uint8_t>> ClaimKeyOf(ledger::Database& db,
                                                    const receipt::Claim& claim) {
  auto st = db.Cached("SELECT key FROM devices WHERE store_id = ? AND device_id = ?");
  st.Bind(1, claim.store_id).Bind(2, claim.device_id);
  if (!st.Step()) return std::nullopt;
  const auto key = crypto::Base64UrlDecode(st.Text(0));
  if (!key) return std::nullopt;
  return receipt::ClaimKey(*key);
}

json ClaimJson(const std::string& sale_id, const std::string& store, const std::string& device,
               const std::string& member_id, std::int64_t at_ms) {
  return json{{"sale_id", sale_id},
              {"store_id", store},
              {"device_id", device},
              {"member_id", member_id},
              {"claimed_at_ms", at_ms}};
}

}  // namespace

namespace {

void Attribute(ledger::Database& db, const std::string& sale_id, const std::string& store,
               const std::string& member_id, std::string_view matched_by) {
  db.Cached(
        "INSERT OR IGNORE INTO sale_members(sale_id, store_id, member_id, matched_by) "
        "VALUES(?, ?, ?, ?)")
      .Bind(1, sale_id)
      .Bind(2, store)
      .Bind(3, member_id)
      .Bind(4, matched_by)
      .Run();
}

// The member a phone's keyed hash names; a new one the first time any store
// of the brand sees it.
std::string PhoneMember(ledger::Database& db, const std::string& phone_hash,
                        const std::string& store) {
  auto known = db.Cached("SELECT member_id FROM phone_members WHERE phone_hash = ?");
  known.Bind(1, phone_hash);
  if (known.Step()) return known.Text(0);
  auto count = db.Cached("SELECT count(*) FROM phone_members");
  count.Step();
  char id[32];
  std::snprintf(id, sizeof id, "PM-%06lld", static_cast<long long>(count.Int(0) + 1));
  db.Cached("INSERT INTO phone_members(phone_hash, member_id, first_store_id) VALUES(?, ?, ?)")
      .Bind(1, phone_hash)
      .Bind(2, id)
      .Bind(3, store)
      .Run();
  return id;
}

}  // namespace

void RecordAcceptedSale(ledger::Database& db, const AcceptedSale& sale) {
  if (!sale.guide_id.empty()) {
    db.Cached(
          "INSERT OR IGNORE INTO guide_sales(store_id, sale_id, guide_id, via, total_minor) "
          "VALUES(?, ?, ?, ?, ?)")
        .Bind(1, sale.store_id)
        .Bind(2, sale.sale_id)
        .Bind(3, sale.guide_id)
        .Bind(4, sale.guide_via)
        .Bind(5, sale.total_minor)
        .Run();
  }
  if (!sale.member_id.empty()) {
    Attribute(db, sale.sale_id, sale.store_id, sale.member_id, "member_code");
  } else if (!sale.phone_hash.empty()) {
    Attribute(db, sale.sale_id, sale.store_id, PhoneMember(db, sale.phone_hash, sale.store_id),
              "phone");
  }
  db.Cached(
        "INSERT OR IGNORE INTO sales(store_id, device_id, sale_id, total_minor, currency, member) "
        "VALUES(?, ?, ?, ?, ?, ?)")
      .Bind(1, sale.store_id)
      .Bind(2, sale.device_id)
      .Bind(3, sale.sale_id)
      .Bind(4, sale.total_minor)
      .Bind(5, sale.currency)
      .Bind(6, sale.has_member ? 1 : 0)
      .Run();
}

void RecordPostVoid(ledger::Database& db, const std::string& store, const std::string& sale_id) {
  db.Cached("UPDATE sales SET voided = 1 WHERE store_id = ? AND sale_id = ?")
      .Bind(1, store)
      .Bind(2, sale_id)
      .Run();
}

Reply Crm::Claim(const Request& r) {
  const json doc = ParseObject(r.body);
  const std::string token = *StringField(doc, "token", true);
  const std::string member_id = *StringField(doc, "member_id", true);
  if (!IsValidId(member_id))
    Refuse(400, "invalid_field", "\"member_id\" is 1-64 of A-Z a-z 0-9 _ . -");
  const auto at_store = StringField(doc, "store_id", false);
  if (at_store && !IsValidId(*at_store))
    Refuse(400, "invalid_field", "\"store_id\" is 1-64 of A-Z a-z 0-9 _ . -");

  const auto claim = receipt::ReadClaim(token);
  if (!claim) {
    Refuse(400, "claim_malformed",
           "not a claim token (SAC2): cut short, changed, or not from a receipt");
  }
  if (at_store && *at_store != claim->store_id) {
    Refuse(403, "claim_wrong_store",
           "the token is from store " + claim->store_id + ", not " + *at_store);
  }
  const auto key = ClaimKeyOf(db_, *claim);
  if (!key || !receipt::VerifyClaim(token, *key)) {
    Refuse(403, "claim_forged", "the token's signature is not its device's");
  }

  Transaction tx(db_);
  auto claimed = db_.Cached(
      "SELECT member_id FROM claims WHERE store_id = ? AND device_id = ? AND sale_id = ?");
  claimed.Bind(1, claim->store_id).Bind(2, claim->device_id).Bind(3, claim->sale_id);
  if (claimed.Step()) Refuse(409, "already_claimed", "this sale was claimed before");
  const std::int64_t now_ms = clock_.now_ms();
  // sold_at_s >= 0 (ReadClaim), so the difference cannot overflow.
  if (now_ms / 1000 - claim->sold_at_s > claim_days_ * kDayS) {
    Refuse(410, "claim_expired",
           "a sale can be claimed for " + std::to_string(claim_days_) + " days after it");
  }
  auto sale = db_.Cached(
      "SELECT total_minor, currency, member, voided FROM sales "
      "WHERE store_id = ? AND device_id = ? AND sale_id = ?");
  sale.Bind(1, claim->store_id).Bind(2, claim->device_id).Bind(3, claim->sale_id);
  if (!sale.Step()) {
    auto elsewhere = db_.Cached("SELECT 1 FROM sales WHERE sale_id = ?");
    elsewhere.Bind(1, claim->sale_id);
    if (elsewhere.Step()) {
      Refuse(403, "claim_wrong_store", "the sale was made by another store or device");
    }
    Refuse(409, "claim_pending",
           "the store has not sent this sale to the cloud yet: try again once it is online");
  }
  if (sale.Int(0) != claim->total_minor || sale.Text(1) != claim->currency) {
    Refuse(409, "claim_mismatch", "the token's total is not the sale's");
  }
  if (sale.Int(2) != 0) Refuse(409, "sale_has_member", "a member was bound to it at the till");
  if (sale.Int(3) != 0) Refuse(409, "sale_voided", "the sale was voided");

  db_.Cached(
         "INSERT INTO claims(store_id, device_id, sale_id, member_id, at_ms) "
         "VALUES(?, ?, ?, ?, ?)")
      .Bind(1, claim->store_id)
      .Bind(2, claim->device_id)
      .Bind(3, claim->sale_id)
      .Bind(4, member_id)
      .Bind(5, now_ms)
      .Run();
  Attribute(db_, claim->sale_id, claim->store_id, member_id, "claim");
  const json answer =
      ClaimJson(claim->sale_id, claim->store_id, claim->device_id, member_id, now_ms);
  feed_.Append(claim->store_id, "member.claimed", Dump(answer));
  tx.Commit();
  return Ok(answer);
}

Reply Crm::MemberOf(const std::string& sale_id) {
  auto st = db_.Cached(
      "SELECT store_id, member_id, matched_by FROM sale_members WHERE sale_id = ? "
      "ORDER BY rowid LIMIT 1");
  st.Bind(1, sale_id);
  if (!st.Step()) Refuse(404, "member_not_found", "no member for sale " + sale_id.substr(0, 64));
  return Ok(json{{"sale_id", sale_id},
                 {"store_id", st.Text(0)},
                 {"member_id", st.Text(1)},
                 {"matched_by", st.Text(2)}});
}

Reply Crm::Guides() {
  json guides = json::array();
  auto st = db_.Cached(
      "SELECT guide_id, count(*), sum(total_minor) FROM guide_sales GROUP BY guide_id "
      "ORDER BY guide_id");
  while (st.Step()) {
    const std::string guide = st.Text(0);
    json stores = json::array(), members = json::array();
    auto where = db_.Cached(
        "SELECT DISTINCT store_id FROM guide_sales WHERE guide_id = ? ORDER BY store_id");
    where.Bind(1, guide);
    while (where.Step()) stores.push_back(where.Text(0));
    auto who = db_.Cached(
        "SELECT DISTINCT m.member_id FROM guide_sales g JOIN sale_members m "
        "ON m.sale_id = g.sale_id AND m.store_id = g.store_id WHERE g.guide_id = ? "
        "ORDER BY m.member_id");
    who.Bind(1, guide);
    while (who.Step()) members.push_back(who.Text(0));
    guides.push_back(json{{"guide_id", guide},
                          {"sales", st.Int(1)},
                          {"total_minor", st.Int(2)},
                          {"stores", std::move(stores)},
                          {"members", std::move(members)}});
  }
  return Ok(json{{"guides", std::move(guides)}});
}

Reply Crm::Show(const std::string& sale_id) {
  auto st = db_.Cached(
      "SELECT store_id, device_id, member_id, at_ms FROM claims WHERE sale_id = ? "
      "ORDER BY rowid LIMIT 1");
  st.Bind(1, sale_id);
  if (!st.Step()) Refuse(404, "claim_not_found", "no claim of sale " + sale_id.substr(0, 64));
  return Ok(ClaimJson(sale_id, st.Text(0), st.Text(1), st.Text(2), st.Int(3)));
}

}  // namespace sa::omssim
