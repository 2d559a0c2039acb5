// SPDX-License-Identifier: Apache-2.0
// For the store's parts (stock, sales, shifts, inbox) only, not for their
// users: the errors they give and the guard that turns a ledger failure
// inside an operation into that operation's error.
#pragma once

#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "books.hpp"

namespace sa::store::part {

inline Error Refused(std::string code, std::string message, std::string reason = {}) {
  return MakeError(ErrorKind::refused, std::move(code), std::move(message), std::move(reason));
}
inline Error Conflict(std::string code, std::string message) {
  return MakeError(ErrorKind::conflict, std::move(code), std::move(message));
}
inline Error NotFound(std::string code, std::string message) {
  return MakeError(ErrorKind::not_found, std::move(code), std::move(message));
}
inline Error BadRequest(std::string code, std::string message) {
  return MakeError(ErrorKind::invalid_request, std::move(code), std::move(message));
}

// A reason a person must give (a price changed, the drawer opened without a
// sale): 1-200 bytes of UTF-8, else invalid_reason saying `why` it is asked.
inline std::optional<Error> CheckReason(std::string_view reason, const std::string& why) {
  if (!reason.empty() && reason.size() <= 200 && ValidUtf8(reason)) return std::nullopt;
  return BadRequest("invalid_reason", "say why " + why + " (\"reason\", 1-200 characters)");
}

// Runs one operation; a ledger failure (disk full, I/O) becomes its error
// after the Transaction destructor rolled everything back.
template <class F>
auto Guarded(F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const ledger::Failure& failure) {
    return failure.error();
  } catch (const std::exception& e) {
    // A bug, not an input: contained here so no caller is left half-done
    // (the Transaction destructor has already rolled back).
    return MakeError(ErrorKind::internal, "internal_error", e.what());
  }
}

}  // namespace sa::store::part
