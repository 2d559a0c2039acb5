// SPDX-License-Identifier: Apache-2.0
#include "agent.hpp"

#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "hardware.hpp"
#include "loop.hpp"
#include "sessions.hpp"
#include "terminals.hpp"

namespace sa::agent {
namespace {

constexpr auto kExpirySweep = std::chrono::seconds(5);  // reservations past their TTL
// Retention (ledger.retention_days): a first pass soon after the start, then
// one an hour. Either is a string of small steps on the writer.
constexpr auto kRetentionFirst = std::chrono::minutes(1);
constexpr auto kRetentionEvery = std::chrono::hours(1);

// Sync's writes (acknowledgements, pulled pages) on the daemon's writer:
// they ride its group commits, so the cloud never holds the ledger's write
// lock against a sale. Relaxed durability is enough: an acknowledgement or a
// page lost to a power cut is simply fetched or acknowledged again (push is
// idempotent, pull re-reads from the cursor that was lost with it).
class WriterPort final : public sync::LedgerPort {
 public:
  explicit WriterPort(daemon::Writer& writer) : writer_(writer) {}

  Expected<void> Write(std::function<Expected<void>(store::Inbox&)> work) override {
    return writer_.Call<void>(ledger::Durability::relaxed, [&work](store::Store& s) {
      auto done = work(s.inbox);
      if (!done) throw ledger::Failure(done.error());  // rolls this job's savepoint back
      return done;
    });
  }

 private:
  daemon::Writer& writer_;
};

// Reservations whose TTL lapsed give their stock back. Looked for every few
// seconds with a read, and expired (one durable transaction) only when one
// has lapsed: an idle store box does not fsync to learn nothing happened.
// The next look is scheduled once the last is answered: sweeps never pile up.
class ExpirySweep {
 public:
  ExpirySweep(loop::EventLoop& loop, daemon::Writer& writer, const daemon::Log& log,
              std::function<void()> expired)
      : timer_(loop), writer_(writer), log_(log), expired_(std::move(expired)) {}

  void Start() {
    running_ = true;
    Next();
  }
  void Stop() {
    running_ = false;
    timer_.Cancel();
  }

 private:
  void Next() {
    if (running_) timer_.After(kExpirySweep, [this] { Look(); });
  }

  void Look() {
    writer_.Submit<bool>(
        ledger::Durability::relaxed, [](store::Store& s) { return s.stock.AnyExpired(); },
        [this](Expected<bool> due) {
          if (!due) log_.Warn("reservation expiry failed", {{"error", due.error().code}});
          if (due && *due) return Expire();
          Next();
        });
  }

  void Expire() {
    writer_.Submit<std::size_t>(
        ledger::Durability::full, [](store::Store& s) { return s.stock.ExpireReservations(); },
        [this](Expected<std::size_t> n) {
          if (!n) {
            log_.Warn("reservation expiry failed", {{"error", n.error().code}});
          } else if (*n > 0) {
            log_.Info("reservations expired", {{"count", std::to_string(*n)}});
            expired_();  // push the expiries now
          }
          Next();
        });
  }

  loop::Timer timer_;
  daemon::Writer& writer_;
  const daemon::Log& log_;
  std::function<void()> expired_;
  bool running_ = false;
};

std::string CompactedJson(const store::Compacted& c) {
  return nlohmann::json{
      {"sales", c.sales}, {"refunds", c.refunds}, {"events", c.events}, {"answers", c.answers}}
      .dump();
}

// Compacts what retention allows, one small step per writer job, the next
// one store::kRetentionStepGapMs after it: the till's jobs run between the
// steps, so a pass over a year of sales never holds a sale for more than one
// step, and takes a few percent of the writer's time. A pass runs soon after the start, every hour,
// and when asked (POST /v1/ledger/retention, answered when it ends).
class RetentionSweep {
 public:
  RetentionSweep(loop::EventLoop& loop, daemon::Writer& writer, const daemon::Log& log)
      : timer_(loop), writer_(writer), log_(log) {}

  void Start() {
    running_ = true;
    timer_.After(kRetentionFirst, [this] { Begin(); });
  }
  void Stop() {
    running_ = false;
    timer_.Cancel();
    // A pass waiting between two steps ends here; one whose step is on the
    // writer ends when that step is answered.
    if (passing_ && !step_queued_) {
      Finish(MakeError(ErrorKind::unavailable, "shutting_down", "the agent is stopping"));
    }
  }
  // A pass now, or the one running; `done` gets its totals (JSON) or an error.
  void Now(std::function<void(Expected<std::string>)> done) {
    waiting_.push_back(std::move(done));
    if (passing_) return;
    timer_.Cancel();
    Begin();
  }

 private:
  void Begin() {
    passing_ = true;
    total_ = {};
    Step();
  }

  void Step() {
    // Fsync'd by itself (full): otherwise the next sale's commit would
    // carry the step's pages to the disk and pay for them.
    step_queued_ = true;
    writer_.Submit<store::Compacted>(
        ledger::Durability::full, [](store::Store& s) { return s.retention.Step(); },
        [this](Expected<store::Compacted> step) {
          step_queued_ = false;
          if (!step) {
            log_.Warn("ledger retention failed", {{"error", step.error().code}});
            return Finish(step.error());
          }
          total_ += *step;
          if (step->done || !running_) return Finish(CompactedJson(total_));
          timer_.After(std::chrono::milliseconds(store::kRetentionStepGapMs), [this] { Step(); });
        });
  }

  void Finish(Expected<std::string> result) {
    if (!passing_) return;
    passing_ = false;
    if (total_.sales + total_.events + total_.answers > 0) {
      log_.Info("ledger compacted", {{"sales", std::to_string(total_.sales)},
                                     {"refunds", std::to_string(total_.refunds)},
                                     {"events", std::to_string(total_.events)},
                                     {"answers", std::to_string(total_.answers)}});
    }
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& done : waiting) done(result);
    if (running_) timer_.After(kRetentionEvery, [this] { Begin(); });
  }

  loop::Timer timer_;
  daemon::Writer& writer_;
  const daemon::Log& log_;
  std::vector<std::function<void(Expected<std::string>)>> waiting_;
  store::Compacted total_;
  bool running_ = false;
  bool passing_ = false;
  bool step_queued_ = false;  // a step is on the writer, its answer to come
};

std::string SyncStatusJson(const sync::Status& st) {
  auto at = [](const std::optional<std::int64_t>& ms) {
    return ms ? nlohmann::json(FormatTimestamp(*ms)) : nlohmann::json(nullptr);
  };
  return nlohmann::json{{"enabled", st.enabled},
                        {"online", st.online},
                        {"registered", st.registered},
                        {"last_push_at", at(st.last_push_at_ms)},
                        {"last_pull_at", at(st.last_pull_at_ms)},
                        {"last_error", st.last_error},
                        {"clock_offset_ms", st.clock_offset_ms},
                        {"pushed_events", st.pushed_events},
                        {"pulled_changes", st.pulled_changes},
                        {"failures", st.failures}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string CycleJson(const sync::CycleResult& r) {
  return nlohmann::json{
      {"ok", r.ok}, {"error", r.error}, {"pushed", r.pushed}, {"pulled", r.pulled}}
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// How to make a first sale, printed when the demo store is ready. The
// virtual scanner feeds terminal till-1, so the walkthrough sells on till-1.
void PrintDemoBanner(const std::string& url, const std::string& scanner_url,
                     const daemon::DataDir& dir, const std::string& cloud_url,
                     const std::string& store_id) {
  const std::string ctl = "build/bin/storectl --data-dir " + dir.path();
  const auto colon = scanner_url.rfind(':');
  const std::string scanner_host = scanner_url.substr(6, colon - 6);  // after "tcp://"
  const std::string scanner_port = scanner_url.substr(colon + 1);
  std::cout << "store-agent demo store is ready: API " << url << ", data in " << dir.path()
            << "\nMake a first sale (in another terminal; a member code is good for 120 s from "
               "when it is made):\n"
            << "  " << ctl
            << " demo codes 2                    # two signed labels + a member code\n"
            << "  " << ctl << " sale open --terminal till-1     # prints the sale id\n"
            << "  " << ctl << " sale scan SALE CODE             # or: echo CODE | nc -N "
            << scanner_host << " " << scanner_port << "  (the virtual scanner, on till-1)\n"
            << "  " << ctl << " sale member SALE --code MEMBER_CODE\n"
            << "  " << ctl << " sale complete SALE --pay cash:1200\n"
            << "  " << ctl << " sale receipt SALE --width 58\n"
            << "API: curl -H \"Authorization: Bearer $(cat " << dir.File("api-token") << ")\" "
            << url << "/v1/health      Ctrl-C stops the agent.\n";
  if (!cloud_url.empty()) {
    std::cout << "Cloud: each sale is pushed to " << cloud_url << " as it completes:\n"
              << "  " << ctl << " sync status\n"
              << "  curl " << cloud_url << "/admin/v1/stores/" << store_id
              << "/events     # what the cloud received\n";
  }
  std::cout << std::flush;
}

}  // namespace

// Declared in the order they are made; they end in the reverse order, once
// the loop has stopped.
struct Agent::Parts {
  Parts(Setup s, const daemon::Log& l, const Clock& c)
      : setup(std::move(s)),
        log(l),
        clock(c),
        store(setup.db, setup.store_config, clock),
        writer(loop, setup.db, store, log),
        workers(loop, 2),
        port(writer),
        syncer(setup.sync, setup.dir.File("ledger.db"), setup.store_config, port, clock,
               [this](std::string_view level, std::string_view msg,
                      std::vector<std::pair<std::string, std::string>> fields) {
                 log.Write(daemon::ParseLevel(level).value_or(daemon::Level::info), msg, fields);
               }),
        sweep(loop, writer, log, [this] { EventWritten(); }),
        retention(loop, writer, log),
        watchdog(loop),
        signals(loop, {SIGINT, SIGTERM}) {}

  void EventWritten() {
    if (setup.api.sync.event_written) setup.api.sync.event_written();
  }

  Setup setup;
  const daemon::Log& log;
  const Clock& clock;
  loop::EventLoop loop;
  store::Store store;  // on the writer's connection: the writer's alone
  daemon::Writer writer;
  loop::Workers workers;
  WriterPort port;
  sync::Syncer syncer;
  std::unique_ptr<Hardware> hardware;
  std::unique_ptr<api::Server> server;
  std::unique_ptr<terminals::Terminals> terminals;
  std::unique_ptr<sessions::Sessions> sessions;
  ExpirySweep sweep;
  RetentionSweep retention;
  daemon::Notifier notifier;
  loop::Timer watchdog;
  loop::Signals signals;
  int exit_code = 0;

  void WireSync();
  void Ready(std::uint16_t bound_port);
  void PetWatchdog();
  void Shutdown(int signal);
};

// What the API asks of sync: its status, a cycle now, a push after each
// event (sync.push_after_sale).
void Agent::Parts::WireSync() {
  if (setup.cfg.cloud_url.empty()) return;
  auto& hooks = setup.api.sync;
  hooks.status = [this] { return SyncStatusJson(syncer.status()); };
  if (setup.cfg.sync_push_after_sale) hooks.event_written = [this] { syncer.Nudge(); };
  hooks.now = [this](std::function<void(std::string)> done) {
    syncer.RequestNow([done = std::move(done)](sync::CycleResult r) { done(CycleJson(r)); });
  };
  hooks.online_order = [this](std::string number, std::string gtin, std::string serial,
                              std::function<void(Expected<std::string>)> done) {
    syncer.FetchOnlineOrder({std::move(number), std::move(gtin), std::move(serial)},
                            std::move(done));
  };
}

Expected<std::unique_ptr<Agent>> Agent::Make(Setup setup, const daemon::Log& log,
                                             const Clock& clock) {
  auto parts = std::make_unique<Parts>(std::move(setup), log, clock);
  Parts& p = *parts;
  p.WireSync();
  p.setup.api.retention_now = [&p](std::function<void(Expected<std::string>)> done) {
    p.retention.Now(std::move(done));
  };
  // Scanners reach the terminals, which are made below, before any source starts.
  auto hardware = Hardware::Make(
      p.loop, p.setup.cfg,
      [&p](drivers::ScanEvent scan, std::function<void()> next) {
        p.terminals->Route(scan.source, scan.terminal, scan.payload, std::move(next));
      },
      clock);
  if (!hardware) return hardware.error();
  p.hardware = std::move(hardware).value();
  Hardware& hw = *p.hardware;
  auto& hooks = p.setup.api.hardware;
  hooks.scanners = [&hw] { return hw.ScannersJson(); };
  // The config checked the name; GET .../receipt shows the bytes even without a printer.
  hooks.print_encoding =
      receipt::ParseEncoding(p.setup.cfg.printer_encoding).value_or(receipt::Encoding::gb18030);
  if (!receipt::CanEncode(hooks.print_encoding)) {
    log.Warn("this system's iconv cannot encode the printer's text: non-ASCII prints as '?'",
             {{"encoding", p.setup.cfg.printer_encoding}});
  }
  hooks.printers = [&hw] { return hw.PrintersJson(); };
  if (hw.has_printer()) {
    hooks.print = [&hw](std::string escpos, std::function<void(std::string)> done) {
      hw.Print(std::move(escpos), std::move(done));
    };
    hooks.queue_receipt = [&hw](api::ReceiptJob job,
                                std::function<void(const api::PrintAttempt&)> first) {
      return hw.QueueReceipt(std::move(job), std::move(first));
    };
    hooks.auto_print = p.setup.cfg.printer_auto;
    hooks.print_width =
        p.setup.cfg.printer_width_mm == 58 ? receipt::Width::mm58 : receipt::Width::mm80;
  }
  p.server = std::make_unique<api::Server>(p.loop, p.setup.api, log);
  p.setup.api.tls_key_pem.assign(p.setup.api.tls_key_pem.size(), '\0');  // the server has its copy
  p.terminals = std::make_unique<terminals::Terminals>(p.workers, p.writer, p.store.books, log,
                                                       hw.TerminalModes(), p.server->listener());
  sessions::RoleLimits limits{p.setup.cfg.refund_cashier_limit, std::nullopt};
  if (p.setup.cfg.refund_manager_limit > 0)
    limits.manager_refund = p.setup.cfg.refund_manager_limit;
  p.sessions = std::make_unique<sessions::Sessions>(p.workers, p.writer, log, p.setup.token,
                                                    crypto::kPinIterations, limits);
  return std::unique_ptr<Agent>(new Agent(std::move(parts)));
}

Agent::Agent(std::unique_ptr<Parts> parts) : parts_(std::move(parts)) {}
Agent::~Agent() = default;

int Agent::Run() {
  Parts& p = *parts_;
  if (auto ok = p.hardware->Start(); !ok) {
    p.log.Error(ok.error().message);
    return 1;
  }
  p.server->Start(
      api::Parts{p.writer, p.store.books, *p.terminals, *p.sessions},
      [&p](std::uint16_t bound_port) { p.Ready(bound_port); },
      [&p](const std::string& why) {
        p.log.Error("cannot serve the API", {{"listen", p.setup.cfg.listen}, {"why", why}});
        p.exit_code = 1;
        p.writer.Stop();
        p.loop.Stop();
      });
  p.signals.Next([&p](int signal) { p.Shutdown(signal); });
  p.loop.Run();
  p.syncer.Stop();
  p.writer.Stop();
  p.log.Info("stopped");
  return p.exit_code;
}

void Agent::Parts::Ready(std::uint16_t bound_port) {
  const std::string& host = setup.api.host;
  const std::string url = (setup.api.tls_cert_pem.empty() ? "http://" : "https://") + host + ":" +
                          std::to_string(bound_port);
  if (auto ok = setup.dir.WriteFile("api-url", url + "\n"); !ok) log.Warn(ok.error().message);
  const std::string& scanner_url = hardware->scanner_url();
  if (!scanner_url.empty()) (void)setup.dir.WriteFile("scanner-url", scanner_url + "\n");
  syncer.Start();
  log.Info("ready", {{"url", url},
                     {"data_dir", setup.dir.path()},
                     {"store_id", setup.store_config.store_id},
                     {"device_id", setup.store_config.device_id},
                     {"scanner", scanner_url},
                     {"cloud", setup.cfg.cloud_url},
                     {"version", setup.version}});
  notifier.Send("READY=1\nSTATUS=serving " + url);
  if (notifier.WatchdogInterval().count() > 0) PetWatchdog();
  sweep.Start();
  retention.Start();
  if (setup.demo)
    PrintDemoBanner(url, scanner_url, setup.dir, setup.cfg.cloud_url, setup.cfg.store_id);
}

void Agent::Parts::PetWatchdog() {
  notifier.Send("WATCHDOG=1");
  const auto every =
      std::max(std::chrono::milliseconds(1),
               std::chrono::duration_cast<std::chrono::milliseconds>(notifier.WatchdogInterval()));
  watchdog.After(every, [this] { PetWatchdog(); });
}

// SIGTERM or SIGINT: finish queued commits, answer them, close the listener,
// exit 0. A second signal while stopping means "now": nothing acknowledged
// is lost by it (every answered commit is already durable).
void Agent::Parts::Shutdown(int signal) {
  signals.Next([](int) { std::_Exit(1); });
  log.Info("stopping", {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"}});
  notifier.Send("STOPPING=1");
  hardware->Close();
  watchdog.Cancel();
  sweep.Stop();
  retention.Stop();
  // Sync first: its last write needs the writer still running.
  syncer.Stop();
  // Every queued commit is finished (its answer posted to the loop, sent
  // before the listener closes), then serving stops.
  writer.Stop();
  loop.Post([this] { server->Stop([this] { loop.Stop(); }); });
}

}  // namespace sa::agent
