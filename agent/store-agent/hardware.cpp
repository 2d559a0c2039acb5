// SPDX-License-Identifier: Apache-2.0
#include "hardware.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

namespace sa::agent {
namespace {

using nlohmann::json;

// What a print job is, in its queue label: a sale's receipt is labelled with
// the sale's id, a refund's slip and a drawer kick with a prefix and their id.
struct JobKind {
  std::string_view prefix;
  const char* key;  // the id's name in GET /v1/printers
};
constexpr JobKind kRefundJob{"refund/", "refund_id"};
constexpr JobKind kDrawerJob{"drawer/", "drawer_open_id"};

// The id's name and the id of the job labelled `label`.
std::pair<const char*, std::string> JobOf(const std::string& label) {
  for (const JobKind& kind : {kRefundJob, kDrawerJob}) {
    if (label.rfind(kind.prefix, 0) == 0) return {kind.key, label.substr(kind.prefix.size())};
  }
  return {"sale_id", label};
}

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

Hardware::Hardware(loop::EventLoop& loop, const config::Config& cfg, drivers::OnScan on_scan,
                   const Clock& clock)
    : loop_(loop), cfg_(cfg), on_scan_(std::move(on_scan)), clock_(clock) {}

Hardware::~Hardware() { Close(); }

Expected<std::unique_ptr<Hardware>> Hardware::Make(loop::EventLoop& loop, const config::Config& cfg,
                                                   drivers::OnScan on_scan, const Clock& clock) {
  std::unique_ptr<Hardware> hw(new Hardware(loop, cfg, std::move(on_scan), clock));
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
  std::vector<config::Printer> printers = cfg.printers;
  if (!cfg.printer_target.empty()) {
    printers.push_back(config::Printer{"default", cfg.printer_target, cfg.printer_width_mm,
                                       cfg.printer_timeout_ms, config::Printer{}.retry_ms,
                                       cfg.printer_encoding});
  }
  for (const config::Printer& p : printers) {
    drivers::QueueOptions o;
    o.name = p.name;
    o.printer.target = p.target;
    o.printer.timeout_ms = static_cast<int>(p.timeout_ms);
    o.retry_ms = static_cast<int>(p.retry_ms);
    Printer& printer = hw->printers_[p.name];
    printer.config = p;
    printer.queue = std::make_unique<drivers::PrintQueue>(loop, std::move(o), clock);
  }
  for (const config::Terminal& t : cfg.terminals) {
    const std::string name = t.printer.empty() ? "default" : t.printer;
    // The config checked the names; a terminal of a default that is not
    // configured has no printer.
    if (auto it = hw->printers_.find(name); it != hw->printers_.end()) {
      it->second.terminals.push_back(t.name);
    }
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
  for (auto& [name, printer] : printers_) printer.queue->Start();
  return {};
}

void Hardware::Close() {
  for (auto& source : sources_) source->Close();
  for (auto& tcp : tcp_) tcp->Close();
  if (virtual_) virtual_->Close();
  // Waits for the job on each printer's worker (it ends by its deadline);
  // no job's callback runs after this.
  for (auto& [name, printer] : printers_) printer.queue->Close();
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

Hardware::Printer* Hardware::PrinterOf(const std::string& terminal) {
  std::string name = "default";
  for (const config::Terminal& t : cfg_.terminals) {
    if (t.name == terminal && !t.printer.empty()) name = t.printer;
  }
  const auto it = printers_.find(name);
  return it == printers_.end() ? nullptr : &it->second;
}

void Hardware::Print(std::string escpos, std::function<void(std::string)> done) {
  if (printers_.empty()) return done("no printer is configured");
  Printer& printer =
      printers_.count("default") ? printers_.at("default") : printers_.begin()->second;
  drivers::QueueJob job;
  job.label = "raw";
  job.retry = false;
  job.make_bytes = [escpos = std::move(escpos)](auto bytes) { bytes(escpos); };
  printer.queue->Add(std::move(job), [done = std::move(done)](const drivers::JobView& view) {
    done(view.state == drivers::JobState::printed ? std::string() : view.detail);
  });
}

Expected<void> Hardware::QueueReceipt(api::ReceiptJob receipt,
                                      std::function<void(const api::PrintAttempt&)> first) {
  Printer* printer = PrinterOf(receipt.terminal);
  if (!printer) {
    return MakeError(ErrorKind::conflict, "no_printer",
                     "terminal " + receipt.terminal +
                         " has no receipt printer ([printer] target, or [terminals." +
                         receipt.terminal + "] printer)");
  }
  const std::string name = printer->config.name;
  const auto attempt = [name](const drivers::JobView& view) {
    return api::PrintAttempt{name,        view.id,     std::string(drivers::Name(view.state)),
                             view.reason, view.detail, view.attempts,
                             view.bytes};
  };
  const receipt::Width width =
      printer->config.width_mm == 58 ? receipt::Width::mm58 : receipt::Width::mm80;
  // The config checked the name.
  const receipt::Encoding encoding =
      receipt::ParseEncoding(printer->config.encoding).value_or(receipt::Encoding::gb18030);
  drivers::QueueJob job;
  job.label = !receipt.drawer_open_id.empty()
                  ? std::string(kDrawerJob.prefix) + receipt.drawer_open_id
              : !receipt.refund_id.empty() ? std::string(kRefundJob.prefix) + receipt.refund_id
                                           : receipt.sale_id;
  job.retry = !receipt.asked;
  job.make_bytes = [make = std::move(receipt.make_bytes), width,
                    encoding](std::function<void(Expected<std::string>)> bytes) {
    make(width, encoding, std::move(bytes));
  };
  job.not_taken = std::move(receipt.not_taken);
  job.attempted = [attempted = std::move(receipt.attempted), attempt](const drivers::JobView& v) {
    if (attempted) attempted(attempt(v));
  };
  std::function<void(const drivers::JobView&)> on_first;
  if (first) {
    on_first = [first = std::move(first), attempt](const drivers::JobView& v) {
      first(attempt(v));
    };
  }
  printer->queue->Add(std::move(job), std::move(on_first));
  return {};
}

std::string Hardware::PrintersJson() const {
  json list = json::array();
  for (const auto& [name, printer] : printers_) {
    const drivers::QueueStatus q = printer.queue->status();
    json cover =
        q.status.cover_open ? json(*q.status.cover_open ? "open" : "closed") : json("unknown");
    json status{{"state", drivers::Name(q.status.state)},
                {"paper", drivers::Name(q.status.paper)},
                {"cover", cover},
                {"detail", q.status.detail},
                {"checked_at",
                 q.checked_at_ms > 0 ? json(FormatTimestamp(q.checked_at_ms)) : json(nullptr)}};
    json queue = json::array();
    for (const drivers::JobView& j : q.jobs) {
      const auto [key, id] = JobOf(j.label);
      queue.push_back(json{{"job", j.id},
                           {key, id},
                           {"state", drivers::Name(j.state)},
                           {"reason", j.reason.empty() ? json(nullptr) : json(j.reason)},
                           {"detail", j.detail},
                           {"attempts", j.attempts},
                           {"bytes", j.bytes},
                           {"at", FormatTimestamp(j.at_ms)}});
    }
    list.push_back(json{{"name", name},
                        {"target", q.target},
                        {"default", name == "default"},
                        {"terminals", printer.terminals},
                        {"width_mm", printer.config.width_mm},
                        {"encoding", printer.config.encoding},
                        {"status", std::move(status)},
                        {"queue", std::move(queue)}});
  }
  return list.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace sa::agent
