// SPDX-License-Identifier: Apache-2.0
// Receipts: as text and ESC/POS, printed through the queue of the sale's
// terminal's printer (the first print the original, any later one a marked
// copy), and the claim QR for the screen; the cash drawer opened without a
// sale (its kick goes through the same queue).
#include <nlohmann/json.hpp>

#include "answers.hpp"
#include "qr.hpp"
#include "request.hpp"
#include "routes.hpp"

namespace sa::api {
namespace {}  // namespace

std::string ClaimUrlOf(const store::Sale& sale, const Options& options) {
  // Bound at the till, or claimed since; or post-voided: nothing to claim.
  if (sale.member || sale.post_void) return {};
  const auto claim = receipt::ClaimOf(sale, options.shop);
  if (!claim) return {};
  const std::string token = receipt::ClaimToken(*claim, options.claim_key);
  return token.empty() ? std::string() : receipt::ClaimUrl(options.claim_url, token);
}

namespace {

// A completed sale and its claim URL ("" when a member is bound): what a
// receipt is made of. On the writer.
struct ReceiptSale {
  store::Sale sale;
  std::string claim_url;
  std::int64_t prints_before = 0;  // for a print: 0 for the original, else a copy
};

std::function<Expected<ReceiptSale>(store::Store&)> CompletedSale(const Options& options,
                                                                  const std::string& id) {
  return [&options, id](store::Store& s) -> Expected<ReceiptSale> {
    auto sale = s.sales.GetSale(id);
    if (!sale) return sale.error();
    if (sale->status != "completed") {
      return MakeError(ErrorKind::conflict, "sale_not_completed",
                       "only a completed sale has a receipt");
    }
    ReceiptSale out{std::move(sale).value(), {}};
    out.claim_url = ClaimUrlOf(out.sale, options);
    return out;
  };
}

}  // namespace

receipt::Options PrintOptions(const Options& options, receipt::Encoding encoding) {
  return receipt::Options{
      .tz_offset_min = options.utc_offset_min, .locale = options.locale, .encoding = encoding};
}

void ShowReceipt(Context& ctx, const ExchangePtr& x) {
  auto query = QueryOf(*x);
  if (!query) return x->Reply(ErrorAnswer(query.error()));
  receipt::Width width = receipt::Width::mm80;
  if (auto w = query->find("width"); w != query->end()) {
    if (w->second == "58") {
      width = receipt::Width::mm58;
    } else if (w->second != "80") {
      return x->Reply(
          ErrorAnswer(MakeError(ErrorKind::invalid_request, "invalid_field", "width is 58 or 80")));
    }
  }
  // The original (as the first print sends it, drawer kick included), or
  // with copy=1 the marked copy a reprint sends.
  receipt::Options options = PrintOptions(ctx.options, ctx.options.hardware.print_encoding);
  if (auto c = query->find("copy"); c != query->end()) {
    if (c->second != "0" && c->second != "1") {
      return x->Reply(
          ErrorAnswer(MakeError(ErrorKind::invalid_request, "invalid_field", "copy is 0 or 1")));
    }
    options.reprint = c->second == "1";
  }
  if (auto l = query->find("locale"); l != query->end()) {
    const auto locale = i18n::ParseLocale(l->second);
    if (!locale) {
      return x->Reply(ErrorAnswer(
          MakeError(ErrorKind::invalid_request, "invalid_field", "locale is en or zh-CN")));
    }
    options.locale = *locale;  // the screen's language; the printer keeps the store's
  }
  Read<ReceiptSale>(ctx, x, CompletedSale(ctx.options, x->params[0]),
                    [&ctx, width, options](const ReceiptSale& r) {
                      json::Receipt out{
                          r.sale.id,
                          r.sale.receipt_no,
                          width == receipt::Width::mm58 ? 58 : 80,
                          receipt::Text(r.sale, ctx.options.shop, width, r.claim_url, options),
                          r.claim_url,
                          receipt::EscPos(r.sale, ctx.options.shop, width, r.claim_url, options)};
                      return JsonAnswer(200, json::ReceiptBody(out));
                    });
}

namespace {

// What an attempt of a receipt job says, as the "printer" event on
// /v1/events and as the answer of a print asked for.
std::string AttemptJson(const char* id_key, const std::string& id, const PrintAttempt& a) {
  nlohmann::json j{{id_key, id},
                   {"printed", a.state == "printed"},
                   {"bytes", a.bytes},
                   {"printer", a.printer},
                   {"job", a.job},
                   {"state", a.state},
                   {"attempts", a.attempts}};
  if (a.state != "printed") {
    j["reason"] = a.reason;
    j["error"] = a.detail;
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Why a print asked for did not print: the printer's state, and whether the
// receipt still waits in its queue.
Error NotPrinted(const PrintAttempt& a) {
  return MakeError(ErrorKind::unavailable, "printer_unavailable",
                   "the receipt printer " + a.printer + ": " + a.detail +
                       (a.state == "queued" ? " (the receipt waits in its queue)" : ""),
                   a.reason);
}

// The sale's receipt into the queue of its terminal's printer. The print is
// counted in the ledger (receipt_prints) only as its bytes are made, when
// the printer can take them: the first print is the original, every later
// one a copy, across restarts too; an original the printer never took is
// uncounted again. `done` (on the loop) hears of the job's first attempt.
void QueueReceipt(Context& ctx, const std::string& sale_id, bool asked,
                  std::function<void(Expected<std::string>)> done) {
  ctx.parts.writer.Submit<ReceiptSale>(
      ledger::Durability::relaxed, CompletedSale(ctx.options, sale_id),
      [&ctx, sale_id, asked, done](Expected<ReceiptSale> sale) {
        if (!sale) return done(sale.error());
        if (!ctx.options.hardware.queue_receipt) {
          return done(MakeError(ErrorKind::conflict, "no_printer",
                                "no receipt printer is configured ([printer] target)"));
        }
        // Callbacks come from the queue, maybe after the server is gone:
        // nothing of theirs touches the context then.
        const std::weak_ptr<int> life = ctx.alive;
        auto original = std::make_shared<bool>(false);  // the bytes made are the original
        ReceiptJob job;
        job.sale_id = sale_id;
        job.terminal = sale->sale.terminal;
        job.asked = asked;
        job.make_bytes = [&ctx, life, sale_id, original](
                             receipt::Width width, receipt::Encoding encoding,
                             std::function<void(Expected<std::string>)> bytes) {
          if (life.expired()) {
            return bytes(MakeError(ErrorKind::unavailable, "agent_stopping", "the agent stops"));
          }
          ctx.parts.writer.Submit<ReceiptSale>(
              ledger::Durability::relaxed,
              [completed = CompletedSale(ctx.options, sale_id),
               sale_id](store::Store& s) -> Expected<ReceiptSale> {
                auto r = completed(s);
                if (!r) return r;
                auto before = s.sales.ClaimPrint(sale_id);
                if (!before) return before.error();
                r->prints_before = *before;
                return r;
              },
              [&ctx, life, width, encoding, bytes, original](Expected<ReceiptSale> r) {
                if (life.expired()) {
                  return bytes(
                      MakeError(ErrorKind::unavailable, "agent_stopping", "the agent stops"));
                }
                if (!r) return bytes(r.error());
                *original = r->prints_before == 0;
                receipt::Options options = PrintOptions(ctx.options, encoding);
                options.reprint = r->prints_before > 0;
                bytes(receipt::EscPos(r->sale, ctx.options.shop, width, r->claim_url, options));
              });
        };
        job.not_taken = [&ctx, life, sale_id, original] {
          if (life.expired() || !*original) return;
          *original = false;
          // The original never reached the paper: the next print is the original.
          ctx.parts.writer.Submit<bool>(
              ledger::Durability::relaxed,
              [sale_id](store::Store& s) -> Expected<bool> {
                auto undone = s.sales.UnclaimPrint(sale_id);
                if (!undone) return undone.error();
                return true;
              },
              [](Expected<bool>) {});
        };
        job.attempted = [&ctx, life, sale_id](const PrintAttempt& a) {
          if (life.expired()) return;
          ctx.events.Printed(AttemptJson("sale_id", sale_id, a));
          if (a.state != "printed") {
            ctx.log.Warn("receipt not printed", {{"sale_id", sale_id},
                                                 {"printer", a.printer},
                                                 {"state", a.state},
                                                 {"reason", a.reason},
                                                 {"why", a.detail}});
          }
        };
        auto queued = ctx.options.hardware.queue_receipt(
            std::move(job), [life, sale_id, done](const PrintAttempt& a) {
              if (life.expired()) return;
              if (a.state == "printed") return done(AttemptJson("sale_id", sale_id, a));
              done(NotPrinted(a));
            });
        if (!queued) done(queued.error());
      });
}

}  // namespace

void PrintSale(Context& ctx, const std::string& sale_id,
               std::function<void(Expected<std::string>)> done) {
  QueueReceipt(ctx, sale_id, /*asked=*/false, std::move(done));
}

void PrintReceipt(Context& ctx, const ExchangePtr& x) {
  if (auto ok = request::Nothing(x->body()); !ok) return x->Reply(ErrorAnswer(ok.error()));
  if (!ctx.options.hardware.queue_receipt) {
    return x->Reply(ErrorAnswer(MakeError(ErrorKind::conflict, "no_printer",
                                          "no receipt printer is configured ([printer] target)")));
  }
  QueueReceipt(ctx, x->params[0], /*asked=*/true, [x](Expected<std::string> printed) {
    x->Reply(printed ? JsonAnswer(200, *printed) : ErrorAnswer(printed.error()));
  });
}

// ---- refund receipts -----------------------------------------------------------

namespace {

Expected<store::RefundSlip> RefundSlipOf(store::Store& s, const std::string& id) {
  return s.sales.GetRefundSlip(id);
}

// The refund's receipt into the queue of its till's printer: the print
// after the refund is the original (with the drawer kick when cash went
// back), one asked for later a marked copy.
void QueueRefund(Context& ctx, const std::string& refund_id, bool asked,
                 std::function<void(Expected<std::string>)> done) {
  ctx.parts.writer.Submit<store::RefundSlip>(
      ledger::Durability::relaxed,
      [refund_id](store::Store& s) { return RefundSlipOf(s, refund_id); },
      [&ctx, refund_id, asked, done](Expected<store::RefundSlip> slip) {
        if (!slip) return done(slip.error());
        if (!ctx.options.hardware.queue_receipt) {
          return done(MakeError(ErrorKind::conflict, "no_printer",
                                "no receipt printer is configured ([printer] target)"));
        }
        const std::weak_ptr<int> life = ctx.alive;
        ReceiptJob job;
        job.sale_id = slip->refund.sale_id;
        job.refund_id = refund_id;
        job.terminal = slip->terminal;
        job.asked = asked;
        job.make_bytes = [&ctx, life, slip = *slip, asked](
                             receipt::Width width, receipt::Encoding encoding,
                             std::function<void(Expected<std::string>)> bytes) {
          if (life.expired()) {
            return bytes(MakeError(ErrorKind::unavailable, "agent_stopping", "the agent stops"));
          }
          receipt::Options options = PrintOptions(ctx.options, encoding);
          options.reprint = asked;
          bytes(receipt::RefundEscPos(slip, ctx.options.shop, width, options));
        };
        job.not_taken = [] {};
        job.attempted = [&ctx, life, refund_id](const PrintAttempt& a) {
          if (life.expired()) return;
          ctx.events.Printed(AttemptJson("refund_id", refund_id, a));
          if (a.state == "printed") return;
          ctx.log.Warn("refund receipt not printed", {{"refund_id", refund_id},
                                                      {"printer", a.printer},
                                                      {"state", a.state},
                                                      {"reason", a.reason},
                                                      {"why", a.detail}});
        };
        auto queued = ctx.options.hardware.queue_receipt(
            std::move(job), [life, refund_id, done](const PrintAttempt& a) {
              if (life.expired()) return;
              if (a.state == "printed") return done(AttemptJson("refund_id", refund_id, a));
              done(NotPrinted(a));
            });
        if (!queued) done(queued.error());
      });
}

}  // namespace

void PrintRefund(Context& ctx, const std::string& refund_id,
                 std::function<void(Expected<std::string>)> done) {
  QueueRefund(ctx, refund_id, /*asked=*/false, std::move(done));
}

void ShowRefundReceipt(Context& ctx, const ExchangePtr& x) {
  auto query = QueryOf(*x);
  if (!query) return x->Reply(ErrorAnswer(query.error()));
  receipt::Width width = receipt::Width::mm80;
  receipt::Options options = PrintOptions(ctx.options, ctx.options.hardware.print_encoding);
  for (const auto& [key, value] : *query) {
    if (key == "width" && (value == "58" || value == "80")) {
      width = value == "58" ? receipt::Width::mm58 : receipt::Width::mm80;
    } else if (key == "copy" && (value == "0" || value == "1")) {
      options.reprint = value == "1";
    } else if (key == "locale" && i18n::ParseLocale(value)) {
      options.locale = *i18n::ParseLocale(value);
    } else {
      return x->Reply(
          ErrorAnswer(MakeError(ErrorKind::invalid_request, "invalid_field",
                                "width is 58 or 80, copy is 0 or 1, locale en or zh-CN")));
    }
  }
  Read<store::RefundSlip>(
      ctx, x, [id = x->params[0]](store::Store& s) { return RefundSlipOf(s, id); },
      [&ctx, width, options](const store::RefundSlip& slip) {
        const std::string esc = receipt::RefundEscPos(slip, ctx.options.shop, width, options);
        const crypto::Bytes bytes(esc.begin(), esc.end());
        const nlohmann::json body{
            {"refund_id", slip.refund.id},
            {"sale_id", slip.refund.sale_id},
            {"receipt_no", slip.sale_receipt_no},
            {"width", width == receipt::Width::mm58 ? 58 : 80},
            {"text", receipt::RefundText(slip, ctx.options.shop, width, options)},
            {"escpos_base64", crypto::Base64UrlEncode(bytes)}};
        return JsonAnswer(200, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      });
}

void PrintRefundReceipt(Context& ctx, const ExchangePtr& x) {
  if (auto ok = request::Nothing(x->body()); !ok) return x->Reply(ErrorAnswer(ok.error()));
  QueueRefund(ctx, x->params[0], /*asked=*/true, [x](Expected<std::string> printed) {
    x->Reply(printed ? JsonAnswer(200, *printed) : ErrorAnswer(printed.error()));
  });
}

namespace {

Error NoClaimUrl() {
  return MakeError(ErrorKind::not_found, "no_claim_url",
                   "this sale has no claim URL: a member is bound to it, or has claimed it");
}

}  // namespace

// The receipt's claim URL: {"sale_id","claim_url"} (storectl sale claim-url).
void ClaimLink(Context& ctx, const ExchangePtr& x) {
  ctx.parts.writer.Submit<ReceiptSale>(
      ledger::Durability::relaxed, CompletedSale(ctx.options, x->params[0]),
      [x](Expected<ReceiptSale> r) {
        if (!r) return x->Reply(ErrorAnswer(r.error()));
        if (r->claim_url.empty()) return x->Reply(ErrorAnswer(NoClaimUrl()));
        x->Reply(JsonAnswer(200, json::ClaimLink(r->sale.id, r->claim_url)));
      });
}

// The receipt's claim URL as a QR code (image/svg+xml) for the screen.
void ClaimQr(Context& ctx, const ExchangePtr& x) {
  ctx.parts.writer.Submit<ReceiptSale>(
      ledger::Durability::relaxed, CompletedSale(ctx.options, x->params[0]),
      [x](Expected<ReceiptSale> r) {
        if (!r) return x->Reply(ErrorAnswer(r.error()));
        if (r->claim_url.empty()) return x->Reply(ErrorAnswer(NoClaimUrl()));
        auto matrix = qr::Encode(r->claim_url);
        if (!matrix) return x->Reply(ErrorAnswer(matrix.error()));
        x->Reply(Answer{200, qr::Svg(*matrix), "image/svg+xml", {{"Cache-Control", "no-cache"}}});
      });
}

// The drawer of terminal {t} opened without a sale: a manager's action. The
// record and its drawer.opened event are durable before the kick is sent,
// through the terminal's printer (the drawer hangs off it), once: a drawer
// must not spring open minutes later when a printer comes back, so the kick
// is not queued for a retry. 201 {"drawer_open", "kick"}: the kick's one
// attempt (as a print's answer), or null when the terminal has no printer.
void OpenDrawer(Context& ctx, const ExchangePtr& x) {
  auto reason = request::ParseReason(x->body());
  if (Fails(x, reason)) return;
  WithApproval(ctx, x, true,
               [&ctx, x, reason = *reason, terminal = x->params[0],
                cashier = x->caller.cashier()](std::optional<store::Approval> approved) {
                 ctx.parts.writer.Submit<store::DrawerOpen>(
                     ledger::Durability::full,
                     [terminal, cashier, reason, approved = *approved](store::Store& s) {
                       return s.shifts.OpenDrawer(terminal, cashier, reason, approved);
                     },
                     [&ctx, x](Expected<store::DrawerOpen> opened) {
                       if (!opened) return x->Reply(ErrorAnswer(opened.error()));
                       ctx.events.EventWritten();
                       const std::string record = store::DrawerOpenJson(*opened);
                       auto answer = [x, record](const std::string& kick) {
                         x->Reply(JsonAnswer(
                             201, R"({"drawer_open":)" + record + R"(,"kick":)" + kick + "}"));
                       };
                       if (!ctx.options.hardware.queue_receipt) return answer("null");
                       const std::weak_ptr<int> life = ctx.alive;
                       const std::string id = opened->id;
                       ReceiptJob job;
                       job.drawer_open_id = id;
                       job.terminal = opened->terminal;
                       job.asked = true;
                       job.make_bytes = [](receipt::Width, receipt::Encoding,
                                           std::function<void(Expected<std::string>)> bytes) {
                         bytes(std::string(receipt::kDrawerKick));
                       };
                       job.attempted = [&ctx, life, id](const PrintAttempt& a) {
                         if (life.expired()) return;
                         ctx.events.Printed(AttemptJson("drawer_open_id", id, a));
                         if (a.state != "printed") {
                           ctx.log.Warn("drawer kick not sent", {{"drawer_open_id", id},
                                                                 {"printer", a.printer},
                                                                 {"reason", a.reason},
                                                                 {"why", a.detail}});
                         }
                       };
                       auto queued = ctx.options.hardware.queue_receipt(
                           std::move(job), [life, id, answer](const PrintAttempt& a) {
                             if (life.expired()) return;
                             answer(AttemptJson("drawer_open_id", id, a));
                           });
                       if (!queued) answer("null");  // no_printer: the terminal has none
                     });
               });
}

}  // namespace sa::api
