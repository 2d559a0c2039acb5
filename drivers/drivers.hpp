// SPDX-License-Identifier: Apache-2.0
// Scanner sources. For now one: a TCP line source (one code per line), which
// is the demo's virtual scanner and a shelf device's network scanner. The
// evdev, serial and camera sources are the drivers issue's.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base.hpp"

namespace sa::drivers {

struct ScanEvent {
  std::string source;   // e.g. "tcp:127.0.0.1:50412"
  std::string payload;  // the bytes the scanner sent, without the line end
  std::int64_t at_ms = 0;
};

// Listens on HOST:PORT; every line a client sends is a scan. A line over
// 4096 bytes is reported once with its first 4096 bytes (the code parser
// refuses it as too large) and the rest of it is skipped.
class TcpLineSource {
 public:
  // `on_scan` gets each scan and a `next` to call once the scan is handled:
  // a client's next line is read only then, so a flooding scanner is slowed
  // to the agent's pace instead of queueing without bound.
  using OnScan = std::function<void(ScanEvent, std::function<void()> next)>;
  TcpLineSource(asio::io_context& io, OnScan on_scan);
  ~TcpLineSource();
  Expected<std::uint16_t> Listen(const std::string& host, std::uint16_t port);
  void Close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace sa::drivers
