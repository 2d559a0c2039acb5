// SPDX-License-Identifier: Apache-2.0
// Scanners and the printer wired into the real daemon: a keyboard-wedge
// scanner typing into an evdev FIFO, a serial scanner on a pty, shelf
// devices on TCP in receive and count mode, and receipts printed to a file.
// Every wait is on the daemon's /v1/events stream or its log (each with a
// generous limit only as a safety net against hangs).
#include <fcntl.h>
#include <linux/input.h>
#include <pty.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "agent_process.hpp"  // first: support.hpp's Child uses kill()
#include "crypto.hpp"
#include "daemon_support.hpp"
#include "keyboard.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using sa::testing::AgentProcess;
using sa::testing::Api;
using sa::testing::EventStreamClient;
using sa::testing::FindEvent;
using sa::testing::ScannerConnection;
using sa::testing::SerialOf;
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

void WriteAll(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    REQUIRE(n > 0);
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

bool SaleHasSerial(const json& sale, const std::string& serial) {
  if (!sale.contains("lines") || !sale["lines"].is_array()) return false;
  for (const auto& l : sale["lines"]) {
    if (l.value("serial", json(nullptr)) == serial) return true;
  }
  return false;
}

json Scanner(const Api& api, const std::string& id) {
  const auto r = api.Get("/v1/scanners");
  REQUIRE(r.status == 200);
  const json list = r.json().at("scanners");
  for (const auto& s : list) {
    if (s.value("id", "") == id) return s;
  }
  FAIL("no scanner " << id << " in " << r.body);
  return nullptr;
}

// "HOST:PORT" of a listening tcp scanner -> "tcp://HOST:PORT".
std::string TcpUrl(const Api& api, const std::string& id) {
  return "tcp://" + Scanner(api, id).value("path", "");
}

}  // namespace

TEST_CASE(
    "a signed code typed into an evdev FIFO lands exactly in /v1/scans and in the till's open sale",
    "[scanners]") {
  TempDir tmp;
  const fs::path fifo = tmp.path() / "wedge.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  Agent a(tmp.path() / "data", "[[scanners]]\nid = \"till-1-wedge\"\ntype = \"evdev\"\npath = \"" +
                                   fifo.string() + "\"\nterminal = \"till-1\"\n");
  const auto codes = sa::testing::DemoCodes(SA_STORECTL, tmp.path() / "data", 2);

  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));
  const int w = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);  // the agent holds the read end
  REQUIRE(w >= 0);
  long clock_us = 1'700'000'000'000'000;
  for (const auto& code : {codes[0], codes[1]}) {
    const auto records = sa::testing::Typed(code, clock_us);
    WriteAll(w, records.data(), records.size() * sizeof(input_event));
    clock_us += 2'000'000;
  }
  const auto accepted = [&](const std::string& code) {
    return [code](const json& j) {
      return j.value("payload", "") == code && j.value("outcome", "") == "accepted";
    };
  };
  const std::string s0 = SerialOf(codes[0]), s1 = SerialOf(codes[1]);
  const bool got = events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "scan", accepted(codes[0])).is_null() &&
           !FindEvent(d, "sale", [&](const json& j) { return SaleHasSerial(j, s1); }).is_null();
  });
  INFO("stream:\n" << events.data() << "\nlog:\n" << a.proc->DrainLog());
  REQUIRE(got);

  // /v1/scans has both, byte for byte, from the wedge, for till-1.
  const json scans = a.api.Get("/v1/scans?limit=2").json().at("scans");
  REQUIRE(scans.size() == 2);
  CHECK(scans[0].value("payload", "") == codes[1]);
  CHECK(scans[1].value("payload", "") == codes[0]);
  for (const auto& s : scans) {
    CHECK(s.value("source", "") == "till-1-wedge");
    CHECK(s.value("terminal", "") == "till-1");
    CHECK(s.value("mode", "") == "sale");
    CHECK(s.value("outcome", "") == "accepted");
  }
  // Both units are in till-1's one open sale.
  const json term = a.api.Get("/v1/terminals/till-1").json();
  REQUIRE(term.at("open_sale").is_string());
  const json sale = a.api.Get("/v1/sales/" + term["open_sale"].get<std::string>()).json();
  CHECK(SaleHasSerial(sale, s0));
  CHECK(SaleHasSerial(sale, s1));
  CHECK(sale.at("lines").size() == 2);
  CHECK(scans[0].value("sale_id", "") == term["open_sale"]);

  const json status = Scanner(a.api, "till-1-wedge");
  CHECK(status.value("type", "") == "evdev");
  CHECK(status.value("connected", false));
  CHECK(status.value("scans", 0) == 2);
  ::close(w);
}

TEST_CASE("a serial scanner on a pty scans into its terminal's sale", "[scanners]") {
  TempDir tmp;
  int master = -1, slave = -1;
  char name[256];
  REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
  Agent a(tmp.path() / "data",
          std::string("[[scanners]]\nid = \"pos-2-serial\"\ntype = \"serial\"\npath = \"") + name +
              "\"\nterminal = \"till-2\"\nbaud = 115200\nframing = \"crlf\"\n");
  const auto codes = sa::testing::DemoCodes(SA_STORECTL, tmp.path() / "data", 1);
  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));
  const std::string wire = codes[0] + "\r\n";
  WriteAll(master, wire.data(), wire.size());
  const std::string serial = SerialOf(codes[0]);
  const bool got = events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "sale", [&](const json& j) { return SaleHasSerial(j, serial); }).is_null();
  });
  INFO("stream:\n" << events.data() << "\nlog:\n" << a.proc->DrainLog());
  REQUIRE(got);
  const json scan = a.api.Get("/v1/scans?limit=1").json().at("scans").at(0);
  CHECK(scan.value("payload", "") == codes[0]);
  CHECK(scan.value("source", "") == "pos-2-serial");
  CHECK(scan.value("terminal", "") == "till-2");
  CHECK(a.api.Get("/v1/terminals/till-1").json().at("open_sale").is_null());  // not another till's
  ::close(slave);
  ::close(master);
}

TEST_CASE("shelf scanners: receive mode takes units in and count mode tallies until committed",
          "[scanners]") {
  TempDir tmp;
  Agent a(tmp.path() / "data",
          "[[scanners]]\nid = \"shelf\"\ntype = \"tcp\"\nlisten = \"127.0.0.1:0\"\nterminal = "
          "\"shelf-1\"\n"
          "mode = \"receive\"\n");
  const auto codes = sa::testing::DemoCodes(SA_STORECTL, tmp.path() / "data", 3);
  const std::string gtin = "06950123450005";
  const std::int64_t on_hand = a.api.Get("/v1/stock/" + gtin).json().at("on_hand");

  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));
  CHECK(a.api.Get("/v1/terminals/shelf-1").json().at("mode") == "receive");
  ScannerConnection shelf(TcpUrl(a.api, "shelf"));
  shelf.SendLine(codes[0]);
  const auto outcome = [](const std::string& payload, const std::string& what) {
    return [payload, what](const json& j) {
      return j.value("payload", "") == payload && j.value("outcome", "") == what;
    };
  };
  REQUIRE(events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "scan", outcome(codes[0], "accepted")).is_null();
  }));
  CHECK(a.api.Get("/v1/stock/" + gtin).json().at("on_hand") == on_hand + 1);
  CHECK(a.api.Get("/v1/terminals/shelf-1").json().at("open_sale").is_null());  // no sale was opened

  // Count mode: three scans of two units (one twice) tally 2; nothing moves
  // until the count is committed.
  auto mode = a.api.Post("/v1/terminals/shelf-1/mode", R"({"mode":"count"})");
  REQUIRE(mode.status == 200);
  shelf.SendLine(codes[1]);
  shelf.SendLine(codes[2]);
  shelf.SendLine(codes[1]);
  REQUIRE(events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "scan", outcome(codes[1], "already_counted")).is_null();
  }));
  const json term = a.api.Get("/v1/terminals/shelf-1").json();
  REQUIRE(term.at("count").size() == 1);
  CHECK(term["count"][0].at("gtin") == gtin);
  CHECK(term["count"][0].at("units") == 2);
  CHECK(a.api.Get("/v1/stock/" + gtin).json().at("on_hand") == on_hand + 1);

  // Leaving count mode with a tally not committed is refused...
  auto leave = a.api.Post("/v1/terminals/shelf-1/mode", R"({"mode":"sale"})");
  CHECK(leave.status == 409);
  CHECK(leave.json()["error"]["code"] == "count_uncommitted");
  // ...committing sets the count (on hand becomes what was counted).
  auto commit = a.api.Post("/v1/terminals/shelf-1/count", "{}");
  INFO(commit.body);
  REQUIRE(commit.status == 200);
  CHECK(commit.json().at("counts").at(0).at("counted") == 2);
  CHECK(a.api.Get("/v1/stock/" + gtin).json().at("on_hand") == 2);
  CHECK(a.api.Get("/v1/terminals/shelf-1").json().at("count").empty());
  CHECK(a.api.Post("/v1/terminals/shelf-1/mode", R"({"mode":"sale"})").status == 200);

  // Bad mode requests change nothing.
  CHECK(a.api.Post("/v1/terminals/shelf-1/mode", R"({"mode":"dance"})").status == 400);
  CHECK(a.api.Post("/v1/terminals/shelf-1/mode", R"({"mode":"pick"})").status == 400);
  auto no_order = a.api.Post("/v1/terminals/shelf-1/mode", R"({"mode":"pick","order_id":"nope"})");
  CHECK(no_order.status == 404);
  CHECK(a.api.Post("/v1/terminals/shelf-1/count", "{}").status == 409);  // not counting
  CHECK(a.api.Get("/v1/terminals/bad%20id").status == 404);
  CHECK(a.api.Get("/v1/terminals/shelf-1").json().at("mode") == "sale");
}

TEST_CASE("a tcp scanner with a token drops a client that does not send it", "[scanners]") {
  TempDir tmp;
  Agent a(tmp.path() / "data",
          "[[scanners]]\nid = \"lan\"\ntype = \"tcp\"\nlisten = \"127.0.0.1:0\"\nterminal = "
          "\"till-1\"\n"
          "token = \"s3cret-token-0123456789\"\n");
  const auto codes = sa::testing::DemoCodes(SA_STORECTL, tmp.path() / "data", 1);
  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));
  {
    ScannerConnection intruder(TcpUrl(a.api, "lan"));
    intruder.SendLine("TOKEN wrong-token-000000000");
    intruder.SendLine(codes[0]);
  }
  ScannerConnection device(TcpUrl(a.api, "lan"));
  device.SendLine("TOKEN s3cret-token-0123456789");
  device.SendLine(codes[0]);
  REQUIRE(events.WaitFor([&](const std::string& d) {
    return !FindEvent(d, "scan", [&](const json& j) {
              return j.value("payload", "") == codes[0];
            }).is_null();
  }));
  const json scans = a.api.Get("/v1/scans").json().at("scans");
  CHECK(scans.size() == 1);  // the intruder's line never became a scan
  CHECK(scans[0].value("source", "") == "lan");
  CHECK(Scanner(a.api, "lan").value("dropped", 0) == 1);
}

TEST_CASE("a completed sale's receipt prints after its commit and reprints on demand",
          "[scanners][printer][receipt]") {
  TempDir tmp;
  const fs::path printer = tmp.path() / "lp0";
  std::ofstream(printer).close();
  Agent a(tmp.path() / "data", "[printer]\ntarget = \"" + printer.string() + "\"\nwidth_mm = 58\n");
  const auto codes = sa::testing::DemoCodes(SA_STORECTL, tmp.path() / "data", 2);
  EventStreamClient events(a.api);
  REQUIRE(events.WaitFor(
      [](const std::string& d) { return d.find(": store-agent events") != std::string::npos; }));

  const std::string sale = a.api.Post("/v1/sales", "{}").json().at("id");
  const auto scanned =
      a.api.Post("/v1/sales/" + sale + "/scans", json{{"payload", codes[0]}}.dump());
  REQUIRE(scanned.status == 200);
  const auto total = scanned.json().at("total").get<std::int64_t>();
  const auto done =
      a.api.Post("/v1/sales/" + sale + "/complete",
                 json{{"payments", {{{"method", "cash"}, {"amount", total}}}}}.dump());
  REQUIRE(done.status == 200);
  const auto printed = [&](const json& j) {
    return j.value("sale_id", "") == sale && j.value("printed", false);
  };
  REQUIRE(events.WaitFor(
      [&](const std::string& d) { return !FindEvent(d, "printer", printed).is_null(); }));

  const auto escpos_of = [&](const std::string& id, const std::string& query) {
    const auto r = a.api.Get("/v1/sales/" + id + "/receipt?width=58" + query);
    REQUIRE(r.status == 200);
    const auto bytes = sa::crypto::Base64UrlDecode(r.json().at("escpos_base64").get<std::string>());
    REQUIRE(bytes);
    return std::string(bytes->begin(), bytes->end());
  };
  const std::string kick("\x1b\x70\x00\x19\xfa", 5);  // ESC p 0 25 250
  const std::string chinese_mode("\x1c&", 2);         // FS &: the default gb18030

  // What reached the printer is the receipt's ESC/POS, 58 mm, exactly: the
  // original, which opens the cash drawer (a cash sale) and prints in the
  // printer's Chinese mode.
  const std::string expected = escpos_of(sale, "");
  CHECK(Slurp(printer.string()) == expected);
  CHECK(expected.find("\x1d"
                      "V") != std::string::npos);  // it ends in a cut
  CHECK(expected.find(kick) == 2);
  CHECK(expected.find(chinese_mode) == 7);
  CHECK(expected.find("COPY") == std::string::npos);

  // A reprint appends the marked copy (what GET ?copy=1 shows): "COPY / 重印"
  // (GB18030) at the top, no drawer kick. So does every print after it.
  const std::string copy = escpos_of(sale, "&copy=1");
  CHECK(copy.find("COPY / \xd6\xd8\xd3\xa1\n") != std::string::npos);
  CHECK(copy.find(kick) == std::string::npos);
  CHECK(a.api.Get("/v1/sales/" + sale + "/receipt?copy=1")
            .json()
            .at("text")
            .get<std::string>()
            .find("COPY / 重印") != std::string::npos);
  CHECK(escpos_of(sale, "&copy=0") == expected);
  CHECK(a.api.Get("/v1/sales/" + sale + "/receipt?copy=yes").status == 400);
  const auto again = a.api.Post("/v1/sales/" + sale + "/print", "{}");
  REQUIRE(again.status == 200);
  CHECK(again.json().at("bytes") == copy.size());
  CHECK(Slurp(printer.string()) == expected + copy);
  REQUIRE(a.api.Post("/v1/sales/" + sale + "/print", "{}").status == 200);
  CHECK(Slurp(printer.string()) == expected + copy + copy);

  // An open sale has no receipt to print; the printer unplugged is a 503.
  const std::string open = a.api.Post("/v1/sales", "{}").json().at("id");
  CHECK(a.api.Post("/v1/sales/" + open + "/print", "{}").status == 409);
  fs::remove(printer);
  const auto gone = a.api.Post("/v1/sales/" + sale + "/print", "{}");
  CHECK(gone.status == 503);
  CHECK(gone.json()["error"]["code"] == "printer_unavailable");
  CHECK_FALSE(fs::exists(printer));

  // A print the printer never took is not printed: a card sale whose auto
  // print failed waits in the printer's queue, and once the printer is back
  // its original prints (no COPY, and no kick: not cash).
  const std::string second = a.api.Post("/v1/sales", "{}").json().at("id");
  const auto scanned2 =
      a.api.Post("/v1/sales/" + second + "/scans", json{{"payload", codes[1]}}.dump());
  REQUIRE(scanned2.status == 200);
  const auto total2 = scanned2.json().at("total").get<std::int64_t>();
  REQUIRE(a.api
              .Post("/v1/sales/" + second + "/complete",
                    json{{"payments", {{{"method", "card"}, {"amount", total2}}}}}.dump())
              .status == 200);
  const auto failed = [&](const json& j) {
    return j.value("sale_id", "") == second && !j.value("printed", true);
  };
  REQUIRE(events.WaitFor(
      [&](const std::string& d) { return !FindEvent(d, "printer", failed).is_null(); }));
  std::ofstream(printer).close();
  const auto retried = [&](const json& j) {
    return j.value("sale_id", "") == second && j.value("printed", false);
  };
  REQUIRE(events.WaitFor(
      [&](const std::string& d) { return !FindEvent(d, "printer", retried).is_null(); }));
  const std::string original = escpos_of(second, "");
  CHECK(Slurp(printer.string()) == original);
  CHECK(original.find("COPY") == std::string::npos);
  CHECK(original.find(std::string("\x1b\x70", 2)) == std::string::npos);
}

TEST_CASE("without a printer a print request is no_printer", "[scanners][printer]") {
  TempDir tmp;
  Agent a(tmp.path() / "data", "");
  const auto r = a.api.Post("/v1/sales/whatever/print", "{}");
  CHECK(r.status == 409);
  CHECK(r.json()["error"]["code"] == "no_printer");
}

TEST_CASE("a bad scanner in the config stops the daemon with a one-line reason", "[scanners]") {
  TempDir tmp;
  const fs::path config = tmp.path() / "agent.toml";
  std::ofstream(config)
      << "[[scanners]]\ntype = \"evdev\"\npath = \"/dev/null\"\nkeymap = [\"KEY_NOPE=ab\"]\n";
  AgentProcess p(SA_STORE_AGENT, {"--demo", "--data-dir", (tmp.path() / "d").string(), "--listen",
                                  "127.0.0.1:0", "--config", config.string()});
  p.WaitForLog("\x01never\x01");  // to its end
  CHECK(p.Wait() == 1);
  CHECK(p.log().find("unknown key in \"KEY_NOPE=ab\"") != std::string::npos);
}
