// SPDX-License-Identifier: Apache-2.0
#include "hardware.hpp"

#include <nlohmann/json.hpp>

namespace sa::agent {
namespace {

using nlohmann::json;

Error Invalid(const std::string& what) {
  return MakeError(ErrorKind::invalid_request, "config_invalid", what);
}

// "KEY_Z=yY" -> {KEY_Z, {'y', 'Y'}} (the config checked the form).
Expected<std::pair<std::uint16_t, std::pair<char, char>>> KeymapEntry(const std::string& name,
                                                                      const std::string& entry) {
  const auto eq = entry.find('=');
  const auto code = drivers::KeyCodeByName(entry.substr(0, eq));
  if (!code || eq == std::string::npos || entry.size() != eq + 3) {
    return Invalid(name + ": unknown key in \"" + entry +
                   "\" (names as in linux/input-event-codes.h, e.g. KEY_Z)");
  }
  return std::make_pair(*code, std::make_pair(entry[eq + 1], entry[eq + 2]));
}

json StatusJson(const drivers::SourceStatus& s) {
  return json{{"id", s.id},
              {"type", s.type},
              {"terminal", s.terminal},
              {"path", s.path},
              {"connected", s.connected},
              {"scans", s.scans},
              {"dropped", s.dropped},
              {"reopens", s.reopens},
              {"last_error", s.last_error.empty() ? json(nullptr) : json(s.last_error)}};
}

}  // namespace

Hardware::Hardware(loop::EventLoop& loop, const config::Config& cfg, drivers::OnScan on_scan)
    : loop_(loop), cfg_(cfg), on_scan_(std::move(on_scan)) {}

Hardware::~Hardware() { Close(); }

Expected<std::unique_ptr<Hardware>> Hardware::Make(loop::EventLoop& loop, const config::Config& cfg,
                                                   drivers::OnScan on_scan) {
  std::unique_ptr<Hardware> hw(new Hardware(loop, cfg, std::move(on_scan)));
  std::map<std::string, std::string> modes;
  for (std::size_t i = 0; i < cfg.scanners.size(); ++i) {
    const config::Scanner& sc = cfg.scanners[i];
    const std::string name = "scanners[" + std::to_string(i) + "] (" + sc.id + ")";
    if (const auto [it, fresh] = modes.emplace(sc.terminal, sc.mode);
        !fresh && it->second != sc.mode) {
      return Invalid(name + ": terminal " + sc.terminal + " is in mode " + it->second +
                     " by another scanner, not " + sc.mode);
    }
    if (sc.type == "evdev") {
      drivers::EvdevOptions o;
      o.id = sc.id;
      o.terminal = sc.terminal;
      o.path = sc.path;
      o.grab = sc.grab;
      o.reopen_ms = static_cast<int>(sc.reopen_ms);
      o.wedge.layout = sc.layout;
      o.wedge.terminator = sc.terminator;
      o.wedge.inter_key_timeout_ms = static_cast<int>(sc.inter_key_timeout_ms);
      if (!drivers::KnownLayout(sc.layout)) return Invalid(name + ": unknown layout " + sc.layout);
      for (const auto& entry : sc.keymap) {
        auto key = KeymapEntry(name, entry);
        if (!key) return key.error();
        o.wedge.keymap[key->first] = key->second;
      }
      hw->sources_.push_back(drivers::MakeEvdevSource(loop, std::move(o), hw->on_scan_));
    } else if (sc.type == "serial") {
      drivers::SerialOptions o;
      o.id = sc.id;
      o.terminal = sc.terminal;
      o.path = sc.path;
      o.baud = static_cast<unsigned>(sc.baud);
      o.parity = sc.parity;
      o.stop_bits = static_cast<unsigned>(sc.stop_bits);
      o.data_bits = static_cast<unsigned>(sc.data_bits);
      o.framing = sc.framing;
      o.reopen_ms = static_cast<int>(sc.reopen_ms);
      hw->sources_.push_back(drivers::MakeSerialSource(loop, std::move(o), hw->on_scan_));
    } else if (sc.type == "camera") {
      drivers::CameraOptions o;
      o.id = sc.id;
      o.terminal = sc.terminal;
      o.path = sc.path;
      o.width = static_cast<int>(sc.width);
      o.height = static_cast<int>(sc.height);
      o.fps = static_cast<int>(sc.fps);
      o.reopen_ms = static_cast<int>(sc.reopen_ms);
      o.decode.formats = sc.formats;
      o.decode.try_rotate = sc.try_rotate;
      o.decode.try_invert = sc.try_invert;
      o.decode.try_harder = sc.try_harder;
      if (auto ok = drivers::CheckDecodeOptions(o.decode); !ok) {
        return Invalid(name + ".formats: " + ok.error().message);
      }
      hw->sources_.push_back(drivers::MakeCameraSource(loop, std::move(o), hw->on_scan_));
    } else {  // tcp
      auto tcp = std::make_unique<drivers::TcpLineSource>(loop, hw->on_scan_);
      tcp->set_id(sc.id, sc.terminal);
      tcp->set_token(sc.token);
      hw->tcp_.push_back(std::move(tcp));
      hw->tcp_listen_.push_back(sc.listen);
    }
  }
  if (!cfg.virtual_scanner_listen.empty()) {
    hw->virtual_ = std::make_unique<drivers::TcpLineSource>(loop, hw->on_scan_);
    hw->virtual_->set_id("", "till-1");  // each client named by its address
  }
  if (!cfg.printer_target.empty()) {
    hw->printer_.target = cfg.printer_target;
    hw->printer_.timeout_ms = static_cast<int>(cfg.printer_timeout_ms);
    hw->printer_thread_ = std::make_unique<loop::Workers>(loop, 1);
  }
  return hw;
}

Expected<void> Hardware::Start() {
  for (auto& source : sources_) {
    if (auto ok = source->Start(); !ok) {
      return ok.error().WithContext("scanner " + source->status().id);
    }
  }
  for (std::size_t i = 0; i < tcp_.size(); ++i) {
    const auto where = config::SplitListen(tcp_listen_[i]);
    if (!where) return Invalid("scanner " + tcp_[i]->status().id + ": expected HOST:PORT");
    auto port = tcp_[i]->Listen(where->first, where->second);
    if (!port) return port.error().WithContext("scanner " + tcp_[i]->status().id);
  }
  if (virtual_) {
    const auto where = config::SplitListen(cfg_.virtual_scanner_listen);
    if (!where) return Invalid("scanner.virtual_listen: expected HOST:PORT");
    auto port = virtual_->Listen(where->first, where->second);
    if (!port) return port.error();
    scanner_url_ = "tcp://" + where->first + ":" + std::to_string(*port);
  }
  return {};
}

void Hardware::Close() {
  for (auto& source : sources_) source->Close();
  for (auto& tcp : tcp_) tcp->Close();
  if (virtual_) virtual_->Close();
  // Waits for the jobs sent (a job in flight ends by its deadline); each
  // one's `done` has run when this returns.
  printer_thread_.reset();
}

std::string Hardware::ScannersJson() const {
  json list = json::array();
  for (const auto& source : sources_) list.push_back(StatusJson(source->status()));
  for (const auto& tcp : tcp_) list.push_back(StatusJson(tcp->status()));
  if (virtual_) list.push_back(StatusJson(virtual_->status()));
  return list.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::map<std::string, std::string> Hardware::TerminalModes() const {
  std::map<std::string, std::string> modes;
  for (const auto& sc : cfg_.scanners) modes.emplace(sc.terminal, sc.mode);
  return modes;
}

void Hardware::Print(std::string escpos, std::function<void(std::string)> done) {
  if (!has_printer()) return done("no printer is configured");
  if (!printer_thread_) return done("the printer is closed");
  // `done` runs on the worker as the job ends, not on the loop: a job still
  // printing at Close() reports before Close() returns. Nothing is left for
  // the loop to do after it.
  printer_thread_->Run<bool>(
      [this, escpos = std::move(escpos), done = std::move(done)] {
        auto ok = drivers::Print(printer_, escpos);
        done(ok ? std::string() : ok.error().message);
        return true;
      },
      [](bool) {});
}

}  // namespace sa::agent
