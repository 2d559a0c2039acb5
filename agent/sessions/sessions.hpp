// SPDX-License-Identifier: Apache-2.0
// Who is at the till: the device's API token (storectl, the store box's own
// tools) or a cashier logged in with their PIN. Sessions live in memory only
// (a restart logs everyone out, and no bearer secret is ever written down),
// last 12 h idle, and are bounded in number. A cashier id with 5 wrong PINs
// in a row is locked for 60 s: a 4-digit PIN must not be guessable over the
// LAN. Roles: a manager (or the API token) may do what a cashier may not.
//
// Manager actions (refunds, voids of completed sales, overriding an order's
// hold on a unit, releasing an order) are approved here, in one place: by a
// manager's own session, by the API token, or by a manager's PIN typed on
// the cashier's screen for that one action (throttled like a login).
// How much one refund may pay back is the role's limit (RoleLimits, from
// the [refunds] config): a cashier alone up to theirs, a manager's approval
// up to the manager's, the API token any amount.
//
// Errors (Error::code): invalid_login (unauthorized), too_many_attempts
// (throttled), invalid_pin, manager_required and invalid_approval
// (forbidden), and the store's errors.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "daemon.hpp"
#include "loop.hpp"
#include "store.hpp"

namespace sa::sessions {

// A cashier logged in at a terminal.
struct Session {
  store::Cashier cashier;
  std::string terminal;
  std::chrono::steady_clock::time_point last_used;
};

// Who is calling: the API token, a session, or nobody.
struct Caller {
  bool admin = false;  // the device's API token
  const Session* session = nullptr;
  bool known() const { return admin || session != nullptr; }
  bool manager() const { return admin || (session && session->cashier.role == "manager"); }
  std::string cashier() const { return session ? session->cashier.id : std::string(); }
  std::string terminal() const { return session ? session->terminal : std::string(); }
};

// What a role may pay back in one refund ([refunds] in the config).
struct RoleLimits {
  MinorUnits cashier_refund = 0;             // refunds.cashier_limit_minor
  std::optional<MinorUnits> manager_refund;  // refunds.manager_limit_minor; none: no limit
};

struct LoggedIn {
  std::string token;  // the session's bearer token
  store::Cashier cashier;
  std::string terminal;
  std::int64_t expires_at_ms = 0;
};

class Sessions {
 public:
  // `api_token`: the device's own; `pin_iterations`: PBKDF2 iterations for
  // new PINs (crypto::kPinIterations; tests may lower it).
  Sessions(loop::Workers& workers, daemon::Writer& writer, const daemon::Log& log,
           std::string api_token, std::uint32_t pin_iterations, RoleLimits limits = {});

  // The caller a bearer token names. Using a session keeps it alive.
  Caller WhoIs(std::string_view bearer_token);
  // Checks the PIN (on a worker: PBKDF2 is slow on purpose) with the store's
  // one PIN check; `done` on the loop. `terminal` is where the session sells.
  void Login(const std::string& cashier_id, const std::string& pin, const std::string& terminal,
             std::function<void(Expected<LoggedIn>)> done);
  // A manager action: approved by the caller when they are a manager (their
  // session, or the API token), else by `pin` when it is a manager's. `done`
  // on the loop: the approval, or manager_required (nothing approves it),
  // invalid_approval (an unknown id, a wrong PIN, or a cashier's PIN),
  // too_many_attempts.
  void Approve(const Caller& caller, const std::optional<store::PinApproval>& pin,
               std::function<void(Expected<store::Approval>)> done);
  // The most one refund may pay back with `approved` (none: no approval,
  // the caller is a cashier on their own): none when there is no limit.
  std::optional<MinorUnits> RefundLimit(const std::optional<store::Approval>& approved) const;
  // Ends the caller's session; false when there was none.
  bool Logout(const Caller& caller);
  // A cashier removed: their sessions end now, not at their idle timeout.
  void EndSessionsOf(std::string_view cashier_id);
  // A manager reset the PIN: a lockout is lifted.
  void Unlock(std::string_view cashier_id);
  // A new PIN as the ledger keeps it, hashed on a worker; `then` on the loop.
  void HashPin(const std::string& pin, std::function<void(crypto::PinHash)> then);
  // When a session used now would expire.
  static std::int64_t ExpiresAt(std::int64_t now_ms);

 private:
  struct Throttle {
    int failures = 0;
    std::chrono::steady_clock::time_point locked_until{};
  };
  // The store's one PIN check, on a worker, throttled per cashier id.
  void CheckPin(const std::string& cashier_id, const std::string& pin,
                std::function<void(Expected<store::Cashier>)> done);
  // A wrong PIN counts towards the lockout; a right one clears it.
  Expected<store::Cashier> Counted(const std::string& cashier_id, Expected<store::Cashier> checked);

  loop::Workers& workers_;
  daemon::Writer& writer_;
  const daemon::Log& log_;
  std::string api_token_;
  std::uint32_t pin_iterations_;
  RoleLimits limits_;
  std::map<std::string, Session> sessions_;    // by token; loop thread only
  std::map<std::string, Throttle> throttles_;  // by cashier id
};

}  // namespace sa::sessions
