// SPDX-License-Identifier: Apache-2.0
// The agent itself: the screens, health, metrics, the event stream, the
// scanners, the receipt printers and cloud sync.
#include <nlohmann/json.hpp>

#include "answers.hpp"
#include "routes.hpp"
#include "web.hpp"

namespace sa::api {

// The screens: / (cashier), /store (store), /ui/{file}; no token, no inline
// script (CSP), always revalidated (a new agent build brings new screens).
void Screen(Context& ctx, const ExchangePtr& x) {
  const std::string_view path = x->path();
  const std::string name = path == "/"        ? "index.html"
                           : path == "/store" ? "store.html"
                                              : x->params.at(0);
  auto asset = web::FindAsset(name, ctx.options.web_root);
  if (!asset) {
    return x->Reply(ErrorAnswer(MakeError(ErrorKind::not_found, "not_found",
                                          "no such route: " + std::string(path.substr(0, 100)))));
  }
  x->Reply(Answer{200,
                  std::move(asset->body),
                  asset->content_type,
                  {{"Cache-Control", "no-cache"},
                   {"Content-Security-Policy", "default-src 'self'"},
                   {"X-Content-Type-Options", "nosniff"},
                   {"Referrer-Policy", "no-referrer"}}});
}

// The message catalog in one language (locale=en|zh-CN, default the
// store's): what the screens show. No token: the log-in screen needs it.
void Messages(Context& ctx, const ExchangePtr& x) {
  auto query = QueryOf(*x);
  if (!query) return x->Reply(ErrorAnswer(query.error()));
  i18n::Locale locale = ctx.options.locale;
  for (const auto& [key, value] : *query) {
    const auto parsed = key == "locale" ? i18n::ParseLocale(value) : std::nullopt;
    if (!parsed) {
      return x->Reply(ErrorAnswer(
          MakeError(ErrorKind::invalid_request, "invalid_field", "locale is en or zh-CN")));
    }
    locale = *parsed;
  }
  const nlohmann::json body{{"locale", i18n::LocaleName(locale)},
                            {"store_locale", i18n::LocaleName(ctx.options.locale)},
                            {"locales", {"en", "zh-CN"}},
                            {"messages", i18n::Messages(locale)}};
  x->Reply(Answer{200, body.dump(), "application/json", {{"Cache-Control", "no-cache"}}});
}

namespace {

// [{"name","state","waiting"}] of the printers, "" without any.
std::string PrinterHealth(Context& ctx) {
  if (!ctx.options.hardware.printers) return {};
  const auto all = nlohmann::json::parse(ctx.options.hardware.printers(), nullptr, false);
  if (!all.is_array() || all.empty()) return {};
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : all) {
    std::size_t waiting = 0;
    for (const auto& job : p.value("queue", nlohmann::json::array())) {
      if (job.value("state", "") == "queued" || job.value("state", "") == "printing") ++waiting;
    }
    const auto status = p.value("status", nlohmann::json::object());
    out.push_back({{"name", p.value("name", "")},
                   {"state", status.value("state", "unknown")},
                   {"waiting", waiting}});
  }
  return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void Health(Context& ctx, const ExchangePtr& x) {
  const daemon::WriterStats w = ctx.parts.writer.stats();
  json::Health health;
  health.storage_full = w.storage_full;
  health.storage_refusals = w.storage_refusals;
  health.free_bytes = ctx.parts.writer.FreeBytes();
  health.store_id = ctx.parts.books.config().store_id;
  health.device_id = ctx.parts.books.config().device_id;
  health.version = ctx.options.version;
  health.uptime_s = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::steady_clock::now() - ctx.started)
                        .count();
  // A ledger that cannot say its depth still answers: -1.
  Read<std::int64_t>(
      ctx, x,
      [](store::Store& s) -> Expected<std::int64_t> {
        auto depth = s.books.OutboxDepth();
        return depth ? *depth : -1;
      },
      [health, printers = PrinterHealth(ctx)](std::int64_t depth) mutable {
        health.outbox_depth = depth;
        std::string body = json::HealthBody(health);
        if (!printers.empty()) {
          // Each printer's state and how many receipts wait for it.
          body.insert(body.rfind('}'), ",\"printers\":" + printers);
        }
        return JsonAnswer(200, std::move(body));
      });
}

void Metrics(Context& ctx, const ExchangePtr& x) {
  Read<std::int64_t>(
      ctx, x, [](store::Store& s) { return s.books.OutboxDepth(); },
      [&ctx](std::int64_t depth) {
        json::MetricsInput in{
            ctx.counters.sales_completed,
            ctx.counters.sales_voided,
            ctx.counters.refunds,
            ctx.counters.responses_by_status,
            ctx.parts.terminals.scans_by_outcome(),
            ctx.parts.writer.stats(),
            ctx.options.sync.status ? std::optional(ctx.options.sync.status()) : std::nullopt,
            depth,
            ctx.event_streams()};
        return Answer{200, json::MetricsText(in), "text/plain; version=0.0.4", {}};
      });
}

void Events(Context&, const ExchangePtr& x) {
  if (!x->StreamEvents()) {
    x->Reply(ErrorAnswer(MakeError(ErrorKind::unavailable, "too_many_event_streams",
                                   "too many /v1/events streams are open")));
  }
}

void Printers(Context& ctx, const ExchangePtr& x) {
  const std::string list = ctx.options.hardware.printers ? ctx.options.hardware.printers() : "[]";
  x->Reply(JsonAnswer(200, "{\"printers\":" + list + "}"));
}

void Scanners(Context& ctx, const ExchangePtr& x) {
  const std::string list = ctx.options.hardware.scanners ? ctx.options.hardware.scanners() : "[]";
  x->Reply(JsonAnswer(200, "{\"scanners\":" + list + "}"));
}

void SyncStatus(Context& ctx, const ExchangePtr& x) {
  std::string cloud = ctx.options.sync.status ? ctx.options.sync.status() : R"({"enabled":false})";
  struct Seen {
    store::SyncState state;
    std::vector<store::Alert> alerts;
  };
  Read<Seen>(
      ctx, x,
      [](store::Store& s) -> Expected<Seen> {
        auto state = s.inbox.GetSyncState();
        if (!state) return state.error();
        auto alerts = s.inbox.Alerts(false, 100);
        if (!alerts) return alerts.error();
        return Seen{*state, std::move(alerts).value()};
      },
      [cloud = std::move(cloud)](const Seen& seen) {
        return JsonAnswer(200, json::SyncStatus(cloud, seen.state, seen.alerts));
      });
}

void SyncNow(Context& ctx, const ExchangePtr& x) {
  if (!ctx.options.sync.now) {
    return x->Reply(ErrorAnswer(MakeError(ErrorKind::conflict, "sync_disabled",
                                          "no cloud is configured (cloud.url in the config)")));
  }
  // The cycle ends on sync's thread; the answer goes out on the loop.
  ctx.options.sync.now(
      [&loop = ctx.loop, x, life = std::weak_ptr<int>(ctx.alive)](std::string result) {
        loop.Post([x, life, result = std::move(result)] {
          if (!life.expired()) x->Reply(JsonAnswer(200, result));
        });
      });
}

void RunRetention(Context& ctx, const ExchangePtr& x) {
  if (!ctx.options.retention_now) {
    return x->Reply(ErrorAnswer(MakeError(ErrorKind::unavailable, "retention_unavailable",
                                          "this server runs no retention")));
  }
  // Answered when the pass ends, on the loop; its steps leave room for sales.
  ctx.options.retention_now(
      [x, life = std::weak_ptr<int>(ctx.alive)](Expected<std::string> result) {
        if (life.expired()) return;
        if (!result) return x->Reply(ErrorAnswer(result.error()));
        x->Reply(JsonAnswer(200, *result));
      });
}

void ShowDays(Context& ctx, const ExchangePtr& x) {
  Read<std::vector<store::DayTotal>>(
      ctx, x, [](store::Store& s) { return s.retention.Days(400); },
      [](const std::vector<store::DayTotal>& days) {
        return JsonAnswer(200, json::DayTotals(days));
      });
}

void AckAlert(Context& ctx, const ExchangePtr& x) {
  const std::string& id = x->params[0];
  const bool numeric =
      !id.empty() && id.size() <= 18 && id.find_first_not_of("0123456789") == std::string::npos;
  if (!numeric)
    return x->Reply(
        ErrorAnswer(MakeError(ErrorKind::not_found, "alert_not_found", "no such alert")));
  Submit<bool>(
      ctx, x, ledger::Durability::full, true,
      [id = std::stoll(id)](store::Store& s) -> Expected<bool> {
        auto ok = s.inbox.AcknowledgeAlert(id);
        if (!ok) return ok.error();
        return true;
      },
      [](bool) { return JsonAnswer(200, json::Acknowledged()); });
}

}  // namespace sa::api
