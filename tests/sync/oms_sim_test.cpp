// SPDX-License-Identifier: Apache-2.0
// oms-sim, the reference cloud, as a real process on 127.0.0.1 (port 0),
// spoken to over real HTTP(S) with requests signed by sa::sync::Sign; and
// the protocol's shared pieces (canonical string, gzip). No sleeps: the
// process's ready line on stdout says when it listens.
#include <curl/curl.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_process.hpp"
#include "crypto.hpp"
#include "support.hpp"
#include "sync.hpp"

using json = nlohmann::ordered_json;

namespace {

std::int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// oms-sim as a child; its ready line on stdout gives the URL.
class OmsSim {
 public:
  OmsSim(const std::string& data_dir, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"--listen", "127.0.0.1:0", "--data-dir", data_dir};
    args.insert(args.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<sa::testing::AgentProcess>(
        SA_OMS_SIM, args, sa::testing::AgentProcess::Watch::stdout_lines);
    url_ = proc_->WaitReady();
    REQUIRE_FALSE(url_.empty());
  }

  const std::string& url() const { return url_; }

  // SIGTERM, then the exit status.
  int Stop() {
    proc_->Signal(SIGTERM);
    return proc_->Wait();
  }

 private:
  std::unique_ptr<sa::testing::AgentProcess> proc_;
  std::string url_;
};

// An HTTP answer (status 0: no whole answer), its body read keeping key
// order: events must come back exactly as they were sent.
struct Answer : sa::testing::HttpReply {
  nlohmann::ordered_json Json() const {
    return nlohmann::ordered_json::parse(body, nullptr, false);
  }
};

std::string g_ca_file;  // set by the HTTPS test

Answer Call(const std::string& method, const std::string& url, const std::string& body = "",
            std::vector<std::string> headers = {}) {
  headers.push_back("Expect:");  // no 100-continue round trip for big bodies
  return Answer{sa::testing::Http(method, url, body, std::move(headers), g_ca_file)};
}

// A store device: its key, and signed protocol requests.
struct Device {
  std::string url;
  std::string store = "s-0042";
  std::string id = "till-1";
  sa::crypto::Bytes key = NewKey();
  std::int64_t skew_ms = 0;  // added to the signing timestamp

  static sa::crypto::Bytes NewKey() {
    sa::crypto::Bytes k(sa::sync::kDeviceKeyBytes);
    sa::crypto::RandomBytes(k);
    return k;
  }

  // `signed_body` is what the signature covers; normally what is sent.
  Answer Send(const std::string& method, const std::string& path, const std::string& body,
              std::vector<std::string> headers = {}, const std::string* signed_body = nullptr,
              const sa::crypto::Bytes* sign_key = nullptr) const {
    const std::int64_t ts = NowMs() + skew_ms;
    const sa::sync::SignedRequest req{method, path, ts,
                                      store,  id,   signed_body ? *signed_body : body};
    headers.push_back("X-SA-Store: " + store);
    headers.push_back("X-SA-Device: " + id);
    headers.push_back("X-SA-Timestamp: " + std::to_string(ts));
    headers.push_back("X-SA-Signature: " + sa::sync::Sign(sign_key ? *sign_key : key, req));
    return Call(method, url + path, body, headers);
  }

  Answer Register() const {
    const json body{{"store_id", store},
                    {"device_id", id},
                    {"key", sa::crypto::Base64UrlEncode(key)},
                    {"agent_version", "test"}};
    return Send("POST", std::string(sa::sync::kPathRegister), body.dump(),
                {"Content-Type: application/json"});
  }

  json Event(std::int64_t seq, const std::string& type, json payload,
             std::string event_id = "") const {
    if (event_id.empty()) event_id = "ev-" + id + "-" + std::to_string(seq);
    return json{{"id", event_id},
                {"store_id", store},
                {"device_id", id},
                {"seq", seq},
                {"type", type},
                {"at", "2026-11-23T08:15:02.123Z"},
                {"payload", std::move(payload)}};
  }

  std::string Batch(const json& events) const {
    return json{{"store_id", store}, {"device_id", id}, {"events", events}}.dump();
  }

  Answer Push(const json& events, bool gzip = true) const {
    const std::string body = Batch(events);
    if (!gzip)
      return Send("POST", std::string(sa::sync::kPathEvents), body,
                  {"Content-Type: application/json"});
    return Send("POST", std::string(sa::sync::kPathEvents), sa::sync::Gzip(body),
                {"Content-Type: application/json", "Content-Encoding: gzip"});
  }

  Answer Pull(std::int64_t after, std::int64_t limit = 500) const {
    return Send("GET",
                std::string(sa::sync::kPathChanges) + "?after=" + std::to_string(after) +
                    "&limit=" + std::to_string(limit),
                "");
  }

  // Every change of the store's feed, paging through it.
  std::vector<json> PullAll() const {
    std::vector<json> out;
    std::int64_t cursor = 0;
    while (true) {
      const Answer a = Pull(cursor, 3);
      REQUIRE(a.status == 200);
      const json page = a.Json();
      for (const auto& c : page["changes"]) out.push_back(c);
      cursor = page["cursor"].get<std::int64_t>();
      if (!page["more"].get<bool>()) return out;
    }
  }
};

json Sale(const std::string& sale_id, const std::vector<std::string>& serials) {
  json lines = json::array();
  for (const auto& s : serials) {
    lines.push_back(json{{"id", lines.size() + 1},
                         {"gtin", "06950123450005"},
                         {"serial", s},
                         {"name", "Scarf"},
                         {"unit_price", 59900},
                         {"qty", 1},
                         {"amount", 59900},
                         {"signature", "valid"}});
  }
  return json{{"id", sale_id}, {"status", "completed"}, {"currency", "CNY"}, {"lines", lines}};
}

json Refund(const std::string& sale_id, const std::string& serial) {
  return json{{"refund_id", "r-" + sale_id},
              {"sale_id", sale_id},
              {"lines", json::array({json{{"gtin", "06950123450005"}, {"serial", serial}}})}};
}

Answer Admin(const std::string& url, const std::string& method, const std::string& path,
             const std::string& body = "", std::vector<std::string> headers = {}) {
  return Call(method, url + path, body, std::move(headers));
}

std::string ErrorCode(const Answer& a) {
  const json j = a.Json();
  if (j.is_discarded() || !j.contains("error")) return "";
  return j["error"].value("code", "");
}

struct Cloud {
  explicit Cloud(std::vector<std::string> extra = {})
      : temp("sa-oms"), data((temp.path() / "data").string()), oms(data, std::move(extra)) {
    device.url = oms.url();
  }
  sa::testing::TempDir temp;
  std::string data;
  OmsSim oms;
  Device device;
};

}  // namespace

// ---------------------------------------------------------------- protocol

TEST_CASE("canonical string is the seven documented lines", "[protocol]") {
  const sa::sync::SignedRequest req{
      "GET", "/sync/v1/changes?after=12&limit=500", 1795394837291, "s-0042", "till-1", ""};
  CHECK(sa::sync::CanonicalString(req) ==
        "SA1\nGET\n/sync/v1/changes?after=12&limit=500\n1795394837291\ns-0042\ntill-1\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const sa::crypto::Bytes key(32, 7);
  const std::string sig = sa::sync::Sign(key, req);
  CHECK(sig.substr(0, 3) == "v1=");
  CHECK(sig.size() == 3 + 64);
  CHECK(sa::sync::VerifySignature(key, req, sig));
  CHECK_FALSE(sa::sync::VerifySignature(sa::crypto::Bytes(32, 8), req, sig));
}

TEST_CASE("gzip round trip and truncated stream refused", "[protocol]") {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{\"seq\":" + std::to_string(i) + "},";
  const std::string packed = sa::sync::Gzip(text);
  CHECK(packed.size() < text.size());
  auto back = sa::sync::Gunzip(packed);
  REQUIRE(back);
  CHECK(*back == text);
  CHECK_FALSE(sa::sync::Gunzip(packed.substr(0, packed.size() / 2)));
  CHECK_FALSE(sa::sync::Gunzip(packed.substr(0, packed.size() - 4)));  // no trailer
  CHECK_FALSE(sa::sync::Gunzip("{\"not\":\"gzip\"}"));
  auto big = sa::sync::Gunzip(sa::sync::Gzip(std::string(4096, ' ')), 1000);
  REQUIRE_FALSE(big);
  CHECK(big.error().code == "too_large");
}

// ------------------------------------------------------------------- oms-sim

TEST_CASE("register trusts on first contact and refuses another key", "[oms-sim]") {
  Cloud c;
  Answer a = c.device.Register();
  REQUIRE(a.status == 200);
  CHECK(a.Json()["status"] == "registered");
  a = c.device.Register();
  REQUIRE(a.status == 200);
  CHECK(a.Json()["status"] == "known");

  Device impostor = c.device;
  impostor.key = Device::NewKey();
  a = impostor.Register();
  CHECK(a.status == 409);
  CHECK(ErrorCode(a) == "device_key_mismatch");

  Device stranger = c.device;
  stranger.id = "till-9";
  a = stranger.Pull(0);
  CHECK(a.status == 401);
  CHECK(ErrorCode(a) == "unknown_device");

  // A register body whose ids are not the signed headers'.
  json body{{"store_id", "s-other"},
            {"device_id", c.device.id},
            {"key", sa::crypto::Base64UrlEncode(c.device.key)}};
  a = c.device.Send("POST", std::string(sa::sync::kPathRegister), body.dump());
  CHECK(a.status == 400);
  CHECK(ErrorCode(a) == "store_mismatch");

  a = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/devices");
  REQUIRE(a.status == 200);
  REQUIRE(a.Json()["devices"].size() == 1);
  CHECK(a.Json()["devices"][0]["device_id"] == "till-1");
  CHECK(a.Json()["devices"][0]["acked_seq"] == 0);
  CHECK(a.Json()["devices"][0]["last_seen"].is_string());
}

TEST_CASE("strict mode accepts only provisioned devices and the admin token guards admin",
          "[oms-sim]") {
  Cloud c({"--strict", "--admin-token", "sesame"});
  Answer a = c.device.Register();
  CHECK(a.status == 403);
  CHECK(ErrorCode(a) == "device_not_provisioned");

  const std::string provision =
      json{{"device_id", c.device.id}, {"key", sa::crypto::Base64UrlEncode(c.device.key)}}.dump();
  a = Admin(c.oms.url(), "POST", "/admin/v1/stores/s-0042/devices", provision);
  CHECK(a.status == 401);
  CHECK(ErrorCode(a) == "unauthorized");
  a = Admin(c.oms.url(), "POST", "/admin/v1/stores/s-0042/devices", provision,
            {"Authorization: Bearer sesame"});
  REQUIRE(a.status == 200);

  a = c.device.Register();
  REQUIRE(a.status == 200);
  CHECK(a.Json()["status"] == "known");
  a = c.device.Push(json::array({c.device.Event(1, "shift.closed", json::object())}));
  REQUIRE(a.status == 200);
  CHECK(a.Json()["acked_seq"] == 1);
}

TEST_CASE("signature failures are 401 and every answer carries the server time", "[oms-sim]") {
  Cloud c;
  REQUIRE(c.device.Register().status == 200);

  Answer a = Call("GET", c.oms.url() + "/sync/v1/changes?after=0");
  CHECK(a.status == 401);
  CHECK(ErrorCode(a) == "unsigned");
  CHECK_FALSE(a.Header("X-SA-Server-Time").empty());
  CHECK_FALSE(a.Header("Date").empty());

  const sa::crypto::Bytes wrong = Device::NewKey();
  a = c.device.Send("GET", "/sync/v1/changes?after=0", "", {}, nullptr, &wrong);
  CHECK(a.status == 401);
  CHECK(ErrorCode(a) == "bad_signature");

  // The signature covers the body's hash: another body fails.
  const std::string sent =
      c.device.Batch(json::array({c.device.Event(1, "shift.closed", json::object())}));
  const std::string other = sent + " ";
  a = c.device.Send("POST", "/sync/v1/events", sent, {}, &other);
  CHECK(a.status == 401);
  CHECK(ErrorCode(a) == "bad_signature");

  // The signed path includes the query.
  {
    const std::int64_t ts = NowMs();
    const sa::sync::SignedRequest req{
        "GET", "/sync/v1/changes?after=0", ts, c.device.store, c.device.id, ""};
    a = Call("GET", c.oms.url() + "/sync/v1/changes?after=1", "",
             {"X-SA-Store: " + c.device.store, "X-SA-Device: " + c.device.id,
              "X-SA-Timestamp: " + std::to_string(ts),
              "X-SA-Signature: " + sa::sync::Sign(c.device.key, req)});
    CHECK(ErrorCode(a) == "bad_signature");
  }

  // A device clock an hour behind: clock_skew, then the offset fixes it.
  Device late = c.device;
  late.skew_ms = -3'600'000;
  a = late.Pull(0);
  CHECK(a.status == 401);
  CHECK(ErrorCode(a) == "clock_skew");
  const std::string server_time = a.Header("X-SA-Server-Time");
  REQUIRE_FALSE(server_time.empty());
  late.skew_ms += std::stoll(server_time) - (NowMs() + late.skew_ms);
  a = late.Pull(0);
  CHECK(a.status == 200);
  CHECK_FALSE(a.Header("X-SA-Server-Time").empty());
}

TEST_CASE("push acknowledges dedups reports gaps and rejects without blocking", "[oms-sim]") {
  Cloud c;
  const Device& d = c.device;
  REQUIRE(d.Register().status == 200);

  const json e1 = d.Event(1, "sale.completed", Sale("sale-1", {"A1"}));
  const json e2 =
      d.Event(2, "member.bound", json{{"sale_id", "sale-1"}, {"member", {{"member_id", "m-1"}}}});
  Answer a = d.Push(json::array({e1, e2}));
  REQUIRE(a.status == 200);
  json r = a.Json();
  CHECK(r["acked_seq"] == 2);
  REQUIRE(r["results"].size() == 2);
  CHECK(r["results"][0]["status"] == "accepted");
  CHECK(r["results"][0]["id"] == "ev-till-1-1");
  CHECK(r["results"][1]["status"] == "accepted");
  CHECK_FALSE(r.contains("expected_seq"));

  // Resent (the answer was lost): duplicates, nothing changes. Identity body.
  a = d.Push(json::array({e1, e2}), false);
  REQUIRE(a.status == 200);
  r = a.Json();
  CHECK(r["acked_seq"] == 2);
  CHECK(r["results"][0]["status"] == "duplicate");
  CHECK(r["results"][1]["status"] == "duplicate");

  // A gap: nothing processed, the answer says where to resume.
  a = d.Push(json::array({d.Event(5, "shift.closed", json::object())}));
  REQUIRE(a.status == 200);
  r = a.Json();
  CHECK(r["acked_seq"] == 2);
  CHECK(r["results"].empty());
  CHECK(r["expected_seq"] == 3);

  // An unknown type and a bad payload are rejected and do not block the rest.
  a = d.Push(json::array({d.Event(3, "sale.teleported", json::object()),
                          d.Event(4, "sale.completed", json{{"id", "sale-x"}}),
                          d.Event(5, "shift.closed", json{{"shift", 1}}),
                          d.Event(7, "shift.closed", json::object())}));
  REQUIRE(a.status == 200);
  r = a.Json();
  CHECK(r["acked_seq"] == 5);
  REQUIRE(r["results"].size() == 3);
  CHECK(r["results"][0]["status"] == "rejected");
  CHECK(r["results"][0]["error"]["code"] == "unknown_type");
  CHECK(r["results"][1]["status"] == "rejected");
  CHECK(r["results"][1]["error"]["code"] == "bad_payload");
  CHECK(r["results"][2]["status"] == "accepted");
  CHECK(r["expected_seq"] == 6);

  // A used seq with another id: the device lost its ledger.
  a = d.Push(json::array({d.Event(2, "shift.closed", json::object(), "another-id")}));
  REQUIRE(a.status == 200);
  r = a.Json();
  CHECK(r["acked_seq"] == 5);
  CHECK(r["results"][0]["status"] == "rejected");
  CHECK(r["results"][0]["error"]["code"] == "seq_reused");

  // A broken envelope at acked_seq + 1 is rejected and takes its seq...
  json broken = d.Event(6, "shift.closed", json::object());
  broken.erase("at");
  a = d.Push(json::array({broken, d.Event(7, "shift.closed", json::object())}));
  REQUIRE(a.status == 200);
  r = a.Json();
  CHECK(r["acked_seq"] == 7);
  CHECK(r["results"][0]["status"] == "rejected");
  CHECK(r["results"][1]["status"] == "accepted");
  // ...and resending it is a duplicate, not an error.
  a = d.Push(json::array({broken}));
  REQUIRE(a.status == 200);
  CHECK(a.Json()["results"][0]["status"] == "duplicate");

  // Anywhere else it fails the whole request, and nothing of it applies.
  json misplaced = d.Event(10, "shift.closed", json::object());
  misplaced["device_id"] = "till-2";
  a = d.Push(json::array({d.Event(8, "shift.closed", json::object()), misplaced}));
  CHECK(a.status == 400);
  CHECK(ErrorCode(a) == "bad_body");

  // The operator sees accepted events once each, in order, as sent.
  a = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/events");
  REQUIRE(a.status == 200);
  CHECK(a.body.find(e1.dump()) != std::string::npos);
  const json events = a.Json()["events"];
  REQUIRE(events.size() == 4);
  CHECK(events[0]["seq"] == 1);
  CHECK(events[1]["seq"] == 2);
  CHECK(events[2]["seq"] == 5);
  CHECK(events[3]["seq"] == 7);
  CHECK(events[0].dump() == e1.dump());

  a = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/rejected");
  REQUIRE(a.status == 200);
  const json rejected = a.Json()["events"];
  REQUIRE(rejected.size() == 4);
  CHECK(rejected[0]["error"]["code"] == "unknown_type");
  CHECK(rejected[0]["event"]["type"] == "sale.teleported");
  CHECK(rejected[2]["error"]["code"] == "seq_reused");

  a = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/devices");
  CHECK(a.Json()["devices"][0]["acked_seq"] == 7);
}

TEST_CASE("push bodies are gzip or identity and bounded", "[oms-sim]") {
  Cloud c;
  const Device& d = c.device;
  REQUIRE(d.Register().status == 200);
  const std::string batch = d.Batch(json::array({d.Event(1, "shift.closed", json::object())}));

  const std::string packed = sa::sync::Gzip(batch);
  Answer a = d.Send("POST", "/sync/v1/events", packed.substr(0, packed.size() - 6),
                    {"Content-Encoding: gzip"});
  CHECK(a.status == 400);
  CHECK(ErrorCode(a) == "bad_body");

  a = d.Send("POST", "/sync/v1/events", "{\"store_id\":", {"Content-Type: application/json"});
  CHECK(a.status == 400);
  CHECK(ErrorCode(a) == "bad_body");

  a = d.Send("POST", "/sync/v1/events", json{{"store_id", d.store}, {"device_id", d.id}}.dump());
  CHECK(a.status == 400);
  CHECK(ErrorCode(a) == "bad_body");

  a = d.Send("POST", "/sync/v1/events", sa::sync::Gzip(std::string(9u << 20, ' ')),
             {"Content-Encoding: gzip"});
  CHECK(a.status == 413);
  CHECK(ErrorCode(a) == "too_large");

  a = d.Send("POST", "/sync/v1/events", std::string(9u << 20, ' '));
  CHECK(a.status == 413);
  CHECK(ErrorCode(a) == "too_large");

  // None of that applied anything; a good body still goes through.
  a = d.Push(json::array({d.Event(1, "shift.closed", json::object())}));
  REQUIRE(a.status == 200);
  CHECK(a.Json()["acked_seq"] == 1);
}

TEST_CASE("pull pages through the feed with cursors", "[oms-sim]") {
  Cloud c;
  const Device& d = c.device;
  REQUIRE(d.Register().status == 200);
  Answer a = d.Pull(0);
  REQUIRE(a.status == 200);
  CHECK(a.Json()["changes"].empty());
  CHECK(a.Json()["cursor"] == 0);
  CHECK(a.Json()["more"] == false);

  a = Admin(c.oms.url(), "PUT", "/admin/v1/stores/s-0042/catalog",
            "gtin,name,price_minor,tax_rate\n"
            "6950123450005,Scarf,59900,13\n"
            "12345670,\"Pen, blue\",100,6.5\n"
            "036000291452,Soap,350,0.06\n"
            "4006381333931,Pencil,120,13%\n"
            "06950123450005,Scarf,49900,0\n",
            {"Content-Type: text/csv"});
  REQUIRE(a.status == 200);
  CHECK(a.Json()["upserted"] == 5);
  // Another store's feed is not this one's.
  REQUIRE(Admin(c.oms.url(), "POST", "/admin/v1/stores/s-other/stock",
                R"({"gtin":"6950123450005","on_hand":3})")
              .status == 200);

  a = d.Pull(0, 2);
  REQUIRE(a.status == 200);
  json page = a.Json();
  REQUIRE(page["changes"].size() == 2);
  CHECK(page["more"] == true);
  CHECK(page["cursor"] == page["changes"][1]["cursor"]);
  CHECK(page["changes"][0]["type"] == "catalog.upsert");
  CHECK(page["changes"][0]["data"]["gtin"] == "06950123450005");
  CHECK(page["changes"][0]["data"]["tax_rate_bp"] == 1300);
  CHECK(page["changes"][1]["data"]["gtin"] == "00000012345670");
  CHECK(page["changes"][1]["data"]["name"] == "Pen, blue");
  CHECK(page["changes"][1]["data"]["tax_rate_bp"] == 650);
  CHECK(page["changes"][1]["data"]["currency"] == "CNY");
  CHECK(page["changes"][0]["cursor"].get<std::int64_t>() <
        page["changes"][1]["cursor"].get<std::int64_t>());

  a = d.Pull(page["cursor"].get<std::int64_t>(), 2);
  page = a.Json();
  REQUIRE(page["changes"].size() == 2);
  CHECK(page["changes"][0]["data"]["tax_rate_bp"] == 600);
  CHECK(page["changes"][1]["data"]["tax_rate_bp"] == 1300);
  CHECK(page["more"] == true);

  a = d.Pull(page["cursor"].get<std::int64_t>(), 2);
  page = a.Json();
  REQUIRE(page["changes"].size() == 1);
  CHECK(page["changes"][0]["data"]["price_minor"] == 49900);
  CHECK(page["more"] == false);
  const std::int64_t end = page["cursor"].get<std::int64_t>();

  a = d.Pull(end);
  CHECK(a.Json()["changes"].empty());
  CHECK(a.Json()["cursor"] == end);
  CHECK(a.Json()["more"] == false);

  CHECK(d.Pull(0, 0).status == 400);
  CHECK(d.Pull(0, 1001).status == 400);
  CHECK(d.Send("GET", "/sync/v1/changes", "").status == 200);  // defaults

  // A bad catalog changes nothing.
  a = Admin(c.oms.url(), "PUT", "/admin/v1/stores/s-0042/catalog",
            "gtin,name,price_minor\n6950123450005,Scarf,59900\n6950123450006,Bad check digit,1\n");
  CHECK(a.status == 400);
  CHECK(d.Pull(end).Json()["changes"].empty());
}

TEST_CASE("each admin write appears in the feed", "[oms-sim]") {
  Cloud c;
  const Device& d = c.device;
  REQUIRE(d.Register().status == 200);
  const std::string store = c.oms.url() + "/admin/v1/stores/s-0042";
  auto post = [&](const std::string& what, const json& body) {
    return Call("POST", store + what, body.dump(), {"Content-Type: application/json"});
  };

  CHECK(post("/orders", {{"id", "o-1"},
                         {"kind", "ship_from_store"},
                         {"lines", {{{"gtin", "6950123450005"}, {"qty", 2}}}}})
            .status == 200);
  CHECK(post("/orders", {{"id", "o-2"},
                         {"kind", "pickup"},
                         {"ttl_s", 600},
                         {"pickup_code", "4711"},
                         {"lines", {{{"gtin", "6950123450005"}, {"qty", 1}}}}})
            .status == 200);
  // Refused orders offer nothing.
  CHECK(post("/orders", {{"id", "o-3"},
                         {"kind", "pickup"},
                         {"lines", {{{"gtin", "6950123450005"}, {"qty", 1}}}}})
            .status == 400);
  CHECK(post("/orders", {{"id", "o-3"},
                         {"kind", "ship_from_store"},
                         {"lines", {{{"gtin", "6950123450005"}, {"qty", 0}}}}})
            .status == 400);
  CHECK(post("/orders", {{"id", "o-3"}, {"kind", "ship_from_store"}, {"lines", json::array()}})
            .status == 400);
  CHECK(post("/orders", {{"id", "o-1"},
                         {"kind", "ship_from_store"},
                         {"lines", {{{"gtin", "6950123450005"}, {"qty", 1}}}}})
            .status == 409);
  CHECK(Call("POST", store + "/orders", "{not json").status == 400);

  CHECK(post("/orders/o-1/cancel", json::object()).status == 200);
  Answer a = post("/orders/nope/cancel", json::object());
  CHECK(a.status == 404);
  CHECK_FALSE(ErrorCode(a).empty());
  CHECK(post("/revocations", {{"gtin", "6950123450005"}, {"serial", "A1"}, {"reason", "stolen"}})
            .status == 200);
  CHECK(Call("PUT", store + "/catalog",
             R"([{"gtin":"6950123450005","name":"Scarf","price_minor":59900,"tax_rate_bp":1300},
                 {"gtin":"12345670","name":"Pen","price_minor":100,"currency":"HKD"}])",
             {"Content-Type: application/json"})
            .status == 200);
  CHECK(post("/allocations", {{"gtin", "6950123450005"},
                              {"serial_from", "A000"},
                              {"serial_to", "A999"},
                              {"region", "CN-31"},
                              {"lot", "L7"}})
            .status == 200);
  CHECK(post("/allocations", {{"gtin", "6950123450005"},
                              {"serial_from", "A000"},
                              {"serial_to", "A99"},
                              {"region", "CN-31"}})
            .status == 400);
  const std::string pem = sa::crypto::SigningKey::Generate().PublicPem();
  CHECK(post("/keys", {{"kind", "brand"}, {"action", "add"}, {"pem", pem}}).status == 200);
  CHECK(post("/keys", {{"kind", "member"}, {"action", "retire"}, {"pem", pem}}).status == 200);
  CHECK(post("/keys", {{"kind", "brand"}, {"action", "add"}, {"pem", "not a key"}}).status == 400);
  CHECK(post("/stock", {{"gtin", "6950123450005"}, {"on_hand", 12}}).status == 200);
  CHECK(Call("GET", store + "/stock").status == 405);
  CHECK(Call("GET", store + "/nothing").status == 404);

  const std::vector<json> feed = d.PullAll();
  std::vector<std::string> types;
  for (const auto& ch : feed) types.push_back(ch["type"].get<std::string>());
  CHECK(types == std::vector<std::string>{"order.offered", "order.offered", "order.cancelled",
                                          "revocation", "catalog.upsert", "catalog.upsert",
                                          "allocation", "key.brand", "key.member",
                                          "stock.snapshot"});
  REQUIRE(feed.size() == 10);
  CHECK(feed[0]["data"]["ttl_s"] == 1800);
  CHECK(feed[0]["data"]["lines"][0] == json({{"gtin", "06950123450005"}, {"qty", 2}}));
  CHECK_FALSE(feed[0]["data"].contains("pickup_code"));
  CHECK(feed[1]["data"]["pickup_code"] == "4711");
  CHECK(feed[2]["data"] == json({{"id", "o-1"}}));
  CHECK(feed[3]["data"] ==
        json({{"gtin", "06950123450005"}, {"serial", "A1"}, {"reason", "stolen"}}));
  CHECK(feed[5]["data"]["currency"] == "HKD");
  CHECK(feed[5]["data"]["tax_rate_bp"] == 0);
  CHECK(feed[6]["data"]["lot"] == "L7");
  CHECK(feed[7]["data"]["action"] == "add");
  CHECK(feed[7]["data"]["pem"] == pem);
  CHECK(feed[9]["data"] == json({{"gtin", "06950123450005"}, {"on_hand", 12}}));
  for (const auto& ch : feed) CHECK(ch["at"].get<std::string>().size() == 24);
}

TEST_CASE("a unit sold on two devices raises serial_sold_twice unless refunded between",
          "[oms-sim]") {
  Cloud c;
  Device a_till = c.device;
  Device b_till = c.device;
  b_till.id = "till-2";
  b_till.key = Device::NewKey();
  REQUIRE(a_till.Register().status == 200);
  REQUIRE(b_till.Register().status == 200);

  // Y is sold, refunded, sold again elsewhere: fine.
  REQUIRE(a_till
              .Push(json::array({a_till.Event(1, "sale.completed", Sale("s-a1", {"X1", "Y1"})),
                                 a_till.Event(2, "refund.completed", Refund("s-a1", "Y1"))}))
              .Json()["acked_seq"] == 2);
  // X was never refunded: selling it on the other till is a double sale.
  // A plain GTIN line (no serial) is never one.
  json sale = Sale("s-b1", {"Y1", "X1"});
  sale["lines"].push_back(
      json{{"id", 3}, {"gtin", "06950123450012"}, {"serial", nullptr}, {"qty", 1}});
  REQUIRE(b_till.Push(json::array({b_till.Event(1, "sale.completed", sale)})).Json()["acked_seq"] ==
          1);

  Answer alerts = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/alerts");
  REQUIRE(alerts.status == 200);
  REQUIRE(alerts.Json()["alerts"].size() == 1);

  const std::vector<json> feed = a_till.PullAll();
  REQUIRE(feed.size() == 1);
  CHECK(feed[0]["type"] == "alert");
  const json& data = feed[0]["data"];
  CHECK(data["code"] == "serial_sold_twice");
  CHECK(data["gtin"] == "06950123450005");
  CHECK(data["serial"] == "X1");
  CHECK(data["message"].is_string());
  CHECK(data["sales"] == json::array({json{{"device_id", "till-1"}, {"sale_id", "s-a1"}},
                                      json{{"device_id", "till-2"}, {"sale_id", "s-b1"}}}));
  // Both devices of the store see it.
  CHECK(b_till.PullAll().size() == 1);

  // A resent sale is a duplicate: no second alert.
  REQUIRE(b_till.Push(json::array({b_till.Event(1, "sale.completed", sale)})).status == 200);
  CHECK(a_till.PullAll().size() == 1);
}

TEST_CASE("state survives a restart", "[oms-sim]") {
  sa::testing::TempDir temp("sa-oms");
  const std::string data = (temp.path() / "data").string();
  Device d;
  json e1;
  {
    OmsSim oms(data);
    d.url = oms.url();
    REQUIRE(d.Register().status == 200);
    e1 = d.Event(1, "sale.completed", Sale("s-1", {"X1"}));
    REQUIRE(
        d.Push(json::array({e1, d.Event(2, "shift.closed", json::object())})).Json()["acked_seq"] ==
        2);
    REQUIRE(Admin(oms.url(), "POST", "/admin/v1/stores/s-0042/revocations",
                  R"({"gtin":"6950123450005","serial":"Z9"})")
                .status == 200);
    std::string url_file;
    std::getline(std::ifstream(data + "/url"), url_file);
    CHECK(url_file == oms.url());
    CHECK(oms.Stop() == 0);
  }
  OmsSim oms(data);
  d.url = oms.url();
  CHECK(d.Register().Json()["status"] == "known");
  Answer a = d.Push(json::array({e1}));
  REQUIRE(a.status == 200);
  CHECK(a.Json()["acked_seq"] == 2);
  CHECK(a.Json()["results"][0]["status"] == "duplicate");
  a = Admin(oms.url(), "GET", "/admin/v1/stores/s-0042/events");
  REQUIRE(a.Json()["events"].size() == 2);
  CHECK(a.Json()["events"][0].dump() == e1.dump());
  const std::vector<json> feed = d.PullAll();
  REQUIRE(feed.size() == 1);
  CHECK(feed[0]["type"] == "revocation");
  // The sold unit is remembered too.
  Device other = d;
  other.id = "till-2";
  other.key = Device::NewKey();
  REQUIRE(other.Register().status == 200);
  REQUIRE(other.Push(json::array({other.Event(1, "sale.completed", Sale("s-2", {"X1"}))})).status ==
          200);
  CHECK(d.PullAll().size() == 2);
}

TEST_CASE("bad flags and a busy port exit 1 with one line", "[oms-sim]") {
  sa::testing::TempDir temp("sa-oms");
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), SA_OMS_SIM);
    std::string cmd;
    for (const auto& a : args) cmd += "'" + a + "' ";
    return std::system((cmd + "> /dev/null 2>&1").c_str());
  };
  const std::string dir = (temp.path() / "d").string();
  CHECK(WEXITSTATUS(run({"--data-dir", dir, "--listen", "nonsense"})) == 1);
  CHECK(WEXITSTATUS(run({"--data-dir", dir, "--fault-drop", "2"})) == 1);
  CHECK(WEXITSTATUS(run({"--data-dir", dir, "--no-such-flag"})) == 1);
  CHECK(WEXITSTATUS(run({"--listen", "127.0.0.1:0"})) == 1);  // no --data-dir
  // --version and --help answer alone, without the flags a real run needs.
  CHECK(WEXITSTATUS(run({"--help"})) == 0);
  CHECK(WEXITSTATUS(run({"--version"})) == 0);
  FILE* version = popen((std::string("'") + SA_OMS_SIM + "' --version").c_str(), "r");
  REQUIRE(version != nullptr);
  char line[128] = {};
  const bool read = std::fgets(line, sizeof line, version) != nullptr;
  pclose(version);
  CHECK(read);
  CHECK(std::string(line).rfind("oms-sim ", 0) == 0);
  OmsSim oms(dir);
  const std::string port = oms.url().substr(oms.url().rfind(':') + 1);
  CHECK(WEXITSTATUS(run({"--data-dir", dir + "2", "--listen", "127.0.0.1:" + port})) == 1);
}

TEST_CASE("HTTPS with a self-signed certificate", "[oms-sim]") {
  sa::testing::TempDir temp("sa-oms-tls");
  const std::string cert = (temp.path() / "cert.pem").string();
  const std::string key = (temp.path() / "key.pem").string();
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
      "-days 2 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout '" +
      key + "' -out '" + cert + "' > /dev/null 2>&1";
  REQUIRE(std::system(cmd.c_str()) == 0);
  OmsSim oms((temp.path() / "data").string(), {"--tls-cert", cert, "--tls-key", key});
  REQUIRE(oms.url().substr(0, 8) == "https://");
  Device d;
  d.url = oms.url();

  // Not trusted without the CA file; trusted with it.
  CHECK(d.Register().status == 0);
  g_ca_file = cert;
  Answer a = d.Register();
  CHECK(a.status == 200);
  CHECK(a.Json()["status"] == "registered");
  a = d.Push(json::array({d.Event(1, "shift.closed", json::object())}));
  CHECK(a.Json()["acked_seq"] == 1);
  CHECK(Admin(oms.url(), "GET", "/admin/v1/stores/s-0042/events").Json()["events"].size() == 1);
  g_ca_file.clear();
}

TEST_CASE("fault error answers 500 unprocessed and admin still works", "[oms-sim]") {
  Cloud c({"--fault-error", "1.0", "--seed", "7"});
  Answer a = c.device.Register();
  CHECK(a.status == 500);
  CHECK(ErrorCode(a) == "injected");
  CHECK_FALSE(a.Header("X-SA-Server-Time").empty());
  a = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/devices");
  REQUIRE(a.status == 200);
  CHECK(a.Json()["devices"].empty());  // register was not processed

  a = Admin(c.oms.url(), "GET", "/admin/v1/faults");
  REQUIRE(a.status == 200);
  CHECK(a.Json()["error"] == 1.0);
  CHECK(a.Json()["seed"] == 7);
  a = Admin(c.oms.url(), "PUT", "/admin/v1/faults", R"({"error":0,"delay":1,"delay_ms":20})");
  REQUIRE(a.status == 200);
  CHECK(a.Json()["delay"] == 1.0);
  CHECK(Admin(c.oms.url(), "PUT", "/admin/v1/faults", R"({"drop":1.5})").status == 400);
  // Delayed answers still arrive whole.
  a = c.device.Register();
  CHECK(a.status == 200);
  CHECK(a.Json()["status"] == "registered");
}

TEST_CASE("fault cut commits the push although the answer is cut short", "[oms-sim]") {
  Cloud c;
  REQUIRE(c.device.Register().status == 200);
  REQUIRE(Admin(c.oms.url(), "PUT", "/admin/v1/faults", R"({"cut":1})").status == 200);
  const json e1 = c.device.Event(1, "shift.closed", json{{"n", 1}});
  Answer a = c.device.Push(json::array({e1}));
  CHECK(a.status == 0);
  CHECK(a.code != CURLE_OK);
  // Committed: the operator sees it.
  a = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/events");
  REQUIRE(a.status == 200);
  CHECK(a.Json()["events"].size() == 1);

  REQUIRE(Admin(c.oms.url(), "PUT", "/admin/v1/faults", "{}").status == 200);
  a = c.device.Push(json::array({e1}));
  REQUIRE(a.status == 200);
  CHECK(a.Json()["results"][0]["status"] == "duplicate");
}

TEST_CASE("fault drop answers nothing and commits nothing", "[oms-sim]") {
  Cloud c;
  REQUIRE(c.device.Register().status == 200);
  REQUIRE(Admin(c.oms.url(), "PUT", "/admin/v1/faults", R"({"drop":1,"seed":3})").status == 200);
  const json e1 = c.device.Event(1, "shift.closed", json::object());
  Answer a = c.device.Push(json::array({e1}));
  CHECK(a.status == 0);
  CHECK(a.code != CURLE_OK);
  CHECK(a.headers.empty());
  a = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/events");
  REQUIRE(a.status == 200);
  CHECK(a.Json()["events"].empty());

  REQUIRE(Admin(c.oms.url(), "PUT", "/admin/v1/faults", "{}").status == 200);
  a = c.device.Push(json::array({e1}));
  REQUIRE(a.status == 200);
  CHECK(a.Json()["results"][0]["status"] == "accepted");
}

TEST_CASE("a post-voided sale puts its units back, an open cart's void does not",
          "[oms-sim][post-void]") {
  Cloud c;
  Device a_till = c.device;
  Device b_till = c.device;
  b_till.id = "till-2";
  b_till.key = Device::NewKey();
  REQUIRE(a_till.Register().status == 200);
  REQUIRE(b_till.Register().status == 200);

  auto voided = [](const std::string& sale_id, const std::vector<std::string>& serials, bool post) {
    json p{{"sale_id", sale_id}, {"terminal", "t1"},  {"reason", "r"},
           {"total", 59900},     {"currency", "CNY"}, {"lines", Sale(sale_id, serials)["lines"]}};
    if (post) {
      p["post_void"] = true;
      p["completed_at_ms"] = 1795000000123;
      p["void_id"] = "v-" + sale_id;
      p["amount"] = 59900;
      p["approved_by"] = {{"manager", "m1"}, {"via", "pin"}};
    }
    return p;
  };
  // P1 sold then post-voided; O1 sold, then an (open-cart shaped) void of it.
  REQUIRE(a_till
              .Push(json::array({a_till.Event(1, "sale.completed", Sale("s-a1", {"P1"})),
                                 a_till.Event(2, "sale.voided", voided("s-a1", {"P1"}, true)),
                                 a_till.Event(3, "sale.completed", Sale("s-a2", {"O1"})),
                                 a_till.Event(4, "sale.voided", voided("s-a2", {"O1"}, false))}))
              .Json()["acked_seq"] == 4);
  REQUIRE(b_till.Push(json::array({b_till.Event(1, "sale.completed", Sale("s-b1", {"P1", "O1"}))}))
              .Json()["acked_seq"] == 1);
  Answer alerts = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/alerts");
  REQUIRE(alerts.status == 200);
  const json list = alerts.Json()["alerts"];
  REQUIRE(list.size() == 1);
  CHECK(list[0].dump().find("\"O1\"") != std::string::npos);
  CHECK(list[0].dump().find("\"P1\"") == std::string::npos);
}

TEST_CASE("an exchange puts its returned units back and sells the others, a bad one is rejected",
          "[oms-sim][exchange]") {
  Cloud c;
  Device a_till = c.device;
  Device b_till = c.device;
  b_till.id = "till-2";
  b_till.key = Device::NewKey();
  REQUIRE(a_till.Register().status == 200);
  REQUIRE(b_till.Register().status == 200);
  json refund = {{"refund_id", "r-1"},
                 {"sale_id", "s-a1"},
                 {"amount", 59900},
                 {"currency", "CNY"},
                 {"lines", Sale("s-a1", {"E1"})["lines"]}};
  json exchange = {{"exchange_id", "x-1"}, {"credit", 59900},  {"difference", 0},
                   {"currency", "CNY"},    {"refund", refund}, {"sale", Sale("s-a2", {"E2"})}};
  json no_sale = exchange;
  no_sale.erase("sale");
  json bad_refund = exchange;
  bad_refund["refund"].erase("lines");
  // E1 sold, then exchanged for E2 at till 1.
  const json acked = a_till
                         .Push(json::array({a_till.Event(1, "sale.completed", Sale("s-a1", {"E1"})),
                                            a_till.Event(2, "exchange.completed", exchange),
                                            a_till.Event(3, "exchange.completed", no_sale),
                                            a_till.Event(4, "exchange.completed", bad_refund)}))
                         .Json();
  CHECK(acked["acked_seq"] == 4);
  const std::string results = acked.dump();
  CHECK(results.find("\"rejected\"") != std::string::npos);
  // Till 2 sells E1 (back on a shelf: no clone) and E2 (sold by the exchange: a clone).
  REQUIRE(b_till.Push(json::array({b_till.Event(1, "sale.completed", Sale("s-b1", {"E1", "E2"}))}))
              .Json()["acked_seq"] == 1);
  Answer alerts = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/alerts");
  REQUIRE(alerts.status == 200);
  const json list = alerts.Json()["alerts"];
  REQUIRE(list.size() == 1);
  CHECK(list[0].dump().find("\"E2\"") != std::string::npos);
  CHECK(list[0].dump().find("\"E1\"") == std::string::npos);
}

// ------------------------------------------------------------ online orders

namespace {

json WebOrder(const std::string& number, const std::vector<std::string>& serials) {
  json lines = json::array();
  for (const auto& s : serials) {
    lines.push_back(
        json{{"gtin", "6950123450005"}, {"serial", s}, {"name", "Scarf"}, {"price", 59900}});
  }
  return json{{"number", number},
              {"channel", "mini_program"},
              {"lines", lines},
              {"paid", {{"method", "wechat_pay"}, {"amount", 59900 * serials.size()}}}};
}

json Return(const std::string& return_id, const std::string& number,
            const std::vector<std::string>& serials, std::int64_t amount) {
  json units = json::array();
  for (const auto& s : serials) units.push_back(json{{"gtin", "06950123450005"}, {"serial", s}});
  return json{{"return_id", return_id}, {"order_no", number}, {"units", units},
              {"amount", amount},       {"currency", "CNY"},  {"refund_via", "cloud"}};
}

}  // namespace

TEST_CASE("the admin hook keeps online orders per brand and refuses a second one",
          "[oms-sim][online-orders]") {
  Cloud c;
  const Answer made = Admin(c.oms.url(), "POST", "/admin/v1/online-orders",
                            WebOrder("WX-1001", {"OL1", "OL2"}).dump());
  REQUIRE(made.status == 200);
  const json order = made.Json();
  CHECK(order["number"] == "WX-1001");
  CHECK(order["channel"] == "mini_program");
  CHECK(order["paid"]["amount"] == 119800);
  REQUIRE(order["lines"].size() == 2);
  CHECK(order["lines"][0]["gtin"] == "06950123450005");  // normalised
  CHECK(order["lines"][0]["returned"] == false);
  CHECK(order["refunds"].empty());
  CHECK(ErrorCode(Admin(c.oms.url(), "POST", "/admin/v1/online-orders",
                        WebOrder("WX-1001", {"OL9"}).dump())) == "order_exists");
  CHECK(ErrorCode(Admin(c.oms.url(), "POST", "/admin/v1/online-orders",
                        WebOrder("WX-1002", {"OL2"}).dump())) == "unit_in_another_order");
  CHECK(Admin(c.oms.url(), "POST", "/admin/v1/online-orders", "{\"number\":\"x\"}").status == 400);
  const Answer shown = Admin(c.oms.url(), "GET", "/admin/v1/online-orders/WX-1001");
  REQUIRE(shown.status == 200);
  CHECK(shown.Json() == order);
  CHECK(ErrorCode(Admin(c.oms.url(), "GET", "/admin/v1/online-orders/WX-1002")) ==
        "order_not_found");
}

TEST_CASE("a device looks an online order up, signed, by number or by a unit's serial",
          "[oms-sim][online-orders]") {
  Cloud c;
  REQUIRE(Admin(c.oms.url(), "POST", "/admin/v1/online-orders",
                WebOrder("WX-2001", {"OL1", "OL2"}).dump())
              .status == 200);
  REQUIRE(c.device.Register().status == 200);
  const std::string path(sa::sync::kPathOnlineOrders);
  const Answer by_number = c.device.Send("GET", path + "?number=WX-2001", "");
  REQUIRE(by_number.status == 200);
  CHECK(by_number.Json()["number"] == "WX-2001");
  const Answer by_unit = c.device.Send("GET", path + "?gtin=06950123450005&serial=OL2", "");
  REQUIRE(by_unit.status == 200);
  CHECK(by_unit.Json()["number"] == "WX-2001");
  CHECK(ErrorCode(c.device.Send("GET", path + "?number=NOPE", "")) == "order_not_found");
  CHECK(c.device.Send("GET", path + "?number=NOPE", "").status == 404);
  CHECK(ErrorCode(c.device.Send("GET", path + "?gtin=06950123450005&serial=ZZ", "")) ==
        "order_not_found");
  CHECK(ErrorCode(c.device.Send("GET", path, "")) == "bad_request");
  // Unsigned, or signed by a stranger: refused like every protocol request.
  CHECK(Call("GET", c.oms.url() + path + "?number=WX-2001").status == 401);
  Device stranger = c.device;
  stranger.id = "till-9";
  CHECK(ErrorCode(stranger.Send("GET", path + "?number=WX-2001", "")) == "unknown_device");
}

TEST_CASE("return.received refunds the order once and a second return of a unit raises an alert",
          "[oms-sim][online-orders]") {
  Cloud c;
  REQUIRE(Admin(c.oms.url(), "POST", "/admin/v1/online-orders",
                WebOrder("WX-3001", {"OL1", "OL2"}).dump())
              .status == 200);
  Device a_till = c.device;
  Device b_till = c.device;
  b_till.id = "till-2";
  b_till.key = Device::NewKey();
  REQUIRE(a_till.Register().status == 200);
  REQUIRE(b_till.Register().status == 200);
  const json first = a_till.Event(1, "return.received", Return("r-1", "WX-3001", {"OL1"}, 59900));
  REQUIRE(a_till.Push(json::array({first})).Json()["results"][0]["status"] == "accepted");
  // The same event again (a lost answer): a duplicate, nothing more.
  REQUIRE(a_till.Push(json::array({first})).Json()["results"][0]["status"] == "duplicate");
  // Another till of the store takes the same unit back again (offline, say).
  REQUIRE(b_till
              .Push(json::array(
                  {b_till.Event(1, "return.received", Return("r-2", "WX-3001", {"OL1"}, 59900))}))
              .Json()["results"][0]["status"] == "accepted");

  const json order = Admin(c.oms.url(), "GET", "/admin/v1/online-orders/WX-3001").Json();
  CHECK(order["lines"][0]["returned"] == true);
  CHECK(order["lines"][0]["return_id"] == "r-1");
  CHECK(order["lines"][0]["returned_at_store"] == "s-0042");
  CHECK(order["lines"][1]["returned"] == false);
  REQUIRE(order["refunds"].size() == 1);
  CHECK(order["refunds"][0]["return_id"] == "r-1");
  CHECK(order["refunds"][0]["amount"] == 59900);
  CHECK(order["refunds"][0]["to"] == "wechat_pay");

  const json alerts = Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/alerts").Json()["alerts"];
  REQUIRE(alerts.size() == 1);
  CHECK(alerts[0]["code"] == "online_return_twice");
  CHECK(alerts[0]["serial"] == "OL1");
  CHECK(alerts[0]["returns"] == json::array({"r-1", "r-2"}));
  // The device sees the returned unit through the lookup.
  const json looked =
      a_till.Send("GET", std::string(sa::sync::kPathOnlineOrders) + "?number=WX-3001", "").Json();
  CHECK(looked["lines"][0]["returned"] == true);

  // The returned unit sold at the store afterwards is no clone.
  REQUIRE(a_till.Push(json::array({a_till.Event(2, "sale.completed", Sale("s-a1", {"OL1"}))}))
              .Json()["acked_seq"] == 2);
  CHECK(Admin(c.oms.url(), "GET", "/admin/v1/stores/s-0042/alerts").Json()["alerts"].size() == 1);
}

TEST_CASE("a return.received with a bad payload is rejected and changes nothing",
          "[oms-sim][online-orders]") {
  Cloud c;
  REQUIRE(Admin(c.oms.url(), "POST", "/admin/v1/online-orders", WebOrder("WX-4001", {"OL1"}).dump())
              .status == 200);
  REQUIRE(c.device.Register().status == 200);
  json no_units = Return("r-1", "WX-4001", {"OL1"}, 59900);
  no_units["units"] = json::array();
  json no_order = Return("r-2", "WX-4001", {"OL1"}, 59900);
  no_order.erase("order_no");
  json bad_amount = Return("r-3", "WX-4001", {"OL1"}, 59900);
  bad_amount["amount"] = -1;
  json bad_unit = Return("r-4", "WX-4001", {"OL1"}, 59900);
  bad_unit["units"][0].erase("serial");
  const json answer = c.device
                          .Push(json::array({c.device.Event(1, "return.received", no_units),
                                             c.device.Event(2, "return.received", no_order),
                                             c.device.Event(3, "return.received", bad_amount),
                                             c.device.Event(4, "return.received", bad_unit)}))
                          .Json();
  CHECK(answer["acked_seq"] == 4);
  for (const auto& result : answer["results"]) {
    CHECK(result["status"] == "rejected");
    CHECK(result["error"]["code"] == "bad_payload");
  }
  const json order = Admin(c.oms.url(), "GET", "/admin/v1/online-orders/WX-4001").Json();
  CHECK(order["lines"][0]["returned"] == false);
  CHECK(order["refunds"].empty());
}

// §6: the cloud recomputes a sale from its event: each line's amount and
// VAT, the total, the VAT by rate and the tenders. One that does not add up
// is rejected (bad_payload) and blocks nothing.
TEST_CASE("a sale whose figures do not add up is rejected, one that does is accepted",
          "[oms-sim][vat]") {
  Cloud c;
  const Device& d = c.device;
  REQUIRE(d.Register().status == 200);
  auto line = [](int id, const char* serial, std::int64_t price, std::int64_t rate,
                 std::int64_t vat) {
    return json{{"id", id},        {"gtin", "06950123450005"}, {"serial", serial},
                {"name", "Item"},  {"unit_price", price},      {"qty", 1},
                {"amount", price}, {"signature", "valid"},     {"tax_rate_bp", rate},
                {"vat", vat}};
  };
  // 599.00 and 129.00 at 13 % (68.91 and 14.84 of VAT), 5.00 at 6 % (0.28);
  // 734.00 in cash, 1.00 back.
  const json good = {
      {"id", "s-vat"},
      {"status", "completed"},
      {"currency", "CNY"},
      {"total", 73300},
      {"vat", json::parse(R"([{"rate_bp":600,"amount":500,"vat":28},
                              {"rate_bp":1300,"amount":72800,"vat":8375}])")},
      {"lines", json::array({line(1, "V1", 59900, 1300, 6891), line(2, "V2", 12900, 1300, 1484),
                             line(3, "V3", 500, 600, 28)})},
      {"payments", json::array({{{"method", "cash"}, {"amount", 73400}, {"ref", ""}}})},
      {"change", 100}};
  std::vector<json> bad(6, good);
  bad[0]["lines"][0]["vat"] = 6892;         // a fen of VAT too many on a line
  bad[1]["total"] = 73301;                  // a total that is not the lines'
  bad[2]["vat"][1]["vat"] = 8376;           // VAT by rate that is not the lines'
  bad[3]["change"] = 0;                     // tenders that do not meet the total
  bad[4]["lines"][2]["amount"] = 400;       // an amount that is not price x qty
  bad[5]["lines"][1].erase("tax_rate_bp");  // VAT by rate with a line of no rate
  json events = json::array();
  std::int64_t seq = 0;
  for (auto& b : bad) {
    b["id"] = "s-bad-" + std::to_string(seq);
    events.push_back(d.Event(++seq, "sale.completed", b));
  }
  events.push_back(d.Event(++seq, "sale.completed", good));
  const json r = d.Push(events).Json();
  CHECK(r["acked_seq"] == seq);
  REQUIRE(r["results"].size() == 7);
  for (std::size_t i = 0; i < 6; ++i) {
    INFO("bad[" << i << "]: " << r["results"][i].dump());
    CHECK(r["results"][i]["status"] == "rejected");
    CHECK(r["results"][i]["error"]["code"] == "bad_payload");
  }
  CHECK(r["results"][6]["status"] == "accepted");
}

// §6 with promotions: a line's amount is unit_price x qty less its
// discounts, each above zero and naming its promotion.
TEST_CASE("a discounted sale adds up in the cloud, a discount that does not is rejected",
          "[oms-sim][vat][pricing]") {
  Cloud c;
  const Device& d = c.device;
  REQUIRE(d.Register().status == 200);
  // 599.00 less 82.28 (每满300减50's share) = 516.72, of which 59.45 VAT.
  const json discounted = {{"id", 1},
                           {"gtin", "06950123450005"},
                           {"serial", "P1"},
                           {"name", "Item"},
                           {"unit_price", 59900},
                           {"qty", 1},
                           {"amount", 51672},
                           {"signature", "valid"},
                           {"tax_rate_bp", 1300},
                           {"vat", 5945},
                           {"discounts", json::parse(R"([{"promotion_id":"M300",
                                                         "name":"每满300减50","amount":8228}])")}};
  const json good = {
      {"id", "s-promo"},
      {"status", "completed"},
      {"currency", "CNY"},
      {"total", 51672},
      {"vat", json::parse(R"([{"rate_bp":1300,"amount":51672,"vat":5945}])")},
      {"lines", json::array({discounted})},
      {"payments", json::array({{{"method", "card"}, {"amount", 51672}, {"ref", "c"}}})}};
  std::vector<json> bad(5, good);
  bad[0]["lines"][0]["discounts"][0]["amount"] = 0;          // a discount of nothing
  bad[1]["lines"][0]["discounts"][0].erase("promotion_id");  // a discount of no promotion
  bad[2]["lines"][0]["discounts"] = "8228";                  // not an array
  bad[3]["lines"][0].erase("discounts");                     // the amount without its discounts
  bad[4]["lines"][0]["discounts"][0]["amount"] = 8227;       // a fen short
  json events = json::array();
  std::int64_t seq = 0;
  for (auto& b : bad) {
    b["id"] = "s-promo-bad-" + std::to_string(seq);
    events.push_back(d.Event(++seq, "sale.completed", b));
  }
  events.push_back(d.Event(++seq, "sale.completed", good));
  const json r = d.Push(events).Json();
  REQUIRE(r["results"].size() == 6);
  for (std::size_t i = 0; i < 5; ++i) {
    INFO("bad[" << i << "]: " << r["results"][i].dump());
    CHECK(r["results"][i]["status"] == "rejected");
    CHECK(r["results"][i]["error"]["code"] == "bad_payload");
  }
  CHECK(r["results"][5]["status"] == "accepted");
}

TEST_CASE("a line with VAT added on top adds up in the cloud, one whose VAT does not is rejected",
          "[oms-sim][vat]") {
  Cloud c;
  const Device& d = c.device;
  REQUIRE(d.Register().status == 200);
  // Two teas at 9.99 before VAT: 19.98 + 9 % = 1.7982 -> 1.80, 21.78 in all;
  // the VAT inside 21.78 at 9 % is 1.80 again.
  const json tea = {{"id", 1},        {"gtin", "04006381333931"}, {"serial", nullptr},
                    {"name", "Tea"},  {"unit_price", 999},        {"qty", 2},
                    {"amount", 2178}, {"signature", "absent"},    {"tax_rate_bp", 900},
                    {"vat", 180},     {"tax_included", false}};
  const json good = {{"id", "s-tax"},
                     {"status", "completed"},
                     {"currency", "CNY"},
                     {"total", 2178},
                     {"vat", json::parse(R"([{"rate_bp":900,"amount":2178,"vat":180}])")},
                     {"lines", json::array({tea})},
                     {"payments", json::array({{{"method", "cash"}, {"amount", 2178}}})}};
  std::vector<json> bad(4, good);
  bad[0]["lines"][0]["amount"] = 1998;  // the VAT not added
  bad[0]["total"] = 1998;
  bad[0]["payments"][0]["amount"] = 1998;
  bad[1]["lines"][0]["tax_included"] = "no";  // not a boolean
  bad[2]["lines"][0].erase("tax_rate_bp");    // added at no rate
  bad[3]["lines"][0]["amount"] = 2179;        // a fen over
  bad[3]["total"] = 2179;
  bad[3]["payments"][0]["amount"] = 2179;
  json events = json::array();
  std::int64_t seq = 0;
  for (auto& b : bad) {
    b["id"] = "s-tax-bad-" + std::to_string(seq);
    events.push_back(d.Event(++seq, "sale.completed", b));
  }
  events.push_back(d.Event(++seq, "sale.completed", good));
  const json r = d.Push(events).Json();
  REQUIRE(r["results"].size() == 5);
  for (std::size_t i = 0; i < 4; ++i) {
    INFO("bad[" << i << "]: " << r["results"][i].dump());
    CHECK(r["results"][i]["status"] == "rejected");
  }
  CHECK(r["results"][4]["status"] == "accepted");
}
