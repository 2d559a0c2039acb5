// SPDX-License-Identifier: Apache-2.0
// The Event Hash ID of one event already parsed (the export hashes the events
// it builds without printing and re-reading them). Internal to sa_epcis.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "epcis.hpp"

namespace sa::epcis {

// Prefix -> namespace IRI, from the document's @context (for user extension
// fields such as "example:myField"); empty for the store's own events.
using Namespaces = std::map<std::string, std::string>;

EventHash HashEvent(const nlohmann::json& event, const Namespaces& namespaces);

}  // namespace sa::epcis
