// SPDX-License-Identifier: Apache-2.0
// The vocabulary every module shares: errors as values, Expected<T>, money in
// integer minor units, and the clock the domain reads time from.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sa {

// How the edge (HTTP, CLI) should answer an error; the domain only classifies.
enum class ErrorKind {
  invalid_request,  // the request itself is malformed (HTTP 400, exit 1)
  unauthorized,     // who is asking is not known (401)
  forbidden,        // known, but not allowed to (403)
  not_found,        // unknown id (404)
  conflict,         // refused by the current state (409)
  too_large,        // over a size limit (413)
  refused,          // well-formed but refused by a rule (422, exit 3)
  throttled,        // too many attempts; try again later (429)
  unavailable,      // the agent cannot take it now: busy, stopping, no printer (503)
  storage,          // the ledger cannot take it now (507)
  internal,         // a bug or an environment fault; never caused by input
};

// An error is a stable snake_case code (part of the API contract), a message a
// person can act on, and for some codes a finer reason (e.g. malformed_code
// with reason bad_check_digit).
struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string code;
  std::string message;
  std::string reason;

  Error WithContext(std::string_view context) const {
    Error e = *this;
    e.message = std::string(context) + ": " + message;
    return e;
  }
};

inline Error MakeError(ErrorKind kind, std::string code, std::string message,
                       std::string reason = {}) {
  return Error{kind, std::move(code), std::move(message), std::move(reason)};
}

// A value or the error that prevented it. Small on purpose: C++20 has no
// std::expected and the domain needs no more than this.
template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT
  Expected(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)) {}  // NOLINT
  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

// Money is integer minor units (fen) of one currency. No floating point.
using MinorUnits = std::int64_t;

// a + b, or nothing when it would overflow.
inline std::optional<MinorUnits> AddMinor(MinorUnits a, MinorUnits b) {
  MinorUnits out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}
// a * n, or nothing when it would overflow.
inline std::optional<MinorUnits> MulMinor(MinorUnits a, std::int64_t n) {
  MinorUnits out = 0;
  if (__builtin_mul_overflow(a, n, &out)) return std::nullopt;
  return out;
}

// 59900 -> "599.00", -5 -> "-0.05": minor units as major units with two
// decimals, in integer arithmetic (INT64_MIN included).
std::string FormatMinor(MinorUnits minor);

// An id as the agent's ids are everywhere (store, device, terminal, a
// certificate's name): 1-64 of A-Z a-z 0-9 _ . -
bool IsValidId(std::string_view id);

// Where the domain reads the time. Production reads the system clock; tests
// and the demo set it.
class Clock {
 public:
  virtual ~Clock() = default;
  // Milliseconds since the Unix epoch, UTC.
  virtual std::int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override;
};

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t now_ms) : now_(now_ms) {}
  std::int64_t now_ms() const override { return now_; }
  void set_ms(std::int64_t now_ms) { now_ = now_ms; }
  void advance_ms(std::int64_t delta) { now_ += delta; }

 private:
  std::int64_t now_;
};

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool ValidUtf8(std::string_view s);

// RFC 3339 UTC with milliseconds, e.g. 2026-11-22T10:04:05.123Z.
std::string FormatTimestamp(std::int64_t unix_ms);
// The instant an RFC 3339 time names (2026-11-22T18:04:05.123+08:00, seconds
// and fraction optional, Z or an offset), or a date alone (2026-11-22, its
// midnight UTC), in Unix milliseconds; nothing when it is not one.
std::optional<std::int64_t> ParseTimestamp(std::string_view text);
// Days from 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's
// days_from_civil).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d);

// How many typing slips turn `a` into `b`: a letter added, dropped or
// changed, or two neighbours swapped ("sael" is one from "sale"). What a
// "did you mean" picks the nearest name by.
std::size_t TypingDistance(std::string_view a, std::string_view b);

// What an exception_ptr carries, as a line ("unknown error" for a non-std one).
std::string WhatOf(std::exception_ptr error);

// RFC 3986 percent-decoding ("o%2F1" -> "o/1"); nothing when a '%' is not
// followed by two hex digits. '+' is left as it is.
std::optional<std::string> PercentDecode(std::string_view text);

// Replaces the file at `path` with `content`, so that a power cut leaves the
// old file or the new one, never half of one: written under a temporary
// name beside it with `mode` (umask aside), fsync'd, renamed over it, and the
// directory fsync'd. Error: io_error with the path and the system's reason.
Expected<void> WriteFileAtomic(const std::string& path, std::string_view content, unsigned mode);

}  // namespace sa
