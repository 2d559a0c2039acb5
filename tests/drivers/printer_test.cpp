// SPDX-License-Identifier: Apache-2.0
// The receipt printer's transports: the exact bytes of a job arrive at a
// pty (a serial printer), a file (a USB printer's /dev/usb/lp0 is written
// the same way) and a TCP listener (a network printer on port 9100), played
// by the test with Asio's blocking sockets. Then its status: every bit of
// the DLE EOT answers, and the queries over TCP and a pty.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <unistd.h>

#include <asio.hpp>
#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "drivers.hpp"
#include "fake_printer.hpp"

using namespace sa;
using sa::drivers::Print;
namespace fs = std::filesystem;

namespace {

// An ESC/POS job as receipt::EscPos makes them: init, text with LFs, a
// native QR symbol (GS ( k), feed and cut. Every byte value a job can hold,
// LF and NUL included, must arrive untouched.
std::string Job() {
  std::string j = "\x1b@";
  j += "\x1b\x61\x01"
       "Demo Store\n"
       "\x1b\x61\x00";
  j += "Scarf                  599.00\n";
  const std::string url = "https://claim.brand.example/c/SAC1.abc\n";
  const std::size_t len = url.size() + 3;
  j += std::string("\x1d(k\x04\x00\x31\x41\x32\x00", 9);
  j += std::string("\x1d(k\x03\x00\x31\x43\x06", 8);
  j += std::string("\x1d(k", 3) + static_cast<char>(len & 0xff) + static_cast<char>(len >> 8) +
       "\x31\x50\x30" + url;
  j += std::string("\x1d(k\x03\x00\x31\x51\x30", 8);
  j += "\x1b"
       "d\x04"
       "\x1dV\x42" +
       std::string(1, '\0');
  for (int b = 0; b < 256; ++b) j += static_cast<char>(b);
  return j;
}

std::string ReadAll(int fd, std::size_t want) {
  std::string out;
  char buf[4096];
  while (out.size() < want) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) break;  // a hang guard, not a pass condition
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

TEST_CASE("a job reaches a pty byte for byte (the tty is put in raw mode)") {
  int master = -1, slave = -1;
  char name[256];
  REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
  const std::string job = Job();
  auto printed = Print({name, 5000}, job);
  INFO((printed ? std::string() : printed.error().message));
  REQUIRE(printed);
  CHECK(ReadAll(master, job.size()) == job);
  ::close(slave);
  ::close(master);
}

TEST_CASE("a job is appended to an existing file") {
  const fs::path dir = fs::temp_directory_path() / ("sa-printer-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "lp0";
  { std::ofstream touch(file); }
  const std::string job = Job();
  REQUIRE(Print({file.string(), 1000}, job));
  REQUIRE(Print({file.string(), 1000}, "second"));
  std::ifstream in(file, std::ios::binary);
  const std::string got((std::istreambuf_iterator<char>(in)), {});
  CHECK(got == job + "second");
  fs::remove_all(dir);
}

TEST_CASE("a missing device is printer_unavailable and nothing is created") {
  const fs::path missing =
      fs::temp_directory_path() / ("sa-no-printer-" + std::to_string(::getpid()));
  auto r = Print({missing.string(), 1000}, "x");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "printer_unavailable");
  CHECK(r.error().message.find(missing.string()) != std::string::npos);
  CHECK_FALSE(fs::exists(missing));
  auto none = Print({"", 1000}, "x");
  REQUIRE_FALSE(none);
  CHECK(none.error().code == "printer_unavailable");
}

TEST_CASE("a job reaches a network printer on its raw TCP port") {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  const auto port = acceptor.local_endpoint().port();
  const std::string job = Job();
  auto received = std::async(std::launch::async, [&] {
    asio::ip::tcp::socket peer(io);
    acceptor.accept(peer);
    std::string got;
    asio::error_code ec;
    char buf[4096];
    while (!ec) {
      const auto n = peer.read_some(asio::buffer(buf), ec);
      got.append(buf, n);
    }
    return got;  // read until the printer job's close
  });
  auto printed = Print({"tcp://127.0.0.1:" + std::to_string(port), 5000}, job);
  INFO((printed ? std::string() : printed.error().message));
  REQUIRE(printed);
  CHECK(received.get() == job);
}

TEST_CASE("a network printer that refuses the connection is printer_unavailable") {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed again: nothing listens there now
  auto r = Print({"tcp://127.0.0.1:" + std::to_string(port), 2000}, "x");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "printer_unavailable");
  CHECK(r.error().message.find("tcp://127.0.0.1:") == 0);
}

TEST_CASE("a printer that stops taking bytes times out instead of hanging") {
  int master = -1, slave = -1;
  char name[256];
  REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
  // Nobody reads the master: the pty's buffer fills and the job cannot end.
  const std::string big(1 << 20, 'x');
  auto r = Print({name, 200}, big);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == "printer_unavailable");
  CHECK(r.error().message.find("timed out") != std::string::npos);
  ::close(slave);
  ::close(master);
}

// ---- the printer's status: DLE EOT n ----------------------------------------

using sa::drivers::DecodeStatus;
using sa::drivers::PaperLevel;
using sa::drivers::PrinterState;
using sa::drivers::StatusAnswers;
using sa::testing::FakePrinter;

namespace {

constexpr std::uint8_t kFixed = 0x12;  // bits 1 and 4 on: every answer has them

StatusAnswers AllOk() { return {kFixed, kFixed, kFixed, kFixed}; }

}  // namespace

TEST_CASE("DLE EOT: the query bytes and the fixed bits of an answer", "[printer][status]") {
  CHECK(sa::drivers::StatusQuery(1) == std::string("\x10\x04\x01", 3));
  CHECK(sa::drivers::StatusQuery(4) == std::string("\x10\x04\x04", 3));
  CHECK(sa::drivers::IsStatusByte(0x12));
  CHECK(sa::drivers::IsStatusByte(0x7e));        // every variable bit on
  CHECK_FALSE(sa::drivers::IsStatusByte(0x00));  // bits 1 and 4 must be on
  CHECK_FALSE(sa::drivers::IsStatusByte(0x10));  // bit 1 off
  CHECK_FALSE(sa::drivers::IsStatusByte(0x02));  // bit 4 off
  CHECK_FALSE(sa::drivers::IsStatusByte(0x13));  // bit 0 on
  CHECK_FALSE(sa::drivers::IsStatusByte(0x92));  // bit 7 on
  CHECK_FALSE(sa::drivers::IsStatusByte('?'));
}

TEST_CASE("DLE EOT: each bit of each answer", "[printer][status]") {
  SECTION("all fixed bits only: ready, paper ok, cover closed") {
    const auto st = DecodeStatus(AllOk());
    CHECK(st.state == PrinterState::ready);
    CHECK(st.paper == PaperLevel::ok);
    CHECK(st.cover_open == false);
    CHECK(st.detail.empty());
    CHECK_FALSE(st.blocks_printing());
  }
  SECTION("n=1 bit 2 (drawer pin 3) says nothing of printing") {
    auto a = AllOk();
    a.printer = kFixed | 0x04;
    CHECK(DecodeStatus(a).state == PrinterState::ready);
  }
  SECTION("n=1 bit 3: offline, with no cause given") {
    auto a = AllOk();
    a.printer = kFixed | 0x08;
    const auto st = DecodeStatus(a);
    CHECK(st.state == PrinterState::offline);
    CHECK(st.blocks_printing());
  }
  SECTION("n=2 bit 2: cover open") {
    auto a = AllOk();
    a.printer = kFixed | 0x08;
    a.offline = kFixed | 0x04;
    const auto st = DecodeStatus(a);
    CHECK(st.state == PrinterState::cover_open);
    CHECK(st.cover_open == true);
    CHECK(st.detail == "the paper cover is open");
  }
  SECTION("n=2 bit 3: paper fed by the FEED button (offline meanwhile)") {
    auto a = AllOk();
    a.printer = kFixed | 0x08;
    a.offline = kFixed | 0x08;
    const auto st = DecodeStatus(a);
    CHECK(st.state == PrinterState::offline);
    CHECK(st.detail.find("FEED") != std::string::npos);
  }
  SECTION("n=2 bit 5: printing stopped by paper end") {
    auto a = AllOk();
    a.offline = kFixed | 0x20;
    const auto st = DecodeStatus(a);
    CHECK(st.state == PrinterState::paper_out);
    CHECK(st.paper == PaperLevel::out);
  }
  SECTION("n=2 bit 6: an error") {
    auto a = AllOk();
    a.offline = kFixed | 0x40;
    CHECK(DecodeStatus(a).state == PrinterState::error);
  }
  SECTION("n=3 bits 2, 3, 5, 6: mechanical, autocutter, unrecoverable, auto-recoverable") {
    for (const auto& [bit, words] :
         std::vector<std::pair<std::uint8_t, std::string>>{{0x04, "mechanical"},
                                                           {0x08, "autocutter"},
                                                           {0x20, "unrecoverable"},
                                                           {0x40, "too hot"}}) {
      INFO(words);
      auto a = AllOk();
      a.error = static_cast<std::uint8_t>(kFixed | bit);
      const auto st = DecodeStatus(a);
      CHECK(st.state == PrinterState::error);
      CHECK(st.detail.find(words) != std::string::npos);
      CHECK(st.blocks_printing());
    }
  }
  SECTION("n=4 bits 2-3: near end still prints; bits 5-6: paper out") {
    for (int bits : {0x04, 0x08, 0x0c}) {
      auto a = AllOk();
      a.paper = static_cast<std::uint8_t>(kFixed | bits);
      const auto st = DecodeStatus(a);
      CHECK(st.state == PrinterState::ready);
      CHECK(st.paper == PaperLevel::near_end);
      CHECK_FALSE(st.blocks_printing());
    }
    for (int bits : {0x20, 0x40, 0x60, 0x6c}) {
      auto a = AllOk();
      a.paper = static_cast<std::uint8_t>(kFixed | bits);
      const auto st = DecodeStatus(a);
      CHECK(st.state == PrinterState::paper_out);
      CHECK(st.paper == PaperLevel::out);
      CHECK(st.blocks_printing());
    }
  }
  SECTION("cover open wins over paper out, which wins over an error") {
    StatusAnswers a{kFixed | 0x08, kFixed | 0x04 | 0x20 | 0x40, kFixed | 0x08, kFixed | 0x60};
    CHECK(DecodeStatus(a).state == PrinterState::cover_open);
    a.offline = kFixed | 0x20 | 0x40;
    CHECK(DecodeStatus(a).state == PrinterState::paper_out);
    a.offline = kFixed | 0x40;
    a.paper = kFixed;
    CHECK(DecodeStatus(a).state == PrinterState::error);
  }
  SECTION("no answer, or garbage, to n=1: unknown (tried, not blocked)") {
    const auto silent = DecodeStatus({});
    CHECK(silent.state == PrinterState::unknown);
    CHECK(silent.paper == PaperLevel::unknown);
    CHECK_FALSE(silent.cover_open);
    CHECK(silent.detail.find("did not answer") != std::string::npos);
    CHECK_FALSE(silent.blocks_printing());
    StatusAnswers garbage{'?', kFixed, kFixed, kFixed | 0x60};
    const auto st = DecodeStatus(garbage);
    CHECK(st.state == PrinterState::unknown);
    CHECK(st.detail.find("0x3f") != std::string::npos);
  }
  SECTION("garbage to n=2..4 is ignored, the printer answer stands") {
    StatusAnswers a{kFixed, 0xff, 0x00, 0x80};
    const auto st = DecodeStatus(a);
    CHECK(st.state == PrinterState::ready);
    CHECK(st.paper == PaperLevel::unknown);
    CHECK_FALSE(st.cover_open);
  }
}

TEST_CASE("AskStatus asks a network printer and reads its answers", "[printer][status]") {
  FakePrinter fake;
  const sa::drivers::PrinterOptions printer{fake.target(), 2000};
  fake.set_mode(FakePrinter::Mode::paper_out);
  auto st = sa::drivers::AskStatus(printer);
  CHECK(st.state == PrinterState::paper_out);
  CHECK(st.paper == PaperLevel::out);
  CHECK(fake.queries() == 4);
  fake.set_mode(FakePrinter::Mode::cover_open);
  CHECK(sa::drivers::AskStatus(printer).state == PrinterState::cover_open);
  fake.set_mode(FakePrinter::Mode::near_end);
  st = sa::drivers::AskStatus(printer);
  CHECK(st.state == PrinterState::ready);
  CHECK(st.paper == PaperLevel::near_end);
  fake.set_mode(FakePrinter::Mode::ok);
  CHECK(sa::drivers::AskStatus(printer).state == PrinterState::ready);
  // A printer answering garbage or nothing is unknown, by the deadline: no hang.
  fake.set_mode(FakePrinter::Mode::garbage);
  CHECK(sa::drivers::AskStatus(printer).state == PrinterState::unknown);
  fake.set_mode(FakePrinter::Mode::silent);
  st = sa::drivers::AskStatus({fake.target(), 200});
  CHECK(st.state == PrinterState::unknown);
  CHECK(st.detail.find("did not answer") != std::string::npos);
  CHECK(fake.received().empty());  // queries are not jobs
}

TEST_CASE("AskStatus: a file cannot answer, a missing device or a closed port is offline",
          "[printer][status]") {
  const fs::path dir = fs::temp_directory_path() / ("sa-status-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const fs::path file = dir / "lp0";
  { std::ofstream touch(file); }
  CHECK_FALSE(sa::drivers::CanAskStatus(file.string()));
  CHECK(sa::drivers::AskStatus({file.string(), 500}).state == PrinterState::unknown);
  CHECK(fs::file_size(file) == 0);  // nothing written into a file
  const auto missing = sa::drivers::AskStatus({(dir / "nope").string(), 500});
  CHECK(missing.state == PrinterState::offline);
  CHECK_FALSE(fs::exists(dir / "nope"));
  fs::remove_all(dir);

  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  const auto closed = sa::drivers::AskStatus({"tcp://127.0.0.1:" + std::to_string(port), 500});
  CHECK(closed.state == PrinterState::offline);
  CHECK(closed.blocks_printing());
}

TEST_CASE("AskStatus over a pty (a serial printer) reads the answer the device sends",
          "[printer][status]") {
  int master = -1, slave = -1;
  char name[256];
  REQUIRE(::openpty(&master, &slave, name, nullptr, nullptr) == 0);
  REQUIRE(sa::drivers::CanAskStatus(name));
  // The printer's side: answers each query as a printer out of paper.
  auto printer = std::async(std::launch::async, [master] {
    std::string seen;
    for (int answered = 0; answered < 4;) {
      pollfd p{master, POLLIN, 0};
      if (::poll(&p, 1, 10000) <= 0) break;  // a hang guard
      char buf[64];
      const ssize_t n = ::read(master, buf, sizeof buf);
      if (n <= 0) break;
      seen.append(buf, static_cast<std::size_t>(n));
      while (seen.size() >= 3) {
        const int q = seen[2];
        seen.erase(0, 3);
        const std::string a = FakePrinter::Answer(FakePrinter::Mode::paper_out, q);
        (void)!::write(master, a.data(), a.size());
        ++answered;
      }
    }
  });
  const auto st = sa::drivers::AskStatus({name, 5000});
  printer.get();
  CHECK(st.state == PrinterState::paper_out);
  ::close(slave);
  ::close(master);
}

TEST_CASE("SendJob sends the job and asks after it, a refusing printer is offline",
          "[printer][status]") {
  FakePrinter fake;
  const std::string job = Job();
  const auto sent = sa::drivers::SendJob({fake.target(), 5000}, job);
  REQUIRE_FALSE(sent.error);
  CHECK(sent.after.state == PrinterState::ready);
  // The job arrives whole; its after-queries are answered, not kept.
  CHECK(fake.received() == job);

  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor probe(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }
  const auto refused = sa::drivers::SendJob({"tcp://127.0.0.1:" + std::to_string(port), 500}, "x");
  REQUIRE(refused.error);
  CHECK(refused.error->code == "printer_unavailable");
  CHECK(refused.error->reason == "offline");
}
