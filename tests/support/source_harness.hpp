// SPDX-License-Identifier: Apache-2.0
// A scanner source under test on a loop the test runs, recording its scans.
// A test derives from it and builds its source with Record() as the OnScan:
//
//   struct Harness : sa::testing::SourceHarness {
//     explicit Harness(EvdevOptions o) { source = MakeEvdevSource(loop, std::move(o), Record()); }
//   };
//
// The test steps the loop by hand through its Asio io_context (io).
#pragma once

#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "drivers.hpp"
#include "loop.hpp"

namespace sa::testing {

struct SourceHarness {
  sa::loop::EventLoop loop;
  asio::io_context& io = loop.io();
  std::vector<sa::drivers::ScanEvent> scans;
  // With auto_next the scan is handled at once; otherwise `nexts` holds the
  // pending callbacks, for back-pressure tests.
  std::vector<std::function<void()>> nexts;
  bool auto_next = true;
  std::unique_ptr<sa::drivers::ScanSource> source;

  sa::drivers::OnScan Record() {
    return [this](sa::drivers::ScanEvent e, std::function<void()> next) {
      scans.push_back(std::move(e));
      if (auto_next) {
        next();
      } else {
        nexts.push_back(std::move(next));
      }
    };
  }

  // Runs the loop until `done`; the time cap only guards against a hang.
  bool RunUntil(const std::function<bool()>& done) {
    const auto cap = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (std::chrono::steady_clock::now() > cap) return false;
      if (io.stopped()) io.restart();
      io.run_one_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // Runs whatever is ready now (lets the source consume a write).
  void Drain() {
    for (int i = 0; i < 20; ++i) {
      if (io.stopped()) io.restart();
      io.poll();
    }
  }

  // Writes `bytes` to the device's other end (a non-blocking fd: a pty
  // master), letting the source read as it goes (a tty buffers only a few KiB).
  void Send(int fd, const std::string& bytes, std::size_t piece = 512) {
    std::size_t at = 0;
    const auto cap = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (at < bytes.size()) {
      REQUIRE(std::chrono::steady_clock::now() < cap);
      const std::size_t n = std::min(piece, bytes.size() - at);
      const ssize_t w = ::write(fd, bytes.data() + at, n);
      if (w > 0) {
        at += static_cast<std::size_t>(w);
      } else {
        REQUIRE(errno == EAGAIN);
        io.run_one_for(std::chrono::milliseconds(5));
      }
      Drain();
    }
  }

  // The delivery gate, with three codes written and auto_next off: one scan
  // until its `next` is called (twice, harmlessly), then the second, then
  // the third.
  void CheckBackPressure() {
    REQUIRE(RunUntil([&] { return scans.size() == 1; }));
    // Everything is written; still nothing more until the scan is handled.
    io.run_for(std::chrono::milliseconds(100));
    CHECK(scans.size() == 1);
    REQUIRE(nexts.size() == 1);
    nexts[0]();
    nexts[0]();  // a second call is harmless
    REQUIRE(RunUntil([&] { return scans.size() == 2; }));
    io.run_for(std::chrono::milliseconds(50));
    CHECK(scans.size() == 2);
    nexts[1]();
    REQUIRE(RunUntil([&] { return scans.size() == 3; }));
  }

  std::vector<std::string> Payloads() const {
    std::vector<std::string> out;
    for (const auto& s : scans) out.push_back(s.payload);
    return out;
  }
};

}  // namespace sa::testing
