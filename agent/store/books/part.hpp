// SPDX-License-Identifier: Apache-2.0
// For the store's parts (stock, sales, shifts, inbox) only, not for their
// users: the errors they give and the guard that turns a ledger failure
// inside an operation into that operation's error.
#pragma once

#include <exception>
#include <string>

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
