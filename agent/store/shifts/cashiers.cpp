// SPDX-License-Identifier: Apache-2.0
// Cashiers and their PINs: a PIN is kept only as PBKDF2-HMAC-SHA256 with a
// random salt, and every check of one costs the same time.
#include <algorithm>
#include <utility>

#include "part.hpp"
#include "shifts.hpp"

namespace sa::store {
namespace {

using ledger::Transaction;
using part::BadRequest;
using part::Conflict;
using part::Guarded;
using part::NotFound;

Error NoCashier(std::string_view id) {
  return NotFound("cashier_not_found", "no cashier " + std::string(id.substr(0, 32)));
}

std::optional<Error> CheckName(std::string_view name) {
  if (name.empty() || name.size() > 100 || !ValidUtf8(name)) {
    return BadRequest("invalid_name", "a name is 1 to 100 characters of UTF-8");
  }
  for (const char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return BadRequest("invalid_name", "a name has no control characters");
    }
  }
  return std::nullopt;
}

// The hex form kept in the ledger, and back ("" for a value that is not hex:
// such a hash matches no PIN).
std::string Hex(const crypto::Bytes& b) { return crypto::ToHex(b); }
crypto::Bytes Unhex(const std::string& hex) {
  return crypto::FromHex(hex).value_or(crypto::Bytes{});
}

// Compared against when the id is unknown, so that a wrong id costs the same
// PBKDF2 time as a wrong PIN (no telling ids apart by timing).
const crypto::PinHash& DummyHash() {
  static const crypto::PinHash h = crypto::HashPin("00000000");
  return h;
}

}  // namespace

bool Shifts::IsValidPin(std::string_view pin) {
  return pin.size() >= 4 && pin.size() <= 8 &&
         pin.find_first_not_of("0123456789") == std::string_view::npos;
}

bool Shifts::IsValidCashierId(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

std::optional<Cashier> Shifts::LoadCashier(std::string_view id) {
  auto st = db_.Cached("SELECT id, name, role, active FROM cashiers WHERE id = ?");
  st.Bind(1, id);
  if (!st.Step()) return std::nullopt;
  return Cashier{st.Text(0), st.Text(1), st.Text(2), st.Int(3) != 0};
}

Expected<Cashier> Shifts::AddCashier(std::string_view id, std::string_view name,
                                     std::string_view role, const crypto::PinHash& pin) {
  if (!IsValidCashierId(id)) {
    return BadRequest("invalid_cashier_id", "a cashier id is 1 to 32 of A-Z a-z 0-9 _ -");
  }
  if (auto bad = CheckName(name)) return *bad;
  if (role != "cashier" && role != "manager") {
    return BadRequest("invalid_role", "a role is cashier or manager");
  }
  if (pin.hash.size() != 32 || pin.salt.empty() || pin.iterations < 1) {
    return BadRequest("invalid_pin", "a PIN is 4 to 8 digits");
  }
  return Guarded([&]() -> Expected<Cashier> {
    Transaction tx(db_);
    if (LoadCashier(id)) {
      return Conflict("cashier_exists", "cashier " + std::string(id) + " already exists");
    }
    const std::int64_t now = books_.now_ms();
    db_.Cached(
           "INSERT INTO cashiers(id, name, role, pin_salt, pin_iterations, pin_hash, active, "
           "created_at_ms, updated_at_ms) VALUES(?, ?, ?, ?, ?, ?, 1, ?, ?)")
        .Bind(1, id)
        .Bind(2, name)
        .Bind(3, role)
        .Bind(4, Hex(pin.salt))
        .Bind(5, static_cast<std::int64_t>(pin.iterations))
        .Bind(6, Hex(pin.hash))
        .Bind(7, now)
        .Bind(8, now)
        .Run();
    tx.Commit();
    return *LoadCashier(id);
  });
}

Expected<std::vector<Cashier>> Shifts::Cashiers() {
  return Guarded([&]() -> Expected<std::vector<Cashier>> {
    std::vector<Cashier> out;
    auto st = db_.Cached("SELECT id, name, role, active FROM cashiers ORDER BY id");
    while (st.Step()) out.push_back(Cashier{st.Text(0), st.Text(1), st.Text(2), st.Int(3) != 0});
    return out;
  });
}

Expected<Cashier> Shifts::SetCashierPin(std::string_view id, const crypto::PinHash& pin) {
  if (pin.hash.size() != 32 || pin.salt.empty() || pin.iterations < 1) {
    return BadRequest("invalid_pin", "a PIN is 4 to 8 digits");
  }
  return Guarded([&]() -> Expected<Cashier> {
    Transaction tx(db_);
    if (!LoadCashier(id)) return NoCashier(id);
    // A new PIN also reactivates: it is how a manager gives an account back.
    db_.Cached(
           "UPDATE cashiers SET pin_salt = ?, pin_iterations = ?, pin_hash = ?, active = 1, "
           "updated_at_ms = ? WHERE id = ?")
        .Bind(1, Hex(pin.salt))
        .Bind(2, static_cast<std::int64_t>(pin.iterations))
        .Bind(3, Hex(pin.hash))
        .Bind(4, books_.now_ms())
        .Bind(5, id)
        .Run();
    tx.Commit();
    return *LoadCashier(id);
  });
}

Expected<Cashier> Shifts::DeactivateCashier(std::string_view id) {
  return Guarded([&]() -> Expected<Cashier> {
    Transaction tx(db_);
    if (!LoadCashier(id)) return NoCashier(id);
    db_.Cached("UPDATE cashiers SET active = 0, updated_at_ms = ? WHERE id = ?")
        .Bind(1, books_.now_ms())
        .Bind(2, id)
        .Run();
    tx.Commit();
    return *LoadCashier(id);
  });
}

Expected<Credentials> Shifts::CashierCredentials(std::string_view id) {
  using Out = Credentials;
  return Guarded([&]() -> Expected<Out> {
    auto st = db_.Cached(
        "SELECT id, name, role, active, pin_salt, pin_iterations, pin_hash "
        "FROM cashiers WHERE id = ? AND active = 1");
    st.Bind(1, id);
    if (!st.Step()) return Out();
    crypto::PinHash pin{Unhex(st.Text(4)), static_cast<std::uint32_t>(st.Int(5)),
                        Unhex(st.Text(6))};
    return Out(std::pair(Cashier{st.Text(0), st.Text(1), st.Text(2), true}, std::move(pin)));
  });
}

Expected<Cashier> Shifts::CheckPin(const Credentials& credentials, std::string_view pin) {
  const Error wrong = part::Refused("invalid_login", "unknown cashier or wrong PIN");
  if (!credentials) {
    (void)crypto::VerifyPin(pin, DummyHash());
    return wrong;
  }
  if (!IsValidPin(pin) || !crypto::VerifyPin(pin, credentials->second)) return wrong;
  return credentials->first;
}

Expected<Cashier> Shifts::VerifyCashierPin(std::string_view id, std::string_view pin) {
  auto credentials = CashierCredentials(id);
  if (!credentials) return credentials.error();
  return CheckPin(*credentials, pin);
}

}  // namespace sa::store
