// SPDX-License-Identifier: Apache-2.0
#include "answer.hpp"

#include <utility>

#include "ledger.hpp"
#include "platform/nlohmann/json.hpp"

namespace sa::omssim {

void Refuse(int status, std::string code, std::string message) {
  throw Refusal{status, std::move(code), std::move(message), {}};
}

void NeedMethod(const Request& r, std::string_view allowed) {
  std::string_view rest = allowed;
  while (!rest.empty()) {
    const auto comma = rest.find(", ");
    if (rest.substr(0, comma) == r.method) return;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 2);
  }
  throw Refusal{405, "method_not_allowed", r.method + " is not allowed here", std::string(allowed)};
}

Reply ErrorReply(int status, std::string_view code, std::string_view message) {
  return Reply{status, Dump(json{{"error", {{"code", code}, {"message", message}}}}), {}};
}

Reply Guard(const std::function<Reply()>& handle) {
  try {
    return handle();
  } catch (const Refusal& r) {
    Reply reply = ErrorReply(r.status, r.code, r.message);
    reply.allow = r.allow;
    return reply;
  } catch (const ledger::Failure& f) {
    return ErrorReply(500, "internal_error", f.error().message);
  } catch (const json::exception& e) {
    return ErrorReply(400, "bad_body", e.what());
  }
}

}  // namespace sa::omssim
