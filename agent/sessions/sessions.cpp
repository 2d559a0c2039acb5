// SPDX-License-Identifier: Apache-2.0
#include "sessions.hpp"

#include <algorithm>

namespace sa::sessions {
namespace {

constexpr auto kIdle = std::chrono::hours(12);  // a long shift, then log in again
constexpr std::size_t kMaxSessions = 1024;
constexpr int kMaxFailures = 5;
constexpr auto kLockout = std::chrono::seconds(60);
constexpr std::size_t kMaxThrottled = 4096;

Error WrongLogin() {
  return MakeError(ErrorKind::unauthorized, "invalid_login", "unknown cashier or wrong PIN");
}

}  // namespace

Sessions::Sessions(loop::Workers& workers, daemon::Writer& writer, const daemon::Log& log,
                   std::string api_token, std::uint32_t pin_iterations, RoleLimits limits)
    : workers_(workers),
      writer_(writer),
      log_(log),
      api_token_(std::move(api_token)),
      pin_iterations_(pin_iterations),
      limits_(limits) {}

std::optional<MinorUnits> Sessions::RefundLimit(
    const std::optional<store::Approval>& approved) const {
  if (!approved) return limits_.cashier_refund;
  if (approved->via == "api_token") return std::nullopt;
  return limits_.manager_refund;
}

std::int64_t Sessions::ExpiresAt(std::int64_t now_ms) {
  return now_ms + std::chrono::duration_cast<std::chrono::milliseconds>(kIdle).count();
}

Caller Sessions::WhoIs(std::string_view bearer_token) {
  Caller caller;
  if (bearer_token.empty()) return caller;
  if (crypto::ConstantTimeEqual(bearer_token, api_token_)) {
    caller.admin = true;
    return caller;
  }
  auto it = sessions_.find(std::string(bearer_token));
  if (it == sessions_.end()) return caller;
  const auto now = std::chrono::steady_clock::now();
  if (now - it->second.last_used > kIdle) {
    sessions_.erase(it);
    return caller;
  }
  it->second.last_used = now;
  caller.session = &it->second;
  return caller;
}

void Sessions::CheckPin(const std::string& cashier_id, const std::string& pin,
                        std::function<void(Expected<store::Cashier>)> done) {
  if (!store::Shifts::IsValidCashierId(cashier_id)) return done(WrongLogin());
  const auto now = std::chrono::steady_clock::now();
  if (auto t = throttles_.find(cashier_id); t != throttles_.end() && t->second.locked_until > now) {
    const auto left =
        std::chrono::duration_cast<std::chrono::seconds>(t->second.locked_until - now).count() + 1;
    return done(MakeError(ErrorKind::throttled, "too_many_attempts",
                          "too many wrong PINs for this cashier: try again in " +
                              std::to_string(left) + " s, or ask a manager to reset the PIN"));
  }
  writer_.Submit<store::Credentials>(
      ledger::Durability::relaxed,
      [cashier_id](store::Store& s) { return s.shifts.CashierCredentials(cashier_id); },
      [this, cashier_id, pin, done](Expected<store::Credentials> credentials) {
        if (!credentials) return done(credentials.error());
        workers_.Run<Expected<store::Cashier>>(
            [credentials = std::move(credentials).value(), pin] {
              return store::Shifts::CheckPin(credentials, pin);
            },
            [this, cashier_id, done](Expected<store::Cashier> checked) {
              done(Counted(cashier_id, std::move(checked)));
            });
      });
}

Expected<store::Cashier> Sessions::Counted(const std::string& cashier_id,
                                           Expected<store::Cashier> checked) {
  if (checked) {
    throttles_.erase(cashier_id);
    return checked;
  }
  if (checked.error().code != "invalid_login") return checked.error();
  if (throttles_.size() >= kMaxThrottled)
    throttles_.clear();  // bounded; a flood only resets counts
  auto& t = throttles_[cashier_id];
  if (++t.failures >= kMaxFailures) {
    t.failures = 0;
    t.locked_until = std::chrono::steady_clock::now() + kLockout;
    log_.Warn("cashier login locked",
              {{"cashier", cashier_id}, {"seconds", std::to_string(kLockout.count())}});
  }
  return WrongLogin();
}

void Sessions::Login(const std::string& cashier_id, const std::string& pin,
                     const std::string& terminal, std::function<void(Expected<LoggedIn>)> done) {
  CheckPin(cashier_id, pin, [this, terminal, done](Expected<store::Cashier> checked) {
    if (!checked) return done(checked.error());
    if (sessions_.size() >= kMaxSessions) {
      // Drop the idlest: a device that logs in and never out must not grow this forever.
      auto oldest = std::min_element(
          sessions_.begin(), sessions_.end(),
          [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
      sessions_.erase(oldest);
    }
    crypto::Bytes raw(32);
    crypto::RandomBytes(raw);
    LoggedIn in{crypto::Base64UrlEncode(raw), *checked, terminal,
                ExpiresAt(SystemClock().now_ms())};
    sessions_[in.token] = Session{*checked, terminal, std::chrono::steady_clock::now()};
    log_.Info("cashier logged in", {{"cashier", checked->id}, {"terminal", terminal}});
    done(std::move(in));
  });
}

void Sessions::Approve(const Caller& caller, const std::optional<store::PinApproval>& pin,
                       std::function<void(Expected<store::Approval>)> done) {
  if (caller.admin) return done(store::Approval{"", "api_token"});
  if (caller.manager()) return done(store::Approval{caller.cashier(), "session"});
  if (!pin) {
    return done(MakeError(ErrorKind::forbidden, "manager_required",
                          "this needs a manager: a manager's session, or a manager's id and PIN "
                          "for this one action (\"approval\":{\"manager\",\"pin\"})"));
  }
  CheckPin(pin->manager, pin->pin, [this, done](Expected<store::Cashier> checked) {
    if (!checked) {
      if (checked.error().code != "invalid_login") return done(checked.error());
      return done(
          MakeError(ErrorKind::forbidden, "invalid_approval", "unknown manager or wrong PIN"));
    }
    if (checked->role != "manager") {
      log_.Warn("approval refused: not a manager", {{"cashier", checked->id}});
      return done(MakeError(ErrorKind::forbidden, "invalid_approval",
                            "cashier " + checked->id + " is not a manager"));
    }
    log_.Info("manager approved an action", {{"manager", checked->id}});
    done(store::Approval{checked->id, "pin"});
  });
}

bool Sessions::Logout(const Caller& caller) {
  if (!caller.session) return false;
  for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
    if (&it->second == caller.session) {
      sessions_.erase(it);
      return true;
    }
  }
  return false;
}

void Sessions::EndSessionsOf(std::string_view cashier_id) {
  std::erase_if(sessions_, [&](const auto& kv) { return kv.second.cashier.id == cashier_id; });
}

void Sessions::Unlock(std::string_view cashier_id) { throttles_.erase(std::string(cashier_id)); }

void Sessions::HashPin(const std::string& pin, std::function<void(crypto::PinHash)> then) {
  workers_.Run<crypto::PinHash>(
      [pin, iterations = pin_iterations_] { return crypto::HashPin(pin, iterations); },
      std::move(then));
}

}  // namespace sa::sessions
