// SPDX-License-Identifier: Apache-2.0
// The daemon's hardware: the [[scanners]] of the config and the demo's
// virtual scanner as drivers/ sources, and the [printer] on a worker thread.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base.hpp"
#include "config.hpp"
#include "drivers.hpp"
#include "loop.hpp"

namespace sa::agent {

class Hardware {
 public:
  // Checks what config could not (layout and key names, decoder formats)
  // and builds the sources; nothing is opened yet.
  static Expected<std::unique_ptr<Hardware>> Make(loop::EventLoop& loop, const config::Config& cfg,
                                                  drivers::OnScan on_scan);
  ~Hardware();

  // Opens every source. The virtual scanner's URL, when there is one, is
  // then scanner_url() ("tcp://HOST:PORT").
  Expected<void> Start();
  void Close();
  const std::string& scanner_url() const { return scanner_url_; }

  // JSON array of every source's status (loop thread).
  std::string ScannersJson() const;
  // Each terminal's mode at start, from the scanners that name one.
  std::map<std::string, std::string> TerminalModes() const;

  bool has_printer() const { return !printer_.target.empty(); }
  // Sends a job on the printer's own thread; `done` runs there with "" or why.
  void Print(std::string escpos, std::function<void(std::string)> done);

 private:
  Hardware(loop::EventLoop& loop, const config::Config& cfg, drivers::OnScan on_scan);

  loop::EventLoop& loop_;
  config::Config cfg_;
  drivers::OnScan on_scan_;
  std::vector<std::unique_ptr<drivers::ScanSource>> sources_;
  std::vector<std::unique_ptr<drivers::TcpLineSource>> tcp_;  // [[scanners]] type tcp
  std::vector<std::string> tcp_listen_;
  std::unique_ptr<drivers::TcpLineSource> virtual_;
  std::string scanner_url_;
  drivers::PrinterOptions printer_;
  // One worker, so jobs print one at a time; reset by Close().
  std::unique_ptr<loop::Workers> printer_thread_;
};

}  // namespace sa::agent
