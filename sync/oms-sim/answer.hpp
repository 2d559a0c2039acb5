// SPDX-License-Identifier: Apache-2.0
// How oms-sim's handlers answer (internal to oms-sim, not part of cloud.hpp).
// A handler returns its Reply, or refuses by throwing from wherever the
// request turns out wrong: a transaction in flight rolls back as the Refusal
// unwinds, and Guard turns it into the error Reply of PROTOCOL.md §3.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "cloud.hpp"

namespace sa::omssim {

// Ordered: an event is stored and shown with its keys in the order the device
// sent them, and our own answers read in a stable order.
using json = nlohmann::ordered_json;

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

// Compact JSON; invalid UTF-8 in a device's text is replaced, not fatal.
std::string Dump(const json& j);

// 200 with that body.
Reply Ok(const json& j);

// Runs a handler. A Refusal becomes its error Reply, a SQLite failure a 500
// internal_error, and a JSON type error (a field of the wrong kind that a
// check did not catch) a 400 bad_body.
Reply Guard(const std::function<Reply()>& handle);

}  // namespace sa::omssim
