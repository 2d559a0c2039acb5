// SPDX-License-Identifier: Apache-2.0
// The local HTTP API of the real daemon on 127.0.0.1 (port 0): auth, routes,
// every class of bad input, idempotency, and the sale flow's refusals.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "codes.hpp"
#include "crypto.hpp"
#include "demo_agent.hpp"
#include "demo_catalog.hpp"

using nlohmann::json;
using namespace sa::testing;

namespace {

struct Shop : DemoAgent {
  Shop() : DemoAgent("sa-api") {}

  using DemoAgent::Label;
  // A signed label of a scarf.
  std::string Label(const std::string& serial) const { return Label(kScarf, serial); }
  std::int64_t OutboxDepth() {
    auto r = api.Get("/v1/health");
    REQUIRE(r.status == 200);
    return r.json()["outbox_depth"];
  }
};

std::int64_t NowS() { return sa::SystemClock().now_ms() / 1000; }

}  // namespace

TEST_CASE("every call needs the bearer token", "[api]") {
  Shop shop;
  const std::string u = shop.api.url;
  CHECK(ErrorCode(sa::testing::Http("GET", u + "/v1/health"), 401) == "unauthorized");
  CHECK(ErrorCode(sa::testing::Http("GET", u + "/v1/health", "", {"Authorization: Bearer nope"}),
                  401) == "unauthorized");
  CHECK(ErrorCode(sa::testing::Http("GET", u + "/v1/health", "", {"Authorization: Bearer"}), 401) ==
        "unauthorized");
  CHECK(ErrorCode(sa::testing::Http("POST", u + "/v1/sales", "{}"), 401) == "unauthorized");
  CHECK(ErrorCode(sa::testing::Http("GET", u + "/metrics"), 401) == "unauthorized");
  CHECK(shop.api.Get("/v1/health").status == 200);
  CHECK(shop.OutboxDepth() == 0);
}

TEST_CASE("unknown routes are 404 and wrong methods 405, in JSON", "[api]") {
  Shop shop;
  CHECK(ErrorCode(shop.api.Get("/v1/nope"), 404) == "not_found");
  CHECK(ErrorCode(shop.api.Get("/nope"), 404) == "not_found");
  CHECK(ErrorCode(shop.api.Get("/v1/sales/x/y/z/w"), 404) == "not_found");
  auto r = shop.api.Delete("/v1/sales");
  CHECK(ErrorCode(r, 405) == "method_not_allowed");
  CHECK(r.headers.find("Allow: POST") != std::string::npos);
  CHECK(ErrorCode(shop.api.Post("/v1/health", "{}"), 405) == "method_not_allowed");
  CHECK(ErrorCode(shop.api.Get("/v1/sales/x/complete"), 405) == "method_not_allowed");
  CHECK(ErrorCode(shop.api.Get("/v1/sales/no-such-sale"), 404) == "sale_not_found");
}

TEST_CASE("bad requests get a typed 4xx, never a 5xx, and change nothing", "[api][bad_input]") {
  Shop shop;
  const std::string sale = shop.OpenSale();
  REQUIRE(shop.Scan(sale, shop.Label("BASE1")).status == 200);
  const std::string before = shop.api.Get("/v1/sales/" + sale).body;
  const std::int64_t depth = shop.OutboxDepth();
  const std::string s = "/v1/sales/" + sale;

  struct Case {
    std::string path;
    std::string body;
    long status;
    std::string code;
  };
  const std::vector<Case> cases = {
      // empty, truncated, not JSON, not an object
      {s + "/scans", "", 400, "invalid_json"},
      {s + "/scans", "{\"payload\":\"ht", 400, "invalid_json"},
      {s + "/scans", "payload=1", 400, "invalid_json"},
      {s + "/scans", "[1,2]", 400, "invalid_json"},
      {s + "/scans", "\"x\"", 400, "invalid_json"},
      // missing and mistyped fields
      {s + "/scans", "{}", 400, "missing_field"},
      {s + "/scans", "{\"payload\":null}", 400, "missing_field"},
      {s + "/scans", "{\"payload\":42}", 400, "invalid_field"},
      {s + "/scans", "{\"payload\":[\"a\"]}", 400, "invalid_field"},
      {s + "/member", "{}", 400, "invalid_field"},
      {s + "/member", "{\"payload\":\"a\",\"phone\":\"1\"}", 400, "invalid_field"},
      {s + "/member", "{\"phone\":13812345678}", 400, "invalid_field"},
      {s + "/complete", "{}", 400, "missing_field"},
      {s + "/complete", "{\"payments\":{}}", 400, "invalid_field"},
      {s + "/complete", "{\"payments\":[1]}", 400, "invalid_field"},
      {s + "/complete", "{\"payments\":[{\"amount\":59900}]}", 400, "missing_field"},
      {s + "/complete", "{\"payments\":[{\"method\":\"cash\"}]}", 400, "missing_field"},
      {s + "/complete", "{\"payments\":[{\"method\":\"cash\",\"amount\":\"59900\"}]}", 400,
       "invalid_field"},
      {s + "/complete", "{\"payments\":[{\"method\":\"cash\",\"amount\":599.0}]}", 400,
       "invalid_field"},
      // negative and overflowing amounts
      {s + "/complete", "{\"payments\":[{\"method\":\"cash\",\"amount\":-59900}]}", 400,
       "invalid_amount"},
      {s + "/complete", "{\"payments\":[{\"method\":\"cash\",\"amount\":0}]}", 400,
       "invalid_amount"},
      {s + "/complete", "{\"payments\":[{\"method\":\"cash\",\"amount\":18446744073709551615}]}",
       400, "amount_overflow"},
      {s + "/complete",
       "{\"payments\":[{\"method\":\"cash\",\"amount\":9223372036854775807},"
       "{\"method\":\"cash\",\"amount\":1}]}",
       400, "amount_overflow"},
      {s + "/complete",
       "{\"payments\":[{\"method\":\"cash\",\"amount\":100000000000000000000000}]}", 400,
       "invalid_field"},
      // well-formed but refused
      {s + "/complete", "{\"payments\":[{\"method\":\"cash\",\"amount\":100}]}", 422,
       "payment_mismatch"},
      {s + "/complete", "{\"payments\":[{\"method\":\"gold\",\"amount\":59900}]}", 422,
       "unknown_payment_method"},
      {s + "/scans", "{\"payload\":\"\"}", 422, "malformed_code"},
      {s + "/scans", "{\"payload\":\"\\u0001\\u0002\\u001b[2J\"}", 422, "malformed_code"},
      {s + "/scans", json{{"payload", std::string(5000, '9')}}.dump(), 422, "malformed_code"},
      {s + "/member", "{\"phone\":\"138-abc\"}", 422, "phone_invalid"},
      {s + "/member", "{\"payload\":\"SAM1:x\"}", 422, "member_code_malformed"},
      // unknown ids
      {"/v1/sales/nope/scans", json{{"payload", shop.Label("X1")}}.dump(), 404, "sale_not_found"},
      {"/v1/sales/nope/complete", "{\"payments\":[{\"method\":\"cash\",\"amount\":1}]}", 404,
       "sale_not_found"},
      {"/v1/sales/nope/void", "", 404, "sale_not_found"},
      {"/v1/refunds", "{\"sale_id\":\"nope\",\"serials\":[\"A\"]}", 404, "sale_not_found"},
      {"/v1/refunds", "{\"sale_id\":\"nope\",\"serials\":\"A\"}", 400, "invalid_field"},
      {"/v1/refunds", "{\"serials\":[\"A\"]}", 400, "missing_field"},
      {"/v1/refunds", "{\"sale_id\":\"" + sale + "\",\"serials\":[]}", 400, "nothing_to_refund"},
      {"/v1/sales", "{\"terminal\":5}", 400, "invalid_field"},
      {"/v1/sales", "{\"terminal\":\"" + std::string(100, 't') + "\"}", 400, "invalid_terminal"},
      // a huge body
      {s + "/scans", json{{"payload", std::string(200000, 'A')}}.dump(), 413, "body_too_large"},
  };
  for (const auto& c : cases) {
    INFO("POST " << c.path << " " << c.body.substr(0, 80));
    auto r = shop.api.Post(c.path, c.body);
    CHECK(ErrorCode(r, c.status) == c.code);
  }
  // Control characters reach no log: the agent is still healthy and the
  // sale and the outbox are exactly as before.
  CHECK(shop.api.Get("/v1/sales/" + sale).body == before);
  CHECK(shop.OutboxDepth() == depth);
  CHECK(ErrorCode(shop.api.Delete(s + "/lines/999999"), 404) == "line_not_found");
  CHECK(ErrorCode(shop.api.Delete(s + "/lines/abc"), 404) == "line_not_found");
  CHECK(ErrorCode(shop.api.Get("/v1/scans?limit=abc"), 400) == "invalid_field");
  CHECK(ErrorCode(shop.api.Get(s + "/receipt?width=99"), 400) == "invalid_field");
  CHECK(shop.api.Get("/v1/health").status == 200);
}

TEST_CASE("a body past the hard limit drops the connection, not the daemon", "[api][bad_input]") {
  Shop shop;
  const auto r = shop.api.Post("/v1/sales", std::string(8 << 20, '{'));
  CHECK((r.status == 0 || r.status == 413));  // RESTinio closes; no 5xx either way
  CHECK(shop.api.Get("/v1/health").status == 200);
}

TEST_CASE("Idempotency-Key: a retried POST gets the first answer and never a second sale",
          "[api][idempotency]") {
  Shop shop;
  auto a = shop.api.Post("/v1/sales", "{}", "open-1");
  auto b = shop.api.Post("/v1/sales", "{}", "open-1");
  REQUIRE(a.status == 201);
  CHECK(b.status == 201);
  CHECK(a.body == b.body);
  const std::string sale = a.json()["id"];
  REQUIRE(shop.Scan(sale, shop.Label("IK1")).status == 200);
  const std::string pay = R"({"payments":[{"method":"cash","amount":60000}]})";
  auto first = shop.api.Post("/v1/sales/" + sale + "/complete", pay, "pay-1");
  auto again = shop.api.Post("/v1/sales/" + sale + "/complete", pay, "pay-1");
  REQUIRE(first.status == 200);
  CHECK(again.status == 200);
  CHECK(again.body == first.body);
  CHECK(first.json()["change"] == 100);
  CHECK(shop.OutboxDepth() == 1);  // one sale.completed
  // The replay changed nothing, so it is not counted or broadcast again.
  CHECK(shop.api.Get("/metrics").body.find("sa_sales_completed_total 1\n") != std::string::npos);
  // Without the key the retry is a second request, refused by the state.
  CHECK(ErrorCode(shop.api.Post("/v1/sales/" + sale + "/complete", pay), 409) == "sale_not_open");
  // The same key for another body is a client bug.
  CHECK(ErrorCode(shop.api.Post("/v1/sales/" + sale + "/complete",
                                R"({"payments":[{"method":"card","amount":59900}]})", "pay-1"),
                  409) == "idempotency_key_reused");
  CHECK(ErrorCode(shop.api.Post("/v1/sales", "{}", std::string(200, 'k')), 400) ==
        "invalid_idempotency_key");
}

TEST_CASE("the sale flow over HTTP, with its refusals", "[api][flow]") {
  Shop shop;
  const std::string sale = shop.OpenSale();
  auto scanned = shop.Scan(sale, shop.Label("FL1"));
  REQUIRE(scanned.status == 200);
  CHECK(scanned.json()["lines"].size() == 1);
  CHECK(ErrorCode(shop.Scan(sale, shop.Label("FL1")), 409) == "serial_in_cart");
  const auto rogue = sa::crypto::SigningKey::Generate();
  CHECK(ErrorCode(
            shop.Scan(sale, sa::codes::MakeDigitalLink(
                                "x", kScarf, "FAKE", sa::codes::SignLabel(kScarf, "FAKE", rogue))),
            422) == "code_forged");
  CHECK(ErrorCode(shop.Scan(sale, sa::codes::MakeDigitalLink("x", kScarf, "UNSIGNED", "")), 422) ==
        "code_forged");
  CHECK(ErrorCode(shop.Scan(sale, shop.Label("FL1").substr(0, 40)), 422) == "malformed_code");

  const std::string code = shop.MemberCode("M77", NowS());
  auto bound = shop.api.Post("/v1/sales/" + sale + "/member", json{{"payload", code}}.dump());
  REQUIRE(bound.status == 200);
  CHECK(bound.json()["member"]["member_id"] == "M77");
  CHECK(ErrorCode(shop.api.Post("/v1/sales/" + sale + "/member", json{{"payload", code}}.dump()),
                  422) == "member_code_replayed");
  CHECK(ErrorCode(shop.api.Post("/v1/sales/" + sale + "/member",
                                json{{"payload", shop.MemberCode("M77", NowS() - 3600)}}.dump()),
                  422) == "member_code_expired");

  auto done = shop.api.Post("/v1/sales/" + sale + "/complete",
                            R"({"payments":[{"method":"card","amount":59900,"ref":"T-1"}]})");
  REQUIRE(done.status == 200);
  CHECK(done.json()["status"] == "completed");
  CHECK_FALSE(done.json()["receipt_no"].get<std::string>().empty());
  CHECK(ErrorCode(shop.Scan(shop.OpenSale(), shop.Label("FL1")), 409) == "serial_already_sold");

  auto receipt = shop.api.Get("/v1/sales/" + sale + "/receipt?width=58");
  REQUIRE(receipt.status == 200);
  CHECK(receipt.json()["text"].get<std::string>().find("599.00") != std::string::npos);
  CHECK(receipt.json()["claim_url"].is_null());  // a member is bound: nothing to claim

  auto refund = shop.api.Post("/v1/refunds", json{{"sale_id", sale}, {"serials", {"FL1"}}}.dump());
  REQUIRE(refund.status == 201);
  CHECK(refund.json()["amount"] == 59900);
  CHECK(
      ErrorCode(shop.api.Post("/v1/refunds", json{{"sale_id", sale}, {"serials", {"FL1"}}}.dump()),
                409) == "serial_already_refunded");

  auto scans = shop.api.Get("/v1/scans?limit=3");
  REQUIRE(scans.status == 200);
  CHECK(scans.json()["scans"].size() == 3);
  auto metrics = shop.api.Get("/metrics");
  REQUIRE(metrics.status == 200);
  CHECK(metrics.body.find("sa_sales_completed_total 1") != std::string::npos);
  CHECK(metrics.body.find("sa_scans_total{outcome=\"code_forged\"} 2") != std::string::npos);
  CHECK(metrics.body.find("sa_commit_seconds_bucket{le=\"+Inf\"}") != std::string::npos);
  CHECK(metrics.body.find("sa_outbox_depth 3") != std::string::npos);  // member, sale, refund
}

// Moved here from store_test with the re-layout: the store's operations no
// longer state durability; the daemon's writer commits each batch as its
// operations ask (docs/design.md, "Durability"). kill -9 cannot tell the two
// apart (the page cache survives it); the durable-commit histogram can: it
// counts only commits that fsync'd.
TEST_CASE("invariant 1: acknowledgements commit with synchronous=FULL, cart edits relaxed",
          "[api][invariant]") {
  Shop shop;
  auto durable_commits = [&] {
    const std::string body = shop.api.Get("/metrics").body;
    const std::string key = "sa_commit_seconds_count ";
    const auto at = body.find(key);
    REQUIRE(at != std::string::npos);
    return std::stoll(body.substr(at + key.size()));
  };
  const auto before = durable_commits();
  const std::string sale = shop.OpenSale();
  REQUIRE(shop.Scan(sale, shop.Label("INV1")).status == 200);
  REQUIRE(shop.api.Post("/v1/sales/" + sale + "/member", json{{"phone", "13800138000"}}.dump())
              .status == 200);
  CHECK(durable_commits() == before);  // cart edits and reads: relaxed
  REQUIRE(shop.api
              .Post("/v1/sales/" + sale + "/complete",
                    R"({"payments":[{"method":"cash","amount":59900}]})")
              .status == 200);
  CHECK(durable_commits() == before + 1);
  REQUIRE(
      shop.api.Post("/v1/refunds", json{{"sale_id", sale}, {"serials", {"INV1"}}}.dump()).status ==
      201);
  CHECK(durable_commits() == before + 2);
  const std::string other = shop.OpenSale();
  CHECK(durable_commits() == before + 2);
  REQUIRE(shop.api.Post("/v1/sales/" + other + "/void", "{}").status == 200);
  CHECK(durable_commits() == before + 3);
}

TEST_CASE("eight terminals selling at once: every sale once, receipts unique",
          "[api][concurrency]") {
  Shop shop;
  constexpr int kTerminals = 8, kEach = 5;
  std::vector<std::vector<std::string>> receipts(kTerminals);
  std::vector<std::thread> tills;
  for (int t = 0; t < kTerminals; ++t) {
    tills.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto open =
            shop.api.Post("/v1/sales", json{{"terminal", "till-" + std::to_string(t)}}.dump());
        if (open.status != 201) return;
        const std::string id = open.json()["id"];
        const std::string serial = "C" + std::to_string(t) + "-" + std::to_string(i);
        if (shop.Scan(id, shop.Label(serial)).status != 200) return;
        auto done = shop.api.Post("/v1/sales/" + id + "/complete",
                                  R"({"payments":[{"method":"cash","amount":59900}]})");
        if (done.status == 200) receipts[t].push_back(done.json()["receipt_no"]);
      }
    });
  }
  for (auto& t : tills) t.join();
  std::set<std::string> unique;
  for (const auto& r : receipts) unique.insert(r.begin(), r.end());
  CHECK(unique.size() == kTerminals * kEach);
  CHECK(shop.OutboxDepth() == kTerminals * kEach);
}
