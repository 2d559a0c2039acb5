// SPDX-License-Identifier: Apache-2.0
// How oms-sim's handlers answer (internal to oms-sim, not part of cloud.hpp).
// A handler returns its Reply (a JSON one from Ok, in platform/ with the JSON
// library), or refuses by throwing from wherever the request turns out wrong:
// a transaction in flight rolls back as the Refusal unwinds, and Guard turns
// it into the error Reply of PROTOCOL.md §3.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "cloud.hpp"

namespace sa::omssim {

struct Refusal {
  int status = 400;
  std::string code;
  std::string message;
  std::string allow;  // the Allow header of a 405
};

[[noreturn]] void Refuse(int status, std::string code, std::string message);

// Refuses with 405 unless the request's method is one of `allowed`: one
// method ("POST") or a list ("GET, PUT"), which is also the Allow header.
void NeedMethod(const Request& r, std::string_view allowed);

// Runs a handler. A Refusal becomes its error Reply, a SQLite failure a 500
// internal_error, and a JSON type error (a field of the wrong kind that a
// check did not catch) a 400 bad_body.
Reply Guard(const std::function<Reply()>& handle);

}  // namespace sa::omssim
