// SPDX-License-Identifier: Apache-2.0
// The brand's loops on the cloud's side, in-process: a shift's
// reconciliation (PROTOCOL.md §12: pending, match, mismatch, bad bodies) and
// the receipt claim (§11): oms-sim's CRM,
// driven in-process through Cloud (no server), with a manual clock so a
// token's expiry is a date, not a wait. A device registers and pushes its
// sales through the signed protocol as the agent does; the CRM verifies the
// tokens those devices mint, binds a sale once and offers member.claimed to
// the store's feed. Every refusal is typed and changes nothing.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cloud.hpp"
#include "crypto.hpp"
#include "receipt.hpp"
#include "support.hpp"
#include "sync.hpp"

namespace {

using json = nlohmann::json;
using sa::omssim::Reply;
using sa::omssim::Request;

constexpr std::int64_t kSoldMs = 1795341845000;  // 2026-11-22T10:04:05Z
constexpr std::int64_t kDayMs = 86400000;

struct Till {
  std::string store;
  std::string device;
  sa::crypto::Bytes key;
  std::int64_t seq = 0;
};

Till NewTill(std::string store, std::string device) {
  sa::crypto::Bytes key(sa::sync::kDeviceKeyBytes);
  sa::crypto::RandomBytes(key);
  return Till{std::move(store), std::move(device), std::move(key), 0};
}

// What the till's receipt carries for a sale of `total` (fen) at kSoldMs.
std::string TokenOf(const Till& t, const std::string& sale_id, std::int64_t total,
                    const sa::crypto::Bytes* key = nullptr) {
  return sa::receipt::ClaimToken(
      sa::receipt::Claim{t.store, t.device, sale_id, total, "CNY", kSoldMs / 1000},
      sa::receipt::ClaimKey(key ? *key : t.key));
}

json SaleEvent(const std::string& sale_id, std::int64_t total, bool member,
               const std::string& shift = "") {
  json line{{"id", 1},
            {"gtin", "09506000134352"},
            {"serial", "S-" + sale_id},
            {"name", "Silk scarf"},
            {"unit_price", total},
            {"qty", 1}};
  return json{{"id", sale_id},
              {"status", "completed"},
              {"currency", "CNY"},
              {"total", total},
              {"lines", json::array({line})},
              {"member", member ? json{{"member_id", "M-AT-TILL"}} : json(nullptr)},
              {"shift_id", shift.empty() ? json(nullptr) : json(shift)}};
}

class Fixture {
 public:
  Fixture() {
    auto cloud = sa::omssim::Cloud::Open({.data_dir = dir_.path().string()}, clock_);
    REQUIRE(cloud);
    cloud_ = std::move(cloud).value();
  }

  sa::ManualClock& clock() { return clock_; }

  Reply Signed(const Till& t, const std::string& method, const std::string& path,
               const std::string& body) {
    const std::int64_t ts = clock_.now_ms();
    Request r;
    r.method = method;
    r.target = path;
    r.content_type = "application/json";
    r.sa_store = t.store;
    r.sa_device = t.device;
    r.sa_timestamp = std::to_string(ts);
    r.sa_signature =
        sa::sync::Sign(t.key, sa::sync::SignedRequest{method, path, ts, t.store, t.device, body});
    r.body = body;
    return cloud_->Protocol(r);
  }

  void Register(const Till& t) {
    const json body{{"store_id", t.store},
                    {"device_id", t.device},
                    {"key", sa::crypto::Base64UrlEncode(t.key)},
                    {"agent_version", "test"}};
    const Reply r = Signed(t, "POST", std::string(sa::sync::kPathRegister), body.dump());
    REQUIRE(r.status == 200);
  }

  void Push(Till& t, const std::string& type, json payload) {
    ++t.seq;
    const json event{{"id", "ev-" + t.device + "-" + std::to_string(t.seq)},
                     {"store_id", t.store},
                     {"device_id", t.device},
                     {"seq", t.seq},
                     {"type", type},
                     {"at", "2026-11-22T10:04:05.000Z"},
                     {"payload", std::move(payload)}};
    const json batch{{"store_id", t.store}, {"device_id", t.device}, {"events", {event}}};
    const Reply r = Signed(t, "POST", std::string(sa::sync::kPathEvents), batch.dump());
    INFO(r.body);
    REQUIRE(r.status == 200);
    REQUIRE(json::parse(r.body).at("results").at(0).at("status") == "accepted");
  }

  void Sell(Till& t, const std::string& sale_id, std::int64_t total, bool member = false,
            const std::string& shift = "") {
    Push(t, "sale.completed", SaleEvent(sale_id, total, member, shift));
  }

  Reply Reconcile(const Till& t, const json& body) {
    return Signed(t, "POST", std::string(sa::sync::kPathReconciliations), body.dump());
  }

  Reply Claim(const json& body, const std::string& authorization = "") {
    Request r;
    r.method = "POST";
    r.target = "/crm/v1/claims";
    r.content_type = "application/json";
    r.authorization = authorization;
    r.body = body.dump();
    return cloud_->Crm(r);
  }
  Reply Claim(const std::string& token, const std::string& member_id) {
    return Claim(json{{"token", token}, {"member_id", member_id}});
  }

  int ShowStatus(const std::string& sale_id) {
    Request r;
    r.method = "GET";
    r.target = "/crm/v1/claims/" + sale_id;
    return cloud_->Crm(r).status;
  }

  // The member.claimed changes the store's feed holds.
  std::vector<json> Claimed(const std::string& store) {
    Request r;
    r.method = "GET";
    r.target = "/admin/v1/stores/" + store + "/changes?after=0&limit=1000";
    const Reply reply = cloud_->Admin(r);
    REQUIRE(reply.status == 200);
    const json page = json::parse(reply.body);
    std::vector<json> out;
    for (const auto& c : page.at("changes")) {
      if (c.at("type") == "member.claimed") out.push_back(c.at("data"));
    }
    return out;
  }

 private:
  sa::testing::TempDir dir_{"sa-crm"};
  sa::ManualClock clock_{kSoldMs + 60000};
  std::unique_ptr<sa::omssim::Cloud> cloud_;
};

std::string CodeOf(const Reply& r) {
  const json body = json::parse(r.body, nullptr, false);
  return body.is_object() && body.contains("error") ? body["error"].value("code", "") : "";
}

}  // namespace

TEST_CASE("crm: a genuine token binds its sale to the member once and tells the store",
          "[crm][claim]") {
  Fixture f;
  Till till = NewTill("s1", "till-1");
  f.Register(till);
  f.Sell(till, "sale-1", 62900);

  const Reply ok = f.Claim(TokenOf(till, "sale-1", 62900), "M-1001");
  INFO(ok.body);
  REQUIRE(ok.status == 200);
  const json claim = json::parse(ok.body);
  CHECK(claim.at("sale_id") == "sale-1");
  CHECK(claim.at("store_id") == "s1");
  CHECK(claim.at("device_id") == "till-1");
  CHECK(claim.at("member_id") == "M-1001");
  CHECK(f.ShowStatus("sale-1") == 200);

  const auto claimed = f.Claimed("s1");
  REQUIRE(claimed.size() == 1);
  CHECK(claimed[0].at("sale_id") == "sale-1");
  CHECK(claimed[0].at("member_id") == "M-1001");

  // A second claim, by anyone, and a replay of the same request: refused.
  for (const std::string member : {"M-2002", "M-1001"}) {
    const Reply again = f.Claim(TokenOf(till, "sale-1", 62900), member);
    CHECK(again.status == 409);
    CHECK(CodeOf(again) == "already_claimed");
  }
  CHECK(f.Claimed("s1").size() == 1);
  CHECK(f.Claimed("s2").empty());  // only the store that sold hears of it
}

TEST_CASE("crm: a token is honoured for 30 days after its sale, and no longer", "[crm][claim]") {
  Fixture f;
  Till till = NewTill("s1", "till-1");
  f.Register(till);
  f.Sell(till, "sale-late", 8800);
  f.Sell(till, "sale-last-day", 8800);

  f.clock().set_ms(kSoldMs + 30 * kDayMs + 1000);  // one second past the 30 days
  const Reply late = f.Claim(TokenOf(till, "sale-late", 8800), "M-1");
  CHECK(late.status == 410);
  CHECK(CodeOf(late) == "claim_expired");
  CHECK(f.ShowStatus("sale-late") == 404);

  f.clock().set_ms(kSoldMs + 30 * kDayMs);  // the last second of the 30th day
  CHECK(f.Claim(TokenOf(till, "sale-last-day", 8800), "M-1").status == 200);
  CHECK(f.Claimed("s1").size() == 1);
}

TEST_CASE("crm: forged, truncated, other-store, pending and mismatched claims change nothing",
          "[crm][claim]") {
  Fixture f;
  Till till = NewTill("s1", "till-1");
  Till other = NewTill("s2", "till-1");
  f.Register(till);
  f.Register(other);
  f.Sell(till, "sale-1", 62900);
  f.Sell(till, "sale-member", 8800, /*member=*/true);
  f.Sell(till, "sale-voided", 8800);
  f.Push(till, "sale.voided",
         json{{"sale_id", "sale-voided"},
              {"post_void", true},
              {"lines",
               json::array({json{{"gtin", "09506000134352"}, {"serial", "S-sale-voided"}}})}});
  const std::string genuine = TokenOf(till, "sale-1", 62900);

  auto refused = [&](const Reply& r, int status, const std::string& code) {
    INFO(r.body);
    CHECK(r.status == status);
    CHECK(CodeOf(r) == code);
  };

  // Cut short anywhere, or not a token at all.
  for (std::size_t n = 1; n < genuine.size(); n += 7) {
    INFO("truncated to " << n);
    refused(f.Claim(genuine.substr(0, n), "M-1"), 400, "claim_malformed");
  }
  refused(f.Claim(genuine.substr(0, genuine.size() - 1), "M-1"), 400, "claim_malformed");
  refused(f.Claim("https://claim.brand.example/c/" + genuine, "M-1"), 400, "claim_malformed");

  // Forged: another key (a till's key the forger made up), a changed byte
  // of the MAC, a device the cloud does not know.
  const sa::crypto::Bytes made_up = NewTill("s1", "till-1").key;
  refused(f.Claim(TokenOf(till, "sale-1", 62900, &made_up), "M-1"), 403, "claim_forged");
  std::string changed = genuine;
  changed[changed.size() - 3] = changed[changed.size() - 3] == 'A' ? 'B' : 'A';
  refused(f.Claim(changed, "M-1"), 403, "claim_forged");
  refused(f.Claim(TokenOf(NewTill("s1", "till-9"), "sale-1", 62900), "M-1"), 403, "claim_forged");
  // A lower total signed by a forger is still forged, not a mismatch.
  refused(f.Claim(TokenOf(till, "sale-1", 100, &made_up), "M-1"), 403, "claim_forged");

  // Another store: the mini-program opened for store s2, or a genuine token
  // of s2's device naming s1's sale.
  refused(f.Claim(json{{"token", genuine}, {"member_id", "M-1"}, {"store_id", "s2"}}), 403,
          "claim_wrong_store");
  refused(f.Claim(TokenOf(other, "sale-1", 62900), "M-1"), 403, "claim_wrong_store");

  // The device's genuine token for a sale not synced yet, or with another total.
  refused(f.Claim(TokenOf(till, "sale-offline", 8800), "M-1"), 409, "claim_pending");
  refused(f.Claim(TokenOf(till, "sale-1", 62901), "M-1"), 409, "claim_mismatch");
  // Nothing to claim: a member bound at the till; a post-voided sale.
  refused(f.Claim(TokenOf(till, "sale-member", 8800), "M-1"), 409, "sale_has_member");
  refused(f.Claim(TokenOf(till, "sale-voided", 8800), "M-1"), 409, "sale_voided");

  // A body that is not a claim.
  refused(f.Claim(json{{"token", genuine}}), 400, "missing_field");
  refused(f.Claim(genuine, "M 1"), 400, "invalid_field");
  refused(f.Claim(genuine, std::string(65, 'M')), 400, "invalid_field");
  refused(f.Claim(json{{"token", 42}, {"member_id", "M-1"}}), 400, "invalid_field");

  for (const char* sale : {"sale-1", "sale-member", "sale-voided", "sale-offline"}) {
    CHECK(f.ShowStatus(sale) == 404);
  }
  CHECK(f.Claimed("s1").empty());
  CHECK(f.Claimed("s2").empty());

  // Another device pushing the same sale id first takes nothing away.
  Till squatter = NewTill("s9", "till-1");
  f.Register(squatter);
  f.Sell(squatter, "sale-1", 1);
  refused(f.Claim(TokenOf(squatter, "sale-1", 62900), "M-9"), 409, "claim_mismatch");

  // After all of it, the genuine claim still works.
  CHECK(f.Claim(genuine, "M-1").status == 200);
  CHECK(f.Claimed("s1").size() == 1);
}

TEST_CASE("reconcile: pending until the shift's events are in, then match or each difference",
          "[reconcile]") {
  Fixture f;
  Till till = NewTill("s1", "till-1");
  f.Register(till);
  f.Sell(till, "sale-a", 1000, false, "shift-1");
  f.Sell(till, "sale-b", 2000, false, "shift-1");
  f.Sell(till, "sale-other", 500, false, "shift-0");
  auto body = [&](std::int64_t last_seq, json sales, json refunds = json::array()) {
    return json{{"store_id", "s1"},
                {"device_id", "till-1"},
                {"period", {{"kind", "shift"}, {"id", "shift-1"}}},
                {"last_seq", last_seq},
                {"sales", std::move(sales)},
                {"refunds", std::move(refunds)}};
  };
  const json both = json::array(
      {json{{"id", "sale-a"}, {"total", 1000}}, json{{"id", "sale-b"}, {"total", 2000}}});

  // The shift closed at seq 5; the cloud has 3: never a mismatch, pending.
  Reply r = f.Reconcile(till, body(5, json::array()));
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body).at("status") == "pending");

  r = f.Reconcile(till, body(3, both));
  REQUIRE(r.status == 200);
  CHECK(json::parse(r.body).at("status") == "match");

  // The store's figure differs; the store has a sale the cloud lacks; the
  // cloud has one the store does not list; a refund it never received.
  r = f.Reconcile(till, body(3,
                             json::array({json{{"id", "sale-a"}, {"total", 1001}},
                                          json{{"id", "sale-c"}, {"total", 300}}}),
                             json::array({json{{"id", "ref-1"}, {"amount", 1000}}})));
  REQUIRE(r.status == 200);
  const json answer = json::parse(r.body);
  CHECK(answer.at("status") == "mismatch");
  CHECK(answer.at("differ") ==
        json::array({json{{"kind", "sale"}, {"id", "sale-a"}, {"store", 1001}, {"cloud", 1000}}}));
  CHECK(answer.at("missing") ==
        json::array({json{{"kind", "sale"}, {"id", "sale-c"}, {"amount", 300}},
                     json{{"kind", "refund"}, {"id", "ref-1"}, {"amount", 1000}}}));
  CHECK(answer.at("unexpected") ==
        json::array({json{{"kind", "sale"}, {"id", "sale-b"}, {"amount", 2000}}}));

  // Bodies that are not a reconciliation.
  for (const json& bad : {json{{"store_id", "s1"}, {"device_id", "till-1"}},
                          body(3, json::object()), body(3, json::array({json{{"id", "sale-a"}}})),
                          body(3, json::array({json{{"id", "sale-a"}, {"total", 1}},
                                               json{{"id", "sale-a"}, {"total", 1}}})),
                          body(-1, both)}) {
    INFO(bad.dump());
    const Reply refused = f.Reconcile(till, bad);
    CHECK(refused.status == 400);
  }
  json other_kind = body(3, both);
  other_kind["period"]["kind"] = "day";
  CHECK(f.Reconcile(till, other_kind).status == 400);
}
