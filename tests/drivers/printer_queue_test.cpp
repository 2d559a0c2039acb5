// SPDX-License-Identifier: Apache-2.0
// Receipt printers wired into the real daemon: each terminal's own printer
// ([printers.NAME], [terminals.NAME] printer), a network printer played by
// FakePrinter that answers DLE EOT as the test scripts it, and the print
// queue that keeps a receipt waiting (visible in GET /v1/printers, GET
// /v1/health and `storectl printer status`) while the printer is out of
// paper, and prints it once when the printer is back. Every wait is on the
// daemon's /v1/events stream (with a generous limit only as a safety net).
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_process.hpp"  // first: support.hpp's Child uses kill()
#include "crypto.hpp"
#include "daemon_support.hpp"
#include "event_stream.hpp"
#include "fake_printer.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using sa::testing::AgentProcess;
using sa::testing::Api;
using sa::testing::Child;
using sa::testing::EventStreamClient;
using sa::testing::FakePrinter;
using sa::testing::FindEvent;
using sa::testing::Slurp;
using sa::testing::TempDir;
using sa::testing::Trimmed;

namespace {

// A demo daemon with `toml` as its config file.
struct Agent {
  Agent(const fs::path& dir, const std::string& toml) {
    fs::create_directories(dir);
    const fs::path config = dir.parent_path() / "agent.toml";
    std::ofstream(config) << toml;
    proc = std::make_unique<AgentProcess>(
        SA_STORE_AGENT, std::vector<std::string>{"--demo", "--data-dir", dir.string(), "--listen",
                                                 "127.0.0.1:0", "--config", config.string()});
    const std::string url = proc->WaitReady();
    INFO("stderr so far:\n" << proc->log());
    REQUIRE_FALSE(url.empty());
    api = Api{url, Trimmed(Slurp((dir / "api-token").string()))};
  }
  std::unique_ptr<AgentProcess> proc;
  Api api;
};

// Opens a sale on `terminal`, scans `code` and pays it in cash: the sale's id.
std::string Sell(const Api& api, const std::string& terminal, const std::string& code) {
  const auto opened = api.Post("/v1/sales", json{{"terminal", terminal}}.dump());
  REQUIRE(opened.status == 201);
  const std::string sale = opened.json().at("id");
  const auto scanned = api.Post("/v1/sales/" + sale + "/scans", json{{"payload", code}}.dump());
  REQUIRE(scanned.status == 200);
  const auto total = scanned.json().at("total").get<std::int64_t>();
  const auto done = api.Post("/v1/sales/" + sale + "/complete",
                             json{{"payments", {{{"method", "cash"}, {"amount", total}}}}}.dump());
  REQUIRE(done.status == 200);
  CHECK(done.json().at("status") == "completed");
  return sale;
}

std::string EscPosOf(const Api& api, const std::string& sale, const std::string& query) {
  const auto r = api.Get("/v1/sales/" + sale + "/receipt?width=58" + query);
  REQUIRE(r.status == 200);
  const auto bytes = sa::crypto::Base64UrlDecode(r.json().at("escpos_base64").get<std::string>());
  REQUIRE(bytes);
  return std::string(bytes->begin(), bytes->end());
}

json PrinterNamed(const Api& api, const std::string& name) {
  const auto r = api.Get("/v1/printers");
  REQUIRE(r.status == 200);
  const json all = r.json();
  for (const auto& p : all.at("printers")) {
    if (p.value("name", "") == name) return p;
  }
  FAIL("no printer " << name << " in " << r.body);
  return nullptr;
}

json JobOf(const json& printer, const std::string& sale) {
  for (const auto& j : printer.at("queue")) {
    if (j.value("sale_id", "") == sale) return j;
  }
  FAIL("no job for " << sale << " in " << printer.dump());
  return nullptr;
}

// Waits for the "printer" event of `sale` that `match` accepts.
void WaitForPrinterEvent(EventStreamClient& events, const std::string& sale,
                         const std::function<bool(const json&)>& match) {
  const auto wanted = [&](const json& j) { return j.value("sale_id", "") == sale && match(j); };
  INFO("events so far:\n" << events.data());
  REQUIRE(events.WaitFor(
      [&](const std::string& d) { return !FindEvent(d, "printer", wanted).is_null(); }));
}

}  // namespace

TEST_CASE(
    "a sale completes while its terminal's printer is out of paper, the receipt waits in the "
    "queue and prints once, as the original, when the printer reports paper again",
    "[printer][queue]") {
  TempDir tmp;
  FakePrinter fake;
  fake.set_mode(FakePrinter::Mode::paper_out);
  // till-1 prints on its own network printer; the [printer] table (a file)
  // is every other terminal's.
  const fs::path counter = tmp.path() / "lp0";
  std::ofstream(counter).close();
  Agent a(tmp.path() / "data", "[printer]\ntarget = \"" + counter.string() + "\"\n" +
                                   "[printers.front]\ntarget = \"" + fake.target() +
                                   "\"\nwidth_mm = 58\n" + "retry_ms = 100\n" +
                                   "[terminals.till-1]\nprinter = \"front\"\n");
  const auto codes = sa::testing::DemoCodes(SA_STORECTL, tmp.path() / "data", 3);
  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));

  const json front = PrinterNamed(a.api, "front");
  CHECK(front.at("target") == fake.target());
  CHECK(front.at("terminals") == json::array({"till-1"}));
  CHECK(front.at("default") == false);
  CHECK(PrinterNamed(a.api, "default").at("default") == true);

  // The sale completes (above: 200, completed) although the printer has no paper.
  const std::string sale = Sell(a.api, "till-1", codes[0]);
  WaitForPrinterEvent(events, sale, [](const json& j) {
    return j.value("state", "") == "queued" && j.value("reason", "") == "paper_out";
  });

  SECTION("the job waits, visible, and prints once the paper is back") {
    const json waiting = PrinterNamed(a.api, "front");
    CHECK(waiting.at("status").at("state") == "paper_out");
    CHECK(waiting.at("status").at("paper") == "out");
    CHECK(waiting.at("status").at("checked_at").is_string());
    const json job = JobOf(waiting, sale);
    CHECK(job.at("state") == "queued");
    CHECK(job.at("reason") == "paper_out");
    CHECK(job.at("attempts").get<int>() >= 1);
    CHECK(fake.received().empty());  // the printer was never sent the receipt

    const auto health = a.api.Get("/v1/health");
    REQUIRE(health.status == 200);
    bool seen = false;
    const json body = health.json();
    for (const auto& p : body.at("printers")) {
      if (p.value("name", "") != "front") continue;
      seen = true;
      CHECK(p.at("state") == "paper_out");
      CHECK(p.at("waiting") == 1);
    }
    CHECK(seen);

    Child human(SA_STORECTL, {"--data-dir", (tmp.path() / "data").string(), "printer", "status"});
    const std::string out = human.ReadAll();
    CHECK(human.Wait() == 0);
    CHECK(out.find("front  " + fake.target() + "  paper_out") != std::string::npos);
    CHECK(out.find("sale " + sale + "  queued (paper_out)") != std::string::npos);
    Child machine(SA_STORECTL,
                  {"--data-dir", (tmp.path() / "data").string(), "--json", "printer", "status"});
    const json listed = json::parse(machine.ReadAll());
    CHECK(machine.Wait() == 0);
    CHECK(listed.at("printers").size() == 2);

    fake.set_mode(FakePrinter::Mode::ok);
    WaitForPrinterEvent(events, sale, [](const json& j) { return j.value("printed", false); });
    // The receipt reached the printer exactly once, and it is the original
    // (58 mm, the drawer kick of a cash sale, no COPY mark).
    const std::string original = EscPosOf(a.api, sale, "");
    CHECK(fake.received() == original);
    CHECK(original.find("COPY") == std::string::npos);
    const json printed = JobOf(PrinterNamed(a.api, "front"), sale);
    CHECK(printed.at("state") == "printed");
    CHECK(printed.at("reason").is_null());
    CHECK(printed.at("attempts").get<int>() >= 2);
    CHECK(PrinterNamed(a.api, "front").at("status").at("state") == "ready");

    // The ledger counted that one print as the original: the next is a copy.
    const auto again = a.api.Post("/v1/sales/" + sale + "/print", "{}");
    REQUIRE(again.status == 200);
    CHECK(again.json().at("printer") == "front");
    CHECK(fake.received() == original + EscPosOf(a.api, sale, "&copy=1"));
    CHECK(Slurp(counter.string()).empty());  // nothing of till-1's on the default printer
  }

  SECTION("a print asked for while the paper is out says why, and the receipt still waits once") {
    const auto asked = a.api.Post("/v1/sales/" + sale + "/print", "{}");
    CHECK(asked.status == 503);
    CHECK(asked.json()["error"]["code"] == "printer_unavailable");
    CHECK(asked.json()["error"]["reason"] == "paper_out");
    const json front_now = PrinterNamed(a.api, "front");
    int jobs_for_sale = 0;
    for (const auto& j : front_now.at("queue")) jobs_for_sale += j.value("sale_id", "") == sale;
    CHECK(jobs_for_sale == 1);

    // The cover opened is a reason of its own.
    fake.set_mode(FakePrinter::Mode::cover_open);
    const std::string second = Sell(a.api, "till-1", codes[1]);
    WaitForPrinterEvent(events, second,
                        [](const json& j) { return j.value("reason", "") == "cover_open"; });
    CHECK(fake.received().empty());

    fake.set_mode(FakePrinter::Mode::ok);
    WaitForPrinterEvent(events, second, [](const json& j) { return j.value("printed", false); });
    WaitForPrinterEvent(events, sale, [](const json& j) { return j.value("printed", false); });
    // Each once, the older first (the queue keeps its order).
    CHECK(fake.received() == EscPosOf(a.api, sale, "") + EscPosOf(a.api, second, ""));
  }

  SECTION("another terminal's sale prints on the default printer") {
    const std::string other = Sell(a.api, "till-2", codes[1]);
    WaitForPrinterEvent(events, other, [](const json& j) { return j.value("printed", false); });
    CHECK(Slurp(counter.string()).size() > 0);
    CHECK(JobOf(PrinterNamed(a.api, "default"), other).at("state") == "printed");
  }
}

TEST_CASE(
    "a refund's receipt prints on the till's printer after the refund: in the store's language, "
    "the drawer opened for the cash going back, a later print a marked copy",
    "[printer][queue][refund]") {
  TempDir tmp;
  FakePrinter fake;
  Agent a(tmp.path() / "data",
          std::string("[store]\nlocale = \"zh-CN\"\n") + "[printers.front]\ntarget = \"" +
              fake.target() + "\"\nwidth_mm = 58\n" + "[terminals.till-1]\nprinter = \"front\"\n");
  const auto codes = sa::testing::DemoCodes(SA_STORECTL, tmp.path() / "data", 1);
  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));
  const std::string sale = Sell(a.api, "till-1", codes[0]);
  WaitForPrinterEvent(events, sale, [](const json& j) { return j.value("printed", false); });
  const std::string sold = fake.received();
  const std::string serial = a.api.Get("/v1/sales/" + sale).json().at("lines").at(0).at("serial");

  const auto refunded = a.api.Post(
      "/v1/refunds", json{{"sale_id", sale}, {"serials", {serial}}, {"terminal", "till-1"}}.dump());
  REQUIRE(refunded.status == 201);
  const std::string refund = refunded.json().at("id");
  INFO("events so far:\n" << events.data());
  REQUIRE(events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "printer", [&](const json& j) {
              return j.value("refund_id", "") == refund && j.value("printed", false);
            }).is_null();
  }));

  auto slip = [&](const std::string& query) {
    const auto r = a.api.Get("/v1/refunds/" + refund + "/receipt?width=58" + query);
    REQUIRE(r.status == 200);
    CHECK(r.json().at("sale_id") == sale);
    const auto bytes = sa::crypto::Base64UrlDecode(r.json().at("escpos_base64").get<std::string>());
    REQUIRE(bytes);
    return std::make_pair(r.json().at("text").get<std::string>(),
                          std::string(bytes->begin(), bytes->end()));
  };
  const std::string kDrawerKick("\x1b\x70\x00\x19\xfa", 5);  // ESC p 0 25 250
  const auto [text, original] = slip("");
  INFO(text);
  CHECK(text.find("*** 退款 ***") != std::string::npos);
  CHECK(text.find("退款合计 CNY") != std::string::npos);
  CHECK(text.find("序列号 " + serial) != std::string::npos);
  CHECK(text.find("现金") != std::string::npos);
  // Printed once, after the sale's receipt, as the original: the drawer
  // opens for the cash going back, and the text is GB18030 ("退款").
  CHECK(fake.received() == sold + original);
  CHECK(original.find(kDrawerKick) != std::string::npos);
  CHECK(original.find("\xcd\xcb\xbf\xee") != std::string::npos);
  CHECK(original.find("退款") == std::string::npos);

  // Asked for again: a copy, marked, and the drawer stays shut.
  const auto again = a.api.Post("/v1/refunds/" + refund + "/print", "{}");
  REQUIRE(again.status == 200);
  CHECK(again.json().at("refund_id") == refund);
  const auto [copy_text, copy] = slip("&copy=1");
  CHECK(copy_text.find("重印 / COPY") != std::string::npos);
  CHECK(copy.find(kDrawerKick) == std::string::npos);
  CHECK(fake.received() == sold + original + copy);

  // Bad input changes nothing and prints nothing.
  CHECK(a.api.Get("/v1/refunds/nope/receipt").status == 404);
  CHECK(a.api.Get("/v1/refunds/nope/receipt").json()["error"]["code"] == "refund_not_found");
  CHECK(a.api.Get("/v1/refunds/" + refund + "/receipt?width=57").status == 400);
  CHECK(a.api.Post("/v1/refunds/nope/print", "{}").status == 404);
  CHECK(fake.received() == sold + original + copy);
}

TEST_CASE("a printer that answers nothing does not block a sale: its receipt is sent anyway",
          "[printer][queue]") {
  TempDir tmp;
  FakePrinter fake;
  fake.set_mode(FakePrinter::Mode::silent);
  Agent a(tmp.path() / "data",
          "[printer]\ntarget = \"" + fake.target() + "\"\nwidth_mm = 58\ntimeout_ms = 300\n");
  const auto codes = sa::testing::DemoCodes(SA_STORECTL, tmp.path() / "data", 1);
  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));
  const std::string sale = Sell(a.api, "till-1", codes[0]);
  WaitForPrinterEvent(events, sale, [](const json& j) { return j.value("printed", false); });
  CHECK(fake.received() == EscPosOf(a.api, sale, ""));
  const json status = PrinterNamed(a.api, "default").at("status");
  CHECK(status.at("state") == "unknown");
  CHECK(status.at("detail").get<std::string>().find("did not answer") != std::string::npos);
}

TEST_CASE("a terminal naming a printer that is not configured stops the daemon at start",
          "[printer][queue]") {
  TempDir tmp;
  const fs::path config = tmp.path() / "agent.toml";
  std::ofstream(config) << "[printers.front]\ntarget = \"tcp://127.0.0.1:9100\"\n"
                           "[terminals.till-2]\nprinter = \"back\"\n";
  AgentProcess p(SA_STORE_AGENT, {"--demo", "--data-dir", (tmp.path() / "d").string(), "--listen",
                                  "127.0.0.1:0", "--config", config.string()});
  p.WaitForLog("\x01never\x01");  // to its end
  CHECK(p.Wait() != 0);
  CHECK(p.log().find(config.string() + ":4: terminals.till-2.printer names no printer") !=
        std::string::npos);
}
