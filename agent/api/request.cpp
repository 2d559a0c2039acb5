// SPDX-License-Identifier: Apache-2.0
// Request bodies read with nlohmann-json. Inside this file a field error is
// thrown (BadField) so each reader stays a straight line; Read turns it into
// the 400 the API answers.
#include "request.hpp"

#include <limits>
#include <nlohmann/json.hpp>

namespace sa::api::request {
namespace {

using nlohmann::json;

struct BadField {
  std::string code;
  std::string message;
};

// The body as a JSON object; an empty body is {} where `empty_ok`.
json Body(std::string_view body, bool empty_ok) {
  if (body.empty()) {
    if (empty_ok) return json::object();
    throw BadField{"invalid_json", "the request needs a JSON object body"};
  }
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) throw BadField{"invalid_json", "the body is not valid JSON"};
  if (!j.is_object()) throw BadField{"invalid_json", "the body must be a JSON object"};
  return j;
}

// Runs a reader over the body; a BadField is the request's 400.
template <class T, class F>
Expected<T> Read(std::string_view body, bool empty_ok, F&& read) {
  try {
    return read(Body(body, empty_ok));
  } catch (const BadField& bad) {
    return MakeError(ErrorKind::invalid_request, bad.code, bad.message);
  }
}

const json* Field(const json& body, const char* name, bool required) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) {
    if (required) throw BadField{"missing_field", std::string("the body needs \"") + name + "\""};
    return nullptr;
  }
  return &*it;
}

std::optional<std::string> StringField(const json& body, const char* name, bool required) {
  const json* f = Field(body, name, required);
  if (!f) return std::nullopt;
  if (!f->is_string())
    throw BadField{"invalid_field", std::string("\"") + name + "\" must be a string"};
  return f->get<std::string>();
}

std::string Required(const json& body, const char* name) { return *StringField(body, name, true); }

MinorUnits AmountField(const json& body, const char* name) {
  const json* f = Field(body, name, true);
  if (f->is_number_unsigned() &&
      f->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<MinorUnits>::max())) {
    throw BadField{"amount_overflow", std::string("\"") + name + "\" is too large"};
  }
  if (!f->is_number_integer()) {
    throw BadField{"invalid_field",
                   std::string("\"") + name + "\" must be an integer number of minor units (fen)"};
  }
  return f->get<MinorUnits>();
}

// A short text field a person types (a carrier, a manager's name): present,
// not empty, at most `max` bytes.
std::string ShortField(const json& body, const char* name, std::size_t max) {
  std::string v = Required(body, name);
  if (v.empty() || v.size() > max) {
    throw BadField{"invalid_field", std::string("\"") + name + "\" must be 1 to " +
                                        std::to_string(max) + " characters"};
  }
  return v;
}

// A manager's override of a reservation at the till: {"manager","reason"}.
std::optional<store::Override> OverrideField(const json& body) {
  const json* f = Field(body, "override", false);
  if (!f) return std::nullopt;
  if (!f->is_object())
    throw BadField{"invalid_field", "\"override\" must be an object {\"manager\",\"reason\"}"};
  return store::Override{ShortField(*f, "manager", 64), ShortField(*f, "reason", 64)};
}

std::string PinField(const json& body) {
  std::string pin = Required(body, "pin");
  if (!store::Shifts::IsValidPin(pin)) throw BadField{"invalid_pin", "a PIN is 4 to 8 digits"};
  return pin;
}

}  // namespace

Expected<void> Nothing(std::string_view body) {
  auto read = Read<bool>(body, true, [](const json&) { return true; });
  if (!read) return read.error();
  return {};
}

Expected<OpenSale> ParseOpenSale(std::string_view body) {
  return Read<OpenSale>(body, true,
                        [](const json& j) { return OpenSale{StringField(j, "terminal", false)}; });
}

Expected<Scan> ParseScan(std::string_view body) {
  return Read<Scan>(body, false, [](const json& j) {
    return Scan{Required(j, "payload"), OverrideField(j)};
  });
}

Expected<Member> ParseMember(std::string_view body) {
  return Read<Member>(body, false, [](const json& j) {
    Member m{StringField(j, "payload", false), StringField(j, "phone", false)};
    if (m.payload.has_value() == m.phone.has_value()) {
      throw BadField{"invalid_field",
                     "give exactly one of \"payload\" (a member code) or \"phone\""};
    }
    return m;
  });
}

Expected<Guide> ParseGuide(std::string_view body) {
  return Read<Guide>(body, false, [](const json& j) {
    Guide g{StringField(j, "payload", false), StringField(j, "cashier_id", false)};
    if (g.payload.has_value() == g.cashier_id.has_value()) {
      throw BadField{"invalid_field",
                     "give exactly one of \"payload\" (a staff badge) or \"cashier_id\""};
    }
    return g;
  });
}

namespace {

std::vector<store::Payment> ReadPayments(const json& j, bool required) {
  const json* list = Field(j, "payments", required);
  if (!list) return {};
  if (!list->is_array()) throw BadField{"invalid_field", "\"payments\" must be an array"};
  std::vector<store::Payment> payments;
  for (const auto& p : *list) {
    if (!p.is_object()) throw BadField{"invalid_field", "each payment must be an object"};
    payments.push_back(store::Payment{Required(p, "method"), AmountField(p, "amount"),
                                      StringField(p, "ref", false).value_or("")});
  }
  return payments;
}

}  // namespace

Expected<std::vector<store::Payment>> ParsePayments(std::string_view body) {
  return Read<std::vector<store::Payment>>(body, false,
                                           [](const json& j) { return ReadPayments(j, true); });
}

Expected<std::optional<store::PinApproval>> ParseApproval(std::string_view body) {
  return Read<std::optional<store::PinApproval>>(
      body, true, [](const json& j) -> std::optional<store::PinApproval> {
        const json* f = Field(j, "approval", false);
        if (!f) return std::nullopt;
        if (!f->is_object()) {
          throw BadField{"invalid_field", "\"approval\" must be an object {\"manager\",\"pin\"}"};
        }
        std::string manager = Required(*f, "manager");
        if (!store::Shifts::IsValidCashierId(manager))
          throw BadField{"invalid_cashier_id", "\"approval\".\"manager\" is not a cashier id"};
        return store::PinApproval{std::move(manager), PinField(*f)};
      });
}

Expected<std::string> ParseReason(std::string_view body) {
  return Read<std::string>(
      body, true, [](const json& j) { return StringField(j, "reason", false).value_or(""); });
}

namespace {

Refund ReadRefund(const json& j) {
  Refund r;
  r.sale_id = StringField(j, "sale_id", false).value_or("");
  r.receipt_no = StringField(j, "receipt_no", false).value_or("");
  if (r.sale_id.empty() == r.receipt_no.empty()) {
    throw BadField{r.sale_id.empty() ? "missing_field" : "invalid_field",
                   "give exactly one of \"sale_id\" and \"receipt_no\""};
  }
  const json* list = Field(j, "serials", false);
  const json* items = Field(j, "items", false);
  if (!list && !items) {
    throw BadField{"missing_field", "the body needs \"serials\" or \"items\" (or both)"};
  }
  if (list && !list->is_array()) throw BadField{"invalid_field", "\"serials\" must be an array"};
  if (items && !items->is_array()) throw BadField{"invalid_field", "\"items\" must be an array"};
  for (const auto& item : list ? *list : json::array()) {
    if (item.is_string()) {
      r.units.emplace_back(item.get<std::string>());
    } else if (item.is_object()) {
      r.units.emplace_back(StringField(item, "gtin", false).value_or(""), Required(item, "serial"));
    } else {
      throw BadField{"invalid_field", "each serial is a string or {\"gtin\",\"serial\"}"};
    }
  }
  for (const auto& item : items ? *items : json::array()) {
    if (!item.is_object()) throw BadField{"invalid_field", "each item is {\"gtin\",\"qty\"}"};
    auto gtin = codes::NormaliseGtin(Required(item, "gtin"));
    if (!gtin) {
      throw BadField{"invalid_gtin",
                     "an item's \"gtin\" must be 8, 12, 13 or 14 digits with a good check digit"};
    }
    const json* qty = Field(item, "qty", true);
    if (!qty->is_number_integer() || qty->get<std::int64_t>() < 1 ||
        qty->get<std::int64_t>() > 1'000'000 ||
        (qty->is_number_unsigned() && qty->get<std::uint64_t>() > 1'000'000)) {
      throw BadField{"invalid_field", "an item's \"qty\" is an integer from 1 to 1000000"};
    }
    r.items.push_back(store::ItemRef{*gtin, qty->get<std::int64_t>()});
  }
  r.terminal = StringField(j, "terminal", false);
  return r;
}

}  // namespace

Expected<Refund> ParseRefund(std::string_view body) {
  return Read<Refund>(body, false, [](const json& j) { return ReadRefund(j); });
}

Expected<Exchange> ParseExchange(std::string_view body) {
  return Read<Exchange>(body, false, [](const json& j) {
    Exchange x;
    x.back = ReadRefund(j);
    x.cart_id = Required(j, "cart_id");
    if (x.cart_id.size() > 64) throw BadField{"invalid_field", "\"cart_id\" is a sale id"};
    x.payments = ReadPayments(j, false);
    return x;
  });
}

Expected<SaleLookup> ParseSaleLookup(const std::map<std::string, std::string>& query) {
  SaleLookup l;
  for (const auto& [key, value] : query) {
    if (key == "receipt_no") {
      l.receipt_no = value;
    } else if (key == "code") {
      l.code = value;
    } else {
      return MakeError(
          ErrorKind::invalid_request, "invalid_field",
          "look a sale up by ?receipt_no= or ?code= (a sold unit's label), not " + key);
    }
  }
  if (l.receipt_no.has_value() == l.code.has_value()) {
    return MakeError(ErrorKind::invalid_request, "missing_field",
                     "give exactly one of ?receipt_no= and ?code=");
  }
  return l;
}

Expected<std::string> ParsePayload(std::string_view body) {
  return Read<std::string>(body, false, [](const json& j) { return Required(j, "payload"); });
}

Expected<Count> ParseCount(std::string_view body) {
  return Read<Count>(body, false, [](const json& j) {
    auto gtin = codes::NormaliseGtin(Required(j, "gtin"));
    if (!gtin) {
      throw BadField{"invalid_gtin",
                     "\"gtin\" must be 8, 12, 13 or 14 digits with a good check digit"};
    }
    const json* counted = Field(j, "counted", true);
    constexpr std::int64_t kMaxCount = 1'000'000'000;
    if (!counted->is_number_integer() || counted->get<std::int64_t>() < 0 ||
        (counted->is_number_unsigned() && counted->get<std::uint64_t>() > kMaxCount) ||
        counted->get<std::int64_t>() > kMaxCount) {
      throw BadField{"invalid_field", "\"counted\" must be an integer from 0 to 1000000000"};
    }
    return Count{*gtin, counted->get<std::int64_t>()};
  });
}

Expected<Shipment> ParseShipment(std::string_view body) {
  return Read<Shipment>(body, false, [](const json& j) {
    std::string carrier = ShortField(j, "carrier", 64);
    return Shipment{std::move(carrier), ShortField(j, "tracking_no", 64)};
  });
}

Expected<std::string> ParsePickupCode(std::string_view body) {
  return Read<std::string>(body, false,
                           [](const json& j) { return ShortField(j, "pickup_code", 64); });
}

Expected<Mode> ParseMode(std::string_view body) {
  return Read<Mode>(body, false, [](const json& j) {
    Mode m;
    m.mode = Required(j, "mode");
    if (m.mode != "sale" && m.mode != "receive" && m.mode != "count" && m.mode != "pick") {
      throw BadField{"invalid_field", "\"mode\" must be sale, receive, count or pick"};
    }
    m.order_id = StringField(j, "order_id", false).value_or("");
    const json* discard = Field(j, "discard", false);
    if (discard && !discard->is_boolean())
      throw BadField{"invalid_field", "\"discard\" must be true or false"};
    m.discard = discard && discard->get<bool>();
    if (m.mode == "pick" && m.order_id.empty()) {
      throw BadField{"missing_field", "\"order_id\" is required in pick mode"};
    }
    if (m.mode != "pick" && !m.order_id.empty()) {
      throw BadField{"invalid_field", "\"order_id\" is for pick mode only"};
    }
    return m;
  });
}

Expected<Login> ParseLogin(std::string_view body) {
  return Read<Login>(body, false, [](const json& j) {
    Login in;
    in.cashier = Required(j, "cashier");
    in.pin = Required(j, "pin");
    in.terminal = StringField(j, "terminal", false).value_or("");
    if (!in.terminal.empty() && !IsValidId(in.terminal)) {
      throw BadField{"invalid_field", "\"terminal\" is 1-64 of A-Z a-z 0-9 _ . -"};
    }
    return in;
  });
}

Expected<NewCashier> ParseNewCashier(std::string_view body) {
  return Read<NewCashier>(body, false, [](const json& j) {
    NewCashier c;
    c.id = Required(j, "id");
    c.name = Required(j, "name");
    c.role = StringField(j, "role", false).value_or("cashier");
    c.pin = PinField(j);
    if (!store::Shifts::IsValidCashierId(c.id)) {
      throw BadField{"invalid_cashier_id", "a cashier id is 1 to 32 of A-Z a-z 0-9 _ -"};
    }
    return c;
  });
}

Expected<std::string> ParsePin(std::string_view body) {
  return Read<std::string>(body, false, [](const json& j) { return PinField(j); });
}

Expected<OpenShift> ParseOpenShift(std::string_view body, bool terminal_required) {
  return Read<OpenShift>(body, false, [terminal_required](const json& j) {
    std::optional<std::string> terminal = StringField(j, "terminal", terminal_required);
    return OpenShift{std::move(terminal), AmountField(j, "opening_float")};
  });
}

Expected<MinorUnits> ParseCountedCash(std::string_view body) {
  return Read<MinorUnits>(body, false,
                          [](const json& j) { return AmountField(j, "counted_cash"); });
}

Expected<PriceChange> ParsePriceChange(std::string_view body) {
  return Read<PriceChange>(body, false, [](const json& j) {
    return PriceChange{AmountField(j, "unit_price"), StringField(j, "reason", false).value_or("")};
  });
}

Expected<SaleDiscount> ParseSaleDiscount(std::string_view body) {
  return Read<SaleDiscount>(body, false, [](const json& j) {
    const bool percent = Field(j, "percent_bp", false) != nullptr;
    if (percent == (Field(j, "amount", false) != nullptr)) {
      throw BadField{"invalid_discount",
                     "give \"percent_bp\" (1000 = 10 % off) or \"amount\" (fen), one of them"};
    }
    SaleDiscount d;
    const MinorUnits v = AmountField(j, percent ? "percent_bp" : "amount");
    if (v <= 0 || (percent && v > 10000)) {
      throw BadField{"invalid_discount",
                     percent ? "\"percent_bp\" must be 1 to 10000" : "\"amount\" must be above 0"};
    }
    if (percent) {
      d.percent_bp = static_cast<int>(v);
    } else {
      d.amount = v;
    }
    d.reason = StringField(j, "reason", false).value_or("");
    return d;
  });
}

Expected<std::string> Gtin14(std::string_view text) {
  auto gtin = codes::NormaliseGtin(text);
  if (!gtin) {
    return MakeError(ErrorKind::invalid_request, "invalid_gtin",
                     "a GTIN has 8, 12, 13 or 14 digits with a good check digit");
  }
  return std::string(*gtin);
}

Expected<OnlineReturn> ParseOnlineReturn(std::string_view body) {
  return Read<OnlineReturn>(body, false, [](const json& j) {
    OnlineReturn r;
    r.order_no = Required(j, "order_no");
    if (r.order_no.empty() || r.order_no.size() > 64)
      throw BadField{"invalid_field", "\"order_no\" is the online order's number"};
    const json* list = Field(j, "serials", true);
    if (!list->is_array() || list->empty() || list->size() > 100)
      throw BadField{"invalid_field", "\"serials\" is an array of 1-100 serials"};
    for (const auto& item : *list) {
      if (!item.is_string() || item.get_ref<const std::string&>().empty() ||
          item.get_ref<const std::string&>().size() > 64) {
        throw BadField{"invalid_field", "each serial is a non-empty string"};
      }
      r.serials.push_back(item.get<std::string>());
    }
    r.refund_via = StringField(j, "refund_via", false).value_or("cloud");
    if (r.refund_via != "cloud" && r.refund_via != "cash")
      throw BadField{"invalid_field", "\"refund_via\" is \"cloud\" or \"cash\""};
    r.terminal = StringField(j, "terminal", false);
    return r;
  });
}

Expected<OnlineOrderLookup> ParseOnlineOrderLookup(
    const std::map<std::string, std::string>& query) {
  OnlineOrderLookup l;
  for (const auto& [key, value] : query) {
    if (key == "number" && !value.empty() && value.size() <= 64) {
      l.number = value;
    } else if (key == "code" && !value.empty()) {
      l.code = value;
    } else {
      return MakeError(
          ErrorKind::invalid_request, "invalid_field",
          "look an online order up by ?number= or ?code= (a unit's label), not " + key);
    }
  }
  if (l.number.has_value() == l.code.has_value()) {
    return MakeError(ErrorKind::invalid_request, "missing_field",
                     "give exactly one of ?number= and ?code=");
  }
  return l;
}

}  // namespace sa::api::request
