// SPDX-License-Identifier: Apache-2.0
// For the store's parts' JSON files only: a manager's approval as every event
// and answer writes it, {"manager","via"} (manager null for the API token),
// null when there was none.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "books.hpp"

namespace sa::store::part {

inline nlohmann::json ApprovalJson(const std::optional<Approval>& approved) {
  if (!approved) return nullptr;
  return {{"manager",
           approved->manager.empty() ? nlohmann::json(nullptr) : nlohmann::json(approved->manager)},
          {"via", approved->via}};
}

}  // namespace sa::store::part
