// SPDX-License-Identifier: Apache-2.0
// The evdev source over FIFOs and regular files holding struct input_event
// records, on a real loop (stepped through its Asio io_context).
#include <fcntl.h>
#include <linux/input.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "drivers.hpp"
#include "source_harness.hpp"
#include "support.hpp"

using sa::drivers::EvdevOptions;
using sa::drivers::KeyEvent;
using sa::drivers::MakeEvdevSource;
using sa::drivers::ScanEvent;

namespace {

// input_event records of `text` typed on a US keyboard (letters, digits and
// a little punctuation), Enter at the end; presses 2 ms apart.
std::string Typed(const std::string& text, std::int64_t start_us = 1'000'000) {
  std::vector<KeyEvent> events;
  std::int64_t t = start_us;
  auto tap = [&](std::uint16_t code) {
    t += 2000;
    events.push_back({t, EV_KEY, code, 1});
    events.push_back({t, EV_SYN, SYN_REPORT, 0});
    events.push_back({t + 300, EV_KEY, code, 0});
    events.push_back({t + 300, EV_SYN, SYN_REPORT, 0});
  };
  static const std::uint16_t letters[] = {
      KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I, KEY_J, KEY_K, KEY_L, KEY_M,
      KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R, KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z};
  static const std::uint16_t digits[] = {KEY_0, KEY_1, KEY_2, KEY_3, KEY_4,
                                         KEY_5, KEY_6, KEY_7, KEY_8, KEY_9};
  for (char c : text) {
    if (c >= 'a' && c <= 'z') {
      tap(letters[c - 'a']);
    } else if (c >= 'A' && c <= 'Z') {
      t += 1000;
      events.push_back({t, EV_KEY, KEY_LEFTSHIFT, 1});
      tap(letters[c - 'A']);
      events.push_back({t + 400, EV_KEY, KEY_LEFTSHIFT, 0});
    } else if (c >= '0' && c <= '9') {
      tap(digits[c - '0']);
    } else if (c == '-') {
      tap(KEY_MINUS);
    } else if (c == '/') {
      tap(KEY_SLASH);
    } else if (c == '.') {
      tap(KEY_DOT);
    } else {
      FAIL("Typed() has no key for " << c);
    }
  }
  tap(KEY_ENTER);
  std::string bytes;
  for (const auto& e : events) {
    struct input_event raw {};
    raw.input_event_sec = static_cast<decltype(raw.input_event_sec)>(e.at_us / 1000000);
    raw.input_event_usec = static_cast<decltype(raw.input_event_usec)>(e.at_us % 1000000);
    raw.type = e.type;
    raw.code = e.code;
    raw.value = e.value;
    bytes.append(reinterpret_cast<const char*>(&raw), sizeof raw);
  }
  return bytes;
}

void WriteAll(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
}

// The evdev source on a loop the test runs, recording scans.
struct Harness : sa::testing::SourceHarness {
  explicit Harness(EvdevOptions options) {
    source = MakeEvdevSource(loop, std::move(options), Record());
  }
};

EvdevOptions Options(const std::string& path) {
  EvdevOptions o;
  o.id = "till-1-wedge";
  o.terminal = "till-1";
  o.path = path;
  o.reopen_ms = 20;
  return o;
}

std::string MakeFifo(const sa::testing::TempDir& dir, const std::string& name = "scanner") {
  const std::string path = (dir.path() / name).string();
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  return path;
}

// The writer end; the source must have opened the read end already.
int OpenWriter(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  REQUIRE(fd >= 0);
  return fd;
}

}  // namespace

TEST_CASE("evdev code typed into a FIFO arrives as typed") {
  sa::testing::TempDir dir("sa-evdev");
  const auto fifo = MakeFifo(dir);
  Harness h(Options(fifo));
  REQUIRE(h.source->Start().has_value());
  CHECK(h.source->status().connected);
  const int w = OpenWriter(fifo);
  WriteAll(w, Typed("Https-id.gs1.org/01/09506000134352"));
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 1; }));
  CHECK(h.scans[0].payload == "Https-id.gs1.org/01/09506000134352");
  CHECK(h.scans[0].source == "till-1-wedge");
  CHECK(h.scans[0].terminal == "till-1");
  CHECK(h.scans[0].symbology.empty());
  CHECK(h.scans[0].at_ms > 0);
  const auto s = h.source->status();
  CHECK(s.type == "evdev");
  CHECK(s.id == "till-1-wedge");
  CHECK(s.path == fifo);
  CHECK(s.connected);
  CHECK(s.scans == 1);
  CHECK(s.dropped == 0);
  CHECK(s.reopens == 0);
  CHECK(s.last_error.empty());
  ::close(w);
}

TEST_CASE("evdev two codes back-to-back") {
  sa::testing::TempDir dir("sa-evdev");
  const auto fifo = MakeFifo(dir);
  Harness h(Options(fifo));
  REQUIRE(h.source->Start().has_value());
  const int w = OpenWriter(fifo);
  WriteAll(w, Typed("4006381333931") + Typed("ABC123", 2'000'000));
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 2; }));
  CHECK(h.scans[0].payload == "4006381333931");
  CHECK(h.scans[1].payload == "ABC123");
  ::close(w);
}

TEST_CASE("evdev records split across writes at odd offsets") {
  sa::testing::TempDir dir("sa-evdev");
  const auto fifo = MakeFifo(dir);
  Harness h(Options(fifo));
  REQUIRE(h.source->Start().has_value());
  const int w = OpenWriter(fifo);
  const std::string bytes = Typed("split9code") + Typed("second", 3'000'000);
  const std::size_t sizes[] = {1, 7, 13, 5, 23, 31, 2, 47};
  std::size_t at = 0;
  for (std::size_t i = 0; at < bytes.size(); ++i) {
    const std::size_t n = std::min(sizes[i % std::size(sizes)], bytes.size() - at);
    WriteAll(w, bytes.substr(at, n));
    at += n;
    h.Drain();  // the source reads this piece before the next is written
  }
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 2; }));
  CHECK(h.scans[0].payload == "split9code");
  CHECK(h.scans[1].payload == "second");
  CHECK(h.source->status().dropped == 0);
  ::close(w);
}

TEST_CASE("evdev regular file with three codes") {
  sa::testing::TempDir dir("sa-evdev");
  const std::string path = (dir.path() / "recorded.bin").string();
  {
    std::ofstream f(path, std::ios::binary);
    f << Typed("first1") << Typed("Second2", 2'000'000) << Typed("third3", 3'000'000);
  }
  Harness h(Options(path));
  REQUIRE(h.source->Start().has_value());
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 3; }));
  CHECK(h.scans[0].payload == "first1");
  CHECK(h.scans[1].payload == "Second2");
  CHECK(h.scans[2].payload == "third3");
  CHECK(h.source->status().connected);

  // Records appended to the file later are picked up; nothing is replayed.
  {
    std::ofstream f(path, std::ios::binary | std::ios::app);
    f << Typed("fourth4", 4'000'000);
  }
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 4; }));
  CHECK(h.scans[3].payload == "fourth4");
  CHECK(h.source->status().reopens == 0);
}

TEST_CASE("evdev device vanishing and coming back") {
  sa::testing::TempDir dir("sa-evdev");
  const auto fifo = MakeFifo(dir);
  Harness h(Options(fifo));
  REQUIRE(h.source->Start().has_value());
  int w = OpenWriter(fifo);
  WriteAll(w, Typed("before1"));
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 1; }));

  // Unplugged: half a record in flight, then the writer and the node go.
  WriteAll(w, Typed("lost").substr(0, 30));
  ::close(w);
  REQUIRE(::unlink(fifo.c_str()) == 0);
  REQUIRE(h.RunUntil([&] { return !h.source->status().connected; }));
  CHECK_FALSE(h.source->status().last_error.empty());
  CHECK(h.source->status().dropped >= 1);  // the partial record

  // Plugged back in.
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  REQUIRE(h.RunUntil([&] { return h.source->status().connected; }));
  CHECK(h.source->status().reopens >= 1);
  CHECK(h.source->status().last_error.empty());
  w = OpenWriter(fifo);
  WriteAll(w, Typed("after2", 5'000'000));
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 2; }));
  CHECK(h.scans[1].payload == "after2");
  ::close(w);
}

TEST_CASE("evdev FIFO with no writer does not spin") {
  sa::testing::TempDir dir("sa-evdev");
  const auto fifo = MakeFifo(dir);
  Harness h(Options(fifo));
  REQUIRE(h.source->Start().has_value());
  // No writer ever came: the read end waits instead of reading EOF in a loop.
  std::size_t handlers = 0;
  for (int i = 0; i < 5; ++i) handlers += h.io.run_for(std::chrono::milliseconds(20));
  CHECK(handlers == 0);
  CHECK(h.source->status().connected);
  CHECK(h.source->status().reopens == 0);
}

TEST_CASE("evdev by-id glob pattern matching a FIFO") {
  sa::testing::TempDir dir("sa-evdev");
  std::filesystem::create_directory(dir.path() / "by-id");
  { std::ofstream other(dir.path() / "by-id" / "usb-Logitech_Keyboard-event-kbd"); }
  const auto fifo = MakeFifo(dir, "by-id/usb-Honeywell_Imaging_1900-event-kbd");
  Harness h(Options((dir.path() / "by-id" / "*Honeywell*-event-kbd").string()));
  REQUIRE(h.source->Start().has_value());
  REQUIRE(h.source->status().connected);
  const int w = OpenWriter(fifo);
  WriteAll(w, Typed("globbed"));
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 1; }));
  CHECK(h.scans[0].payload == "globbed");
  ::close(w);

  Harness none(Options((dir.path() / "by-id" / "*Zebra*").string()));
  REQUIRE(none.source->Start().has_value());
  CHECK_FALSE(none.source->status().connected);
  CHECK(none.source->status().last_error.find("no device matches") != std::string::npos);
}

TEST_CASE("evdev absent path starts disconnected and connects when it appears") {
  sa::testing::TempDir dir("sa-evdev");
  const std::string path = (dir.path() / "not-yet").string();
  Harness h(Options(path));
  REQUIRE(h.source->Start().has_value());
  auto s = h.source->status();
  CHECK_FALSE(s.connected);
  CHECK_FALSE(s.last_error.empty());
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  REQUIRE(h.RunUntil([&] { return h.source->status().connected; }));
  CHECK(h.source->status().reopens == 0);  // the first open is no reopen
  const int w = OpenWriter(path);
  WriteAll(w, Typed("late"));
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 1; }));
  CHECK(h.scans[0].payload == "late");
  ::close(w);
}

TEST_CASE("evdev next back-pressure") {
  sa::testing::TempDir dir("sa-evdev");
  const auto fifo = MakeFifo(dir);
  Harness h(Options(fifo));
  h.auto_next = false;
  REQUIRE(h.source->Start().has_value());
  const int w = OpenWriter(fifo);
  WriteAll(w, Typed("one") + Typed("two", 2'000'000) + Typed("three", 3'000'000));
  h.CheckBackPressure();
  CHECK(h.scans[0].payload == "one");
  CHECK(h.scans[1].payload == "two");
  CHECK(h.scans[2].payload == "three");
  ::close(w);
}

TEST_CASE("evdev Close stops delivery") {
  sa::testing::TempDir dir("sa-evdev");
  const std::string path = (dir.path() / "recorded.bin").string();
  {
    std::ofstream f(path, std::ios::binary);
    f << Typed("one") << Typed("two", 2'000'000);
  }
  Harness h(Options(path));
  h.auto_next = false;
  REQUIRE(h.source->Start().has_value());
  REQUIRE(h.RunUntil([&] { return h.scans.size() == 1; }));
  h.source->Close();
  h.nexts[0]();
  h.io.run_for(std::chrono::milliseconds(100));
  CHECK(h.scans.size() == 1);
  CHECK_FALSE(h.source->status().connected);

  // A FIFO source closed while waiting for data, then destroyed.
  const auto fifo = MakeFifo(dir);
  Harness f(Options(fifo));
  REQUIRE(f.source->Start().has_value());
  const int w = OpenWriter(fifo);
  f.source->Close();
  f.source.reset();
  f.io.run_for(std::chrono::milliseconds(50));
  CHECK(f.scans.empty());
  ::close(w);
}

TEST_CASE("evdev bad options are refused") {
  sa::loop::EventLoop loop;
  auto refuse = [&](EvdevOptions o) {
    auto s = MakeEvdevSource(loop, std::move(o), [](ScanEvent, std::function<void()>) {});
    auto r = s->Start();
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == sa::ErrorKind::invalid_request);
  };
  refuse(Options(""));
  auto layout = Options("/dev/null");
  layout.wedge.layout = "dvorak";
  refuse(layout);
  auto term = Options("/dev/null");
  term.wedge.terminator = "space";
  refuse(term);
  auto reopen = Options("/dev/null");
  reopen.reopen_ms = 0;
  refuse(reopen);
}
