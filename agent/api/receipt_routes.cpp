// SPDX-License-Identifier: Apache-2.0
// Receipts: as text and ESC/POS, printed (the first print the original, any
// later one a marked copy), and the claim QR for the screen.
#include "answers.hpp"
#include "qr.hpp"
#include "request.hpp"
#include "routes.hpp"

namespace sa::api {
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
    if (!out.sale.member) {
      const std::string token = receipt::ClaimToken(out.sale, options.claim_key);
      if (!token.empty()) out.claim_url = receipt::ClaimUrl(options.claim_host, token);
    }
    return out;
  };
}

}  // namespace

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
  receipt::Options options{.encoding = ctx.options.hardware.print_encoding};
  if (auto c = query->find("copy"); c != query->end()) {
    if (c->second != "0" && c->second != "1") {
      return x->Reply(
          ErrorAnswer(MakeError(ErrorKind::invalid_request, "invalid_field", "copy is 0 or 1")));
    }
    options.reprint = c->second == "1";
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

// The sale, and its print counted in the ledger (receipt_prints): the first
// print is the original, every later one a copy, across restarts too.
void PrintSale(Context& ctx, const std::string& sale_id,
               std::function<void(Expected<std::string>)> done) {
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
      [&ctx, sale_id, done](Expected<ReceiptSale> r) {
        if (!r) return done(r.error());
        const receipt::Options options{.reprint = r->prints_before > 0,
                                       .encoding = ctx.options.hardware.print_encoding};
        std::string bytes = receipt::EscPos(
            r->sale, ctx.options.shop, ctx.options.hardware.print_width, r->claim_url, options);
        const std::size_t size = bytes.size();
        // The printer answers on its own thread; what follows is back on the loop.
        // The loop outlives the server; the context may not, hence `life`.
        ctx.options.hardware.print(
            std::move(bytes), [&ctx, &loop = ctx.loop, life = std::weak_ptr<int>(ctx.alive),
                               sale_id, size, done, reprint = options.reprint](std::string error) {
              loop.Post([&ctx, life, sale_id, size, done, reprint, error = std::move(error)] {
                if (life.expired()) return;
                if (!error.empty() && !reprint) {
                  // The original never reached the paper: the next print is the original.
                  ctx.parts.writer.Submit<bool>(
                      ledger::Durability::relaxed,
                      [sale_id](store::Store& s) -> Expected<bool> {
                        auto undone = s.sales.UnclaimPrint(sale_id);
                        if (!undone) return undone.error();
                        return true;
                      },
                      [](Expected<bool>) {});
                }
                const std::string outcome = json::Printed(sale_id, size, error);
                ctx.events.Printed(outcome);
                if (!error.empty()) {
                  ctx.log.Warn("receipt not printed", {{"sale_id", sale_id}, {"why", error}});
                  return done(MakeError(ErrorKind::unavailable, "printer_unavailable",
                                        "the receipt printer: " + error));
                }
                done(outcome);
              });
            });
      });
}

void PrintReceipt(Context& ctx, const ExchangePtr& x) {
  if (auto ok = request::Nothing(x->body()); !ok) return x->Reply(ErrorAnswer(ok.error()));
  if (!ctx.options.hardware.print) {
    return x->Reply(ErrorAnswer(MakeError(ErrorKind::conflict, "no_printer",
                                          "no receipt printer is configured ([printer] target)")));
  }
  PrintSale(ctx, x->params[0], [x](Expected<std::string> printed) {
    x->Reply(printed ? JsonAnswer(200, *printed) : ErrorAnswer(printed.error()));
  });
}

// The receipt's claim URL as a QR code (image/svg+xml) for the screen.
void ClaimQr(Context& ctx, const ExchangePtr& x) {
  ctx.parts.writer.Submit<ReceiptSale>(
      ledger::Durability::relaxed, CompletedSale(ctx.options, x->params[0]),
      [x](Expected<ReceiptSale> r) {
        if (!r) return x->Reply(ErrorAnswer(r.error()));
        if (r->claim_url.empty()) {
          return x->Reply(ErrorAnswer(
              MakeError(ErrorKind::not_found, "no_claim_url",
                        "this sale has no claim URL (a member is bound, or no claim key)")));
        }
        auto matrix = qr::Encode(r->claim_url);
        if (!matrix) return x->Reply(ErrorAnswer(matrix.error()));
        x->Reply(Answer{200, qr::Svg(*matrix), "image/svg+xml", {{"Cache-Control", "no-cache"}}});
      });
}

}  // namespace sa::api
