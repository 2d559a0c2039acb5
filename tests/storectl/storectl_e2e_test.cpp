// SPDX-License-Identifier: Apache-2.0
// End to end: the real store-agent (--demo, an ephemeral port) and the real
// storectl, one sale from open to refund, and the refusals a till must show.
// Built only when the daemon serves its API (tests/storectl/CMakeLists.txt).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "codes.hpp"
#include "crypto.hpp"
#include "storectl_support.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using sa::testing::RunResult;
using sa::testing::TempDir;

namespace {

RunResult Storectl(const std::vector<std::string>& args) {
  return sa::testing::RunProgram(SA_STORECTL, args);
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string FirstLine(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// 119900 -> "1199.00", for --pay.
std::string Major(std::int64_t minor) {
  const std::int64_t cents = minor % 100;
  return std::to_string(minor / 100) + "." + (cents < 10 ? "0" : "") + std::to_string(cents);
}

// storectl with `args` against the agent of `data_dir`; what it printed goes
// to the report of the next failing check.
RunResult Ctl(const std::string& data_dir, std::vector<std::string> args) {
  const std::string command = args.empty() ? "" : args[0] + (args.size() > 1 ? " " + args[1] : "");
  args.insert(args.end(), {"--data-dir", data_dir});
  auto r = Storectl(args);
  UNSCOPED_INFO("storectl " << command << " -> exit " << r.exit_code << "\nstdout: " << r.out
                            << "\nstderr: " << r.err);
  return r;
}

// The daemon's JSON log line that says it serves: {"msg":"ready",...} (any
// spacing).
bool IsReadyLine(const std::string& line) {
  if (Contains(line, "\"msg\":\"ready\"")) return true;
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  return j.is_object() && j.contains("msg") && j["msg"] == "ready";
}

// The daemon, its stdout and stderr read as they come (kept for the report
// when something fails), killed at the end.
class Daemon {
 public:
  explicit Daemon(const std::string& data_dir) {
    pid_ = sa::testing::Spawn(SA_STORE_AGENT,
                              {"--demo", "--data-dir", data_dir, "--listen", "127.0.0.1:0"}, {},
                              &out_fd_, &err_fd_);
  }
  ~Daemon() {
    ::kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    if (drain_.joinable()) drain_.join();
    close(out_fd_);
    close(err_fd_);
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Reads the daemon's output until its stderr carries the JSON log line
  // {"msg":"ready",...}; false when it exits or `limit` passes first. Then
  // keeps draining its output so that it never blocks on a full pipe.
  bool WaitReady(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    std::string err_line;
    bool ready = false, alive = true;
    while (!ready && alive) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
      if (poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
      for (int i = 0; i < 2; ++i) {
        if (fds[i].revents == 0) continue;
        char buf[4096];
        const ssize_t n = read(fds[i].fd, buf, sizeof buf);
        if (n <= 0) {
          alive = false;  // the daemon closed its output: it has exited
          continue;
        }
        const std::string chunk(buf, static_cast<std::size_t>(n));
        Append(chunk);
        if (i == 1) {
          err_line += chunk;
          std::size_t nl;
          while ((nl = err_line.find('\n')) != std::string::npos) {
            if (IsReadyLine(err_line.substr(0, nl))) ready = true;
            err_line.erase(0, nl + 1);
          }
        }
      }
    }
    if (ready) drain_ = std::thread([this] { Drain(); });
    return ready;
  }

  std::string log() const {
    std::lock_guard<std::mutex> lock(mu_);
    return log_;
  }

 private:
  void Append(const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    log_ += text;
  }
  void Drain() {
    pollfd fds[2] = {{out_fd_, POLLIN, 0}, {err_fd_, POLLIN, 0}};
    int open_fds = 2;
    while (open_fds > 0 && poll(fds, 2, -1) > 0) {
      for (auto& f : fds) {
        if (f.fd < 0 || f.revents == 0) continue;
        char buf[4096];
        const ssize_t n = read(f.fd, buf, sizeof buf);
        if (n > 0) {
          Append(std::string(buf, static_cast<std::size_t>(n)));
        } else {
          f.fd = -1;  // closed by the destructor
          --open_fds;
        }
      }
    }
  }

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::thread drain_;
  mutable std::mutex mu_;
  std::string log_;
};

}  // namespace

TEST_CASE("storectl drives a sale through the real daemon", "[storectl][e2e]") {
  TempDir dir("sa-storectl-e2e");
  const std::string data_dir = dir.path().string();
  Daemon agent(data_dir);
  const bool ready = agent.WaitReady(std::chrono::seconds(30));
  INFO("daemon output:\n" << agent.log());
  REQUIRE(ready);
  REQUIRE(fs::exists(dir.path() / "api-url"));
  REQUIRE(fs::exists(dir.path() / "api-token"));
  CHECK((fs::status(dir.path() / "api-token").permissions() &
         (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
  CHECK(FirstLine(dir.path() / "api-url").rfind("http://127.0.0.1:", 0) == 0);

  auto ctl = [&](std::vector<std::string> args) { return Ctl(data_dir, std::move(args)); };

  // token, status
  auto token = ctl({"token"});
  REQUIRE(token.exit_code == 0);
  CHECK(token.out == FirstLine(dir.path() / "api-token") + "\n");
  auto status = ctl({"status", "--json"});
  REQUIRE(status.exit_code == 0);
  const auto health = json::parse(status.out);
  CHECK(health["status"] == "ok");
  for (const char* key : {"store_id", "device_id", "version", "uptime_s", "outbox_depth"}) {
    CHECK(health.contains(key));
  }
  auto status_human = ctl({"status"});
  CHECK(status_human.exit_code == 0);
  CHECK(Contains(status_human.out, "events waiting"));

  // open, two signed units, the member, cash with change
  auto open = ctl({"sale", "open", "--terminal", "till-e2e", "--json"});
  REQUIRE(open.exit_code == 0);
  const auto opened = json::parse(open.out);
  const std::string sale = opened["id"];
  CHECK(opened["status"] == "open");
  CHECK(opened["terminal"] == "till-e2e");

  auto minted = ctl({"demo", "codes", "2", "--json"});
  REQUIRE(minted.exit_code == 0);
  const auto codes = json::parse(minted.out);
  REQUIRE(codes["codes"].size() == 2);
  const std::string unit0 = codes["codes"][0], unit1 = codes["codes"][1];
  const std::string member_code = codes["member_code"];
  const auto serial_of = [](const std::string& link) {
    return sa::codes::Parse(link).value().serial;
  };

  REQUIRE(ctl({"sale", "scan", sale, unit0}).exit_code == 0);
  auto scanned = ctl({"sale", "scan", sale, unit1, "--json"});
  REQUIRE(scanned.exit_code == 0);
  const auto cart = json::parse(scanned.out);
  REQUIRE(cart["lines"].size() == 2);
  std::int64_t sum = 0;
  for (const auto& line : cart["lines"]) {
    CHECK(line["gtin"] == "06950123450005");
    sum += line["amount"].get<std::int64_t>();
  }
  CHECK(cart["lines"][0]["serial"] == serial_of(unit0));
  CHECK(cart["lines"][1]["serial"] == serial_of(unit1));
  const std::int64_t total = cart["total"];
  CHECK(total == sum);
  CHECK(total == 2 * 59900);  // the demo catalog's scarf

  auto member = ctl({"sale", "member", sale, "--code", member_code, "--json"});
  REQUIRE(member.exit_code == 0);
  const std::string member_id = sa::codes::Parse(member_code).value().member_id;
  CHECK(json::parse(member.out)["member"]["member_id"] == member_id);

  auto complete = ctl({"sale", "complete", sale, "--pay", "cash:" + Major(total + 100), "--json"});
  REQUIRE(complete.exit_code == 0);
  const auto done = json::parse(complete.out);
  CHECK(done["status"] == "completed");
  CHECK(done["change"] == 100);
  const std::string receipt_no = done["receipt_no"];
  CHECK_FALSE(receipt_no.empty());

  auto show = ctl({"sale", "show", sale});
  REQUIRE(show.exit_code == 0);
  CHECK(Contains(show.out, "  1  "));
  CHECK(Contains(show.out, "599.00  SN " + serial_of(unit0)));
  CHECK(Contains(show.out, "total  " + Major(total)));
  CHECK(Contains(show.out, "member  " + member_id));
  CHECK(Contains(show.out, "status  completed  receipt " + receipt_no + "  change 1.00"));
  auto shown = ctl({"sale", "show", sale, "--json"});
  REQUIRE(shown.exit_code == 0);
  CHECK(json::parse(shown.out)["status"] == "completed");

  auto receipt = ctl({"sale", "receipt", sale, "--width", "58"});
  REQUIRE(receipt.exit_code == 0);
  CHECK(Contains(receipt.out, receipt_no));
  auto receipt_json = ctl({"sale", "receipt", sale, "--width", "80", "--json"});
  REQUIRE(receipt_json.exit_code == 0);
  const auto receipt_body = json::parse(receipt_json.out);
  CHECK(receipt_body["text"].is_string());
  CHECK(receipt_body.contains("claim_url"));

  // refund one unit
  auto refund = ctl({"refund", sale, serial_of(unit0), "--json"});
  REQUIRE(refund.exit_code == 0);
  const auto refunded = json::parse(refund.out);
  CHECK(refunded["status"] == "completed");
  CHECK(refunded["sale_id"] == sale);
  CHECK(refunded["serials"] == json::array({serial_of(unit0)}));
  CHECK(refunded["amount"] == 59900);

  // refusals: a sold unit, a forged label; the refunded unit sells again
  auto open2 = ctl({"sale", "open", "--json"});
  REQUIRE(open2.exit_code == 0);
  const std::string sale2 = json::parse(open2.out)["id"];
  auto sold = ctl({"sale", "scan", sale2, unit1, "--json"});
  CHECK(sold.exit_code == 3);
  CHECK(json::parse(sold.out)["error"]["code"] == "serial_already_sold");
  auto sold_human = ctl({"sale", "scan", sale2, unit1});
  CHECK(sold_human.exit_code == 3);
  CHECK(Contains(sold_human.err, "storectl: serial_already_sold: "));

  const auto forger = sa::crypto::SigningKey::Generate();
  const std::string forged_serial = "UFORGED0001";
  const std::string forged =
      sa::codes::MakeDigitalLink("id.brand.example", "06950123450005", forged_serial,
                                 sa::codes::SignLabel("06950123450005", forged_serial, forger));
  auto forged_run = ctl({"sale", "scan", sale2, forged, "--json"});
  CHECK(forged_run.exit_code == 3);
  CHECK(json::parse(forged_run.out)["error"]["code"] == "code_forged");

  CHECK(ctl({"sale", "scan", sale2, unit0}).exit_code == 0);
  auto voided = ctl({"sale", "void", sale2, "--reason", "test", "--json"});
  CHECK(voided.exit_code == 0);

  // a wrong token is "cannot reach", exit 2
  const fs::path wrong = dir.path() / "wrong-token";
  std::ofstream(wrong) << "not-the-token\n";
  auto refused = ctl({"status", "--token-file", wrong.string()});
  CHECK(refused.exit_code == 2);
  CHECK(Contains(refused.err, "refused the API token"));
}

// The screens show a sale by its id's last characters: storectl takes that
// part (or the id's first characters) wherever it takes a sale, when it
// names one sale, and says so when it names none or several.
TEST_CASE("storectl takes a sale by the part of its id a screen shows", "[storectl][e2e]") {
  TempDir dir("sa-storectl-short-id");
  const std::string data_dir = dir.path().string();
  Daemon agent(data_dir);
  const bool ready = agent.WaitReady(std::chrono::seconds(30));
  INFO("daemon output:\n" << agent.log());
  REQUIRE(ready);
  auto ctl = [&](std::vector<std::string> args) { return Ctl(data_dir, std::move(args)); };
  const std::string sale =
      json::parse(ctl({"sale", "open", "--terminal", "till-1", "--json"}).out)["id"];
  const std::string other =
      json::parse(ctl({"sale", "open", "--terminal", "till-2", "--json"}).out)["id"];
  const std::string tail = sale.substr(sale.size() - 6);  // what the cashier screen shows
  REQUIRE(other.substr(other.size() - 6) != tail);
  const auto codes = json::parse(ctl({"demo", "codes", "1", "--json"}).out);

  auto scanned = ctl({"sale", "scan", tail, codes["codes"][0], "--json"});
  REQUIRE(scanned.exit_code == 0);
  CHECK(json::parse(scanned.out)["id"] == sale);
  auto shown = ctl({"sale", "show", tail, "--json"});
  REQUIRE(shown.exit_code == 0);
  CHECK(json::parse(shown.out)["lines"].size() == 1);
  auto done = ctl({"sale", "complete", tail, "--pay", "cash:599", "--json"});
  REQUIRE(done.exit_code == 0);
  CHECK(json::parse(done.out)["status"] == "completed");
  CHECK(ctl({"sale", "receipt", tail}).exit_code == 0);

  // Both sales were opened within the same 49 days: their ids share their
  // first four characters (UUIDv7: the time comes first).
  const std::string head = sale.substr(0, 4);
  REQUIRE(other.substr(0, 4) == head);
  auto ambiguous = ctl({"sale", "void", head, "--json"});
  CHECK(ambiguous.exit_code == 3);
  CHECK(json::parse(ambiguous.out)["error"]["code"] == "sale_id_ambiguous");
  auto none = ctl({"sale", "show", "ffffff", "--json"});
  CHECK(none.exit_code == 3);
  CHECK(json::parse(none.out)["error"]["code"] == "sale_not_found");
  auto bad = ctl({"sale", "show", "no!", "--json"});
  CHECK(bad.exit_code == 3);
  CHECK(
      json::parse(ctl({"sale", "show", other.substr(other.size() - 6), "--json"}).out)["status"] ==
      "open");
}

// The demo store opens with stock on hand (its first start only), so what it
// sells comes off a real level instead of driving it below zero.
TEST_CASE("the demo store opens with its stock on hand, once", "[storectl][e2e][demo]") {
  TempDir dir("sa-storectl-demo-stock");
  const std::string data_dir = dir.path().string();
  auto ctl = [&](std::vector<std::string> args) { return Ctl(data_dir, std::move(args)); };
  auto on_hand = [&] {
    auto r = ctl({"stock", "show", "06950123450005", "--json"});
    REQUIRE(r.exit_code == 0);
    return json::parse(r.out)["on_hand"].get<std::int64_t>();
  };
  {
    Daemon agent(data_dir);
    REQUIRE(agent.WaitReady(std::chrono::seconds(30)));
    CHECK(on_hand() == 50);
    const std::string sale =
        json::parse(ctl({"sale", "open", "--terminal", "till-1", "--json"}).out)["id"];
    const auto codes = json::parse(ctl({"demo", "codes", "1", "--json"}).out);
    REQUIRE(ctl({"sale", "scan", sale, codes["codes"][0]}).exit_code == 0);
    REQUIRE(ctl({"sale", "complete", sale, "--pay", "cash:599"}).exit_code == 0);
    CHECK(on_hand() == 49);
  }
  Daemon again(data_dir);  // a second start keeps what moved
  REQUIRE(again.WaitReady(std::chrono::seconds(30)));
  CHECK(on_hand() == 49);
}
