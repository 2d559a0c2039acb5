// SPDX-License-Identifier: Apache-2.0
// The daemon's hardware: the [[scanners]] of the config and the demo's
// virtual scanner as drivers/ sources, and the receipt printers ([printer],
// named "default", and each [printers.NAME]), each with its print queue on
// its own worker thread. A terminal's receipts print on the printer its
// [terminals.NAME] table names, else on the default one.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api.hpp"
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
                                                  drivers::OnScan on_scan, const Clock& clock);
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

  bool has_printer() const { return !printers_.empty(); }
  // Sends raw bytes through the default printer's queue (no retry); `done`
  // runs on the loop with "" or why.
  void Print(std::string escpos, std::function<void(std::string)> done);
  // Queues a receipt on its terminal's printer; no_printer when it has none.
  Expected<void> QueueReceipt(api::ReceiptJob job,
                              std::function<void(const api::PrintAttempt&)> first);
  // JSON array of every printer with its status and queue (loop thread).
  std::string PrintersJson() const;

 private:
  Hardware(loop::EventLoop& loop, const config::Config& cfg, drivers::OnScan on_scan,
           const Clock& clock);

  struct Printer {
    config::Printer config;
    std::vector<std::string> terminals;  // those that name it
    std::unique_ptr<drivers::PrintQueue> queue;
  };
  Printer* PrinterOf(const std::string& terminal);

  loop::EventLoop& loop_;
  config::Config cfg_;
  drivers::OnScan on_scan_;
  std::vector<std::unique_ptr<drivers::ScanSource>> sources_;
  std::vector<std::unique_ptr<drivers::TcpLineSource>> tcp_;  // [[scanners]] type tcp
  std::vector<std::string> tcp_listen_;
  std::unique_ptr<drivers::TcpLineSource> virtual_;
  std::string scanner_url_;
  const Clock& clock_;
  std::map<std::string, Printer> printers_;  // by name; "default" is [printer]
};

}  // namespace sa::agent
