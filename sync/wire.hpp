// SPDX-License-Identifier: Apache-2.0
// The cloud protocol's bodies (PROTOCOL.md §3-§5) written and read: the JSON
// lives in platform/json/wire.cpp. A cloud's answer is read field by field
// with its type checked: a mistyped field reads as absent or makes the
// answer bad_answer, never an exception (invariant 9: a cloud that answers
// {"status":7} must not end the sync thread). Private to the sync module.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "store.hpp"

namespace sa::sync::wire {

std::string RegisterBody(std::string_view store_id, std::string_view device_id,
                         std::string_view key_base64url, std::string_view agent_version);
// {"store_id","device_id","events":[...]} around events already enveloped.
std::string PushBody(std::string_view store_id, std::string_view device_id,
                     const std::vector<std::string>& events);

// The code of an error answer {"error":{"code"}}; "" when it has none.
std::string ErrorCode(std::string_view body);

struct PushAnswer {
  std::int64_t acked_seq = 0;
  bool expected_seq = false;           // the cloud says which seq it expects (a gap)
  std::vector<store::Alert> rejected;  // events the cloud refused, as alerts
};
// bad_answer unless acked_seq is an integer in 0..last_seq.
Expected<PushAnswer> ReadPushAnswer(std::string_view body, std::int64_t last_seq);

struct PullAnswer {
  std::vector<store::Change> changes;
  std::int64_t cursor = 0;
  bool more = false;
};
// bad_answer for a page without changes or cursor, or a change without one.
Expected<PullAnswer> ReadPullAnswer(std::string_view body);

// {"store_id","device_id","period":{"kind":"shift","id","terminal","opened_at",
// "closed_at"},"last_seq","sales":[{"id","total"}],"refunds":[{"id","amount"}]}
// (PROTOCOL.md §12).
std::string ReconcileBody(std::string_view store_id, std::string_view device_id,
                          const store::ShiftReconciliation& shift);

struct ReconcileAnswer {
  std::string status;   // match | mismatch | pending
  std::string detail;   // the answer's JSON object
  std::string summary;  // a mismatch in a manager's words: what is missing or differs
};
// bad_answer unless status is one of the three.
Expected<ReconcileAnswer> ReadReconcileAnswer(std::string_view body, std::string_view shift_id);

}  // namespace sa::sync::wire
