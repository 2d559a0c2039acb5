// SPDX-License-Identifier: Apache-2.0
// Fuzzes member codes (docs/design.md "member code"), from the scanned text to the
// binding on a sale: codes::Parse, VerifySignature and Store::BindMemberCode.
// Proves: a parsed member code is exactly "SAM1:{id}:{seconds}:{sig}" rebuilt
// from its fields (the signed text is what was scanned); a binding is
// refused with a member-code error, never with a 5xx; and for codes the
// target mints with the demo member key, the outcome is the one the rules
// give: bound once inside the window, then member_code_replayed; expired
// outside it; malformed for a bad member id.
//
// Input: a payload to bind; or "M:{member_id}:{offset_s}" to mint a signed
// code issued offset_s from the device clock and bind it twice.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "codes.hpp"
#include "fuzz_support.hpp"
#include "store.hpp"

namespace {

using namespace sa;
using sa::fuzz::CheckError;

std::string g_sale_id;  // an open sale of the scratch ledger

void Seed(store::Store& s) { g_sale_id = s.sales.OpenSale("till-1").value().id; }

const std::set<std::string, std::less<>> kBindCodes = {"member_code_malformed",
                                                       "member_code_forged", "member_code_expired",
                                                       "member_code_replayed", "not_a_member_code"};

bool ValidMemberId(std::string_view id) {
  return !id.empty() && id.size() <= 64 &&
         id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") ==
             std::string_view::npos;
}

// What the parser made of a member code, against the text it came from.
void CheckParsed(std::string_view payload, const codes::Code& code) {
  std::string_view body = payload;
  if (!code.symbology.empty()) body.remove_prefix(3);
  const std::string rebuilt = code.SignedMessage() + ":" + code.signature;
  SA_FUZZ_CHECK(rebuilt == body, "rebuilt '" + rebuilt + "' from '" + std::string(body) + "'");
  SA_FUZZ_CHECK(ValidMemberId(code.member_id), code.member_id);
  SA_FUZZ_CHECK(code.issued_at >= 0 && code.gtin.empty() && code.serial.empty(), rebuilt);
  static const crypto::KeyRing keys = store::DemoConfig().member_keys;
  (void)codes::VerifySignature(code, keys);
}

Expected<store::Sale> Bind(store::Store& s, std::string_view payload) {
  auto bound = s.sales.BindMemberCode(g_sale_id, payload);
  if (!bound) {
    CheckError(bound.error(), {ErrorKind::refused});
    SA_FUZZ_CHECK(kBindCodes.count(bound.error().code) == 1, "unexpected " + bound.error().code);
  }
  return bound;
}

void FuzzPayload(std::string_view payload) {
  auto code = codes::Parse(payload, codes::ParseOptions{{}, 2026});
  if (code && code->kind == codes::Kind::member_code) CheckParsed(payload, *code);
  fuzz::Scratch scratch(fuzz::ScratchLedger::Get(Seed));
  auto bound = Bind(scratch.store(), payload);
  // Nothing unsigned by the member service binds; the fuzzer cannot sign.
  SA_FUZZ_CHECK(!bound || (code && code->kind == codes::Kind::member_code),
                "bound '" + std::string(payload) + "'");
}

void FuzzMinted(std::string_view spec) {
  const std::size_t colon = spec.rfind(':');
  if (colon == std::string_view::npos) return;
  const std::string_view id = spec.substr(0, colon);
  const std::string_view offset_text = spec.substr(colon + 1);
  std::int64_t offset = 0;
  const auto [end, ec] =
      std::from_chars(offset_text.data(), offset_text.data() + offset_text.size(), offset);
  if (ec != std::errc() || end != offset_text.data() + offset_text.size()) return;
  if (offset < -1'000'000 || offset > 1'000'000) return;

  const std::int64_t issued = fuzz::kNowMs / 1000 + offset;
  const std::string payload = codes::MakeMemberCode(id, issued, store::DemoMemberKey());
  fuzz::Scratch scratch(fuzz::ScratchLedger::Get(Seed));
  auto first = Bind(scratch.store(), payload);
  const std::string detail =
      "minted '" + payload + "' -> " + (first ? "bound" : first.error().code);
  if (!ValidMemberId(id)) {
    SA_FUZZ_CHECK(!first && first.error().code == "member_code_malformed", detail);
    return;
  }
  const std::int64_t window = scratch.store().books.config().member_code_window_s;
  if (offset > window || offset < -window) {
    SA_FUZZ_CHECK(!first && first.error().code == "member_code_expired", detail);
    return;
  }
  SA_FUZZ_CHECK(first && first->member && first->member->member_id == id, detail);
  auto second = Bind(scratch.store(), payload);
  SA_FUZZ_CHECK(!second && second.error().code == "member_code_replayed",
                detail + ", then bound again");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = sa::fuzz::Text(data, size);
  if (input.substr(0, 2) == "M:") {
    FuzzMinted(input.substr(2));
  } else {
    FuzzPayload(input);
  }
  return 0;
}
