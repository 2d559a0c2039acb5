// SPDX-License-Identifier: Apache-2.0
// The serial source over a pty pair: the source opens the slave by its path,
// the test plays the scanner on the master.
#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "drivers.hpp"
#include "source_harness.hpp"
#include "support.hpp"

using sa::drivers::MakeSerialSource;
using sa::drivers::ScanEvent;
using sa::drivers::SerialOptions;

namespace {

// A pty pair. The test's own slave fd is kept only while asked (termios
// checks): a slave left open would keep the tty alive after the master goes.
struct Pty {
  int master = -1;
  int slave = -1;
  std::string path;

  Pty() {
    REQUIRE(::openpty(&master, &slave, nullptr, nullptr, nullptr) == 0);
    path = ::ttyname(slave);
    const int flags = ::fcntl(master, F_GETFL);
    REQUIRE(::fcntl(master, F_SETFL, flags | O_NONBLOCK) == 0);
  }
  ~Pty() {
    CloseSlave();
    CloseMaster();
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  void CloseSlave() {
    if (slave >= 0) ::close(slave);
    slave = -1;
  }
  void CloseMaster() {
    if (master >= 0) ::close(master);
    master = -1;
  }
};

// The serial source on a loop the test runs, recording scans.
struct Harness : sa::testing::SourceHarness {
  explicit Harness(SerialOptions options) {
    source = MakeSerialSource(loop, std::move(options), Record());
  }
};

SerialOptions Options(const std::string& path, const std::string& framing = "cr") {
  SerialOptions o;
  o.id = "till-1-serial";
  o.terminal = "till-1";
  o.path = path;
  o.framing = framing;
  o.reopen_ms = 20;
  return o;
}

using Codes = std::vector<std::string>;

}  // namespace

TEST_CASE("serial CR framing over a pty in raw mode") {
  Pty pty;
  Harness h(Options(pty.path, "cr"));
  REQUIRE(h.source->Start().has_value());
  const auto s = h.source->status();
  CHECK(s.type == "serial");
  CHECK(s.id == "till-1-serial");
  CHECK(s.path == pty.path);
  CHECK(s.connected);
  CHECK(s.last_error.empty());

  // The source put the tty in raw mode: no line editing, no echo, no CR->NL.
  termios tio{};
  REQUIRE(::tcgetattr(pty.slave, &tio) == 0);
  CHECK((tio.c_lflag & ICANON) == 0);
  CHECK((tio.c_lflag & ECHO) == 0);
  CHECK((tio.c_iflag & ICRNL) == 0);
  pty.CloseSlave();

  h.Send(pty.master, "]Q1https://id.gs1.org/01/09506000134352\r");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 1; }));
  CHECK(h.scans[0].payload == "]Q1https://id.gs1.org/01/09506000134352");
  CHECK(h.scans[0].source == "till-1-serial");
  CHECK(h.scans[0].terminal == "till-1");
  CHECK(h.scans[0].symbology.empty());
  CHECK(h.scans[0].at_ms > 0);
  CHECK(h.source->status().scans == 1);

  char echo[64];
  CHECK(::read(pty.master, echo, sizeof echo) < 0);  // nothing echoed back
  CHECK(errno == EAGAIN);
}

TEST_CASE("serial LF framing") {
  Pty pty;
  Harness h(Options(pty.path, "lf"));
  REQUIRE(h.source->Start().has_value());
  pty.CloseSlave();
  h.Send(pty.master,
         "4006381333931\nABC\x1d"
         "123\n");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 2; }));
  CHECK(h.Payloads() == Codes{"4006381333931",
                              "ABC\x1d"
                              "123"});
}

TEST_CASE("serial CRLF framing keeps a lone CR or LF inside a code") {
  Pty pty;
  Harness h(Options(pty.path, "crlf"));
  REQUIRE(h.source->Start().has_value());
  pty.CloseSlave();
  h.Send(pty.master, "a1\r\nb\r2\r\nc\n3\r\n");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 3; }));
  CHECK(h.Payloads() == Codes{"a1", "b\r2", "c\n3"});
}

TEST_CASE("serial custom suffix framing") {
  Pty pty;
  Harness h(Options(pty.path, "\x03"));
  REQUIRE(h.source->Start().has_value());
  pty.CloseSlave();
  h.Send(pty.master, "one\x03two\r\n\x03");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 2; }));
  CHECK(h.Payloads() == Codes{"one", "two\r\n"});  // a literal suffix strips nothing else

  Pty multi;
  Harness m(Options(multi.path, "##END"));
  REQUIRE(m.source->Start().has_value());
  multi.CloseSlave();
  m.Send(multi.master, "alpha##ENDbeta#gamma##END");
  REQUIRE(m.RunUntil([&] { return m.scans.size() == 2; }));
  CHECK(m.Payloads() == Codes{"alpha", "beta#gamma"});
}

TEST_CASE("serial CR or LF framing with a CRLF scanner strips the stray byte") {
  Pty pty;
  Harness h(Options(pty.path, "cr"));
  REQUIRE(h.source->Start().has_value());
  pty.CloseSlave();
  h.Send(pty.master, "abc\r\ndef\r\n\r\r\r");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 2; }));
  CHECK(h.Payloads() == Codes{"abc", "def"});

  Pty lf;
  Harness l(Options(lf.path, "lf"));
  REQUIRE(l.source->Start().has_value());
  lf.CloseSlave();
  l.Send(lf.master, "ghi\r\njkl\r\n\n\n");
  REQUIRE(l.RunUntil([&] { return l.scans.size() == 2; }));
  CHECK(l.Payloads() == Codes{"ghi", "jkl"});
  l.Drain();
  CHECK(l.scans.size() == 2);  // the empty lines were skipped
}

TEST_CASE("serial code split across writes") {
  Pty pty;
  Harness h(Options(pty.path, "crlf"));
  REQUIRE(h.source->Start().has_value());
  pty.CloseSlave();
  for (const std::string piece : {"0109506", "000134352",
                                  "\x1d"
                                  "21",
                                  "XYZ\r", "\n", "next\r", "\n"}) {
    h.Send(pty.master, piece);
  }
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 2; }));
  CHECK(h.Payloads() == Codes{"0109506000134352\x1d"
                              "21XYZ",
                              "next"});
}

TEST_CASE("serial over-long line is dropped and the next code is fine") {
  Pty pty;
  Harness h(Options(pty.path, "crlf"));
  REQUIRE(h.source->Start().has_value());
  pty.CloseSlave();
  h.Send(pty.master, std::string(4096, 'k') + "\r\n");  // at the limit: a code
  h.Send(pty.master, std::string(9000, 'x') + "\r\n");  // over it: dropped
  h.Send(pty.master, "ok\r\n");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 2; }));
  CHECK(h.scans[0].payload == std::string(4096, 'k'));
  CHECK(h.scans[1].payload == "ok");
  CHECK(h.source->status().dropped == 1);
}

TEST_CASE("serial parity and baud options applied on a pty") {
  Pty pty;
  auto o = Options(pty.path, "cr");
  o.baud = 19200;
  o.parity = "even";
  o.stop_bits = 2;
  o.data_bits = 7;
  Harness h(o);
  REQUIRE(h.source->Start().has_value());
  CHECK(h.source->status().connected);
  termios tio{};
  REQUIRE(::tcgetattr(pty.slave, &tio) == 0);
  CHECK(::cfgetispeed(&tio) == B19200);
  CHECK((tio.c_cflag & CSTOPB) != 0);
  // A pty has no line: Linux keeps it CS8 without parity whatever is asked,
  // so parity and data bits are accepted but not applied to it.
  CHECK((tio.c_cflag & CSIZE) == CS8);
  CHECK((tio.c_lflag & (ICANON | ECHO)) == 0);
  pty.CloseSlave();
  h.Send(pty.master, "SEVEN7\r");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 1; }));
  CHECK(h.scans[0].payload == "SEVEN7");

  Pty odd;
  auto p = Options(odd.path, "cr");
  p.baud = 115200;
  p.parity = "odd";
  Harness ho(p);
  REQUIRE(ho.source->Start().has_value());
  REQUIRE(::tcgetattr(odd.slave, &tio) == 0);
  CHECK(::cfgetispeed(&tio) == B115200);
  CHECK((tio.c_cflag & CSTOPB) == 0);
  CHECK((tio.c_cflag & CSIZE) == CS8);
}

TEST_CASE("serial bad options are refused by Start") {
  sa::loop::EventLoop loop;
  auto refuse = [&](SerialOptions o, const std::string& code) {
    auto s = MakeSerialSource(loop, std::move(o), [](ScanEvent, std::function<void()>) {});
    auto r = s->Start();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == sa::ErrorKind::invalid_request);
    CHECK(r.error().code == code);
    CHECK_FALSE(s->status().connected);
  };
  auto o = Options("/dev/null");
  o.parity = "mark";
  refuse(o, "bad_parity");
  o = Options("/dev/null");
  o.baud = 0;
  refuse(o, "bad_baud");
  o.baud = 12345;
  refuse(o, "bad_baud");
  o = Options("/dev/null");
  o.stop_bits = 3;
  refuse(o, "bad_stop_bits");
  o = Options("/dev/null");
  o.data_bits = 6;
  refuse(o, "bad_data_bits");
  o = Options("/dev/null", "");
  refuse(o, "bad_framing");
  o = Options("");
  refuse(o, "bad_path");
}

TEST_CASE("serial absent path starts disconnected") {
  sa::testing::TempDir dir("sa-serial");
  Harness h(Options((dir.path() / "ttyUSB9").string()));
  REQUIRE(h.source->Start().has_value());
  CHECK_FALSE(h.source->status().connected);
  CHECK_FALSE(h.source->status().last_error.empty());
}

TEST_CASE("serial unplug reports disconnected and a new device is reopened") {
  // The configured path is a symlink, as udev's /dev/serial/by-id names are:
  // the "replugged" scanner is a new pty behind the same name.
  sa::testing::TempDir dir("sa-serial");
  const auto link = dir.path() / "scanner";
  auto first = std::make_unique<Pty>();
  std::filesystem::create_symlink(first->path, link);
  Harness h(Options(link.string(), "cr"));
  REQUIRE(h.source->Start().has_value());
  first->CloseSlave();
  h.Send(first->master, "before\r");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 1; }));

  h.Send(first->master, "half-a-co");
  first.reset();  // the master closes: the slave reads EIO
  REQUIRE(h.RunUntil([&] { return !h.source->status().connected; }));
  CHECK_FALSE(h.source->status().last_error.empty());
  // (Whether "half-a-co" reached the source before the hangup discarded it
  // is up to the kernel's pty workqueue, so dropped is not checked here.)

  Pty second;
  const auto tmp = dir.path() / "scanner.new";
  std::filesystem::create_symlink(second.path, tmp);
  std::filesystem::rename(tmp, link);
  REQUIRE(h.RunUntil([&] { return h.source->status().connected; }));
  CHECK(h.source->status().reopens >= 1);
  second.CloseSlave();
  h.Send(second.master, "after\r");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 2; }));
  CHECK(h.scans[1].payload == "after");
}

TEST_CASE("serial next back-pressure") {
  Pty pty;
  Harness h(Options(pty.path, "cr"));
  h.auto_next = false;
  REQUIRE(h.source->Start().has_value());
  pty.CloseSlave();
  h.Send(pty.master, "one\rtwo\rthree\r");
  h.CheckBackPressure();
  CHECK(h.Payloads() == Codes{"one", "two", "three"});
}

TEST_CASE("serial Close stops delivery") {
  Pty pty;
  Harness h(Options(pty.path, "cr"));
  h.auto_next = false;
  REQUIRE(h.source->Start().has_value());
  pty.CloseSlave();
  h.Send(pty.master, "one\rtwo\r");
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 1; }));
  h.source->Close();
  h.nexts[0]();
  [[maybe_unused]] const ssize_t w = ::write(pty.master, "three\r", 6);  // no reader now: may fail
  h.io.run_for(std::chrono::milliseconds(100));
  CHECK(h.scans.size() == 1);
  CHECK_FALSE(h.source->status().connected);
  h.source.reset();
  h.io.run_for(std::chrono::milliseconds(20));
  CHECK(h.scans.size() == 1);
}
