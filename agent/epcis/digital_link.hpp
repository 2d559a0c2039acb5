// SPDX-License-Identifier: Apache-2.0
// GS1 identifiers as the Event Hash ID canonicalises them (internal to
// sa_epcis): EPC URNs (urn:epc:id:..., urn:epc:class:lgtin:...,
// urn:epc:idpat:...) to GS1 Digital Link, and any GS1 Digital Link to its
// constrained canonical form on id.gs1.org (primary key and the key
// qualifiers the algorithm keeps, no query string).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sa::epcis::dl {

// The Digital Link of an EPC URN; nothing when `uri` is not one.
std::optional<std::string> EpcUrnToDl(std::string_view uri);
// The constrained canonical form of a GS1 Digital Link; nothing when `uri`
// is not one.
std::optional<std::string> ConstrainDl(std::string_view uri);

// Small text helpers the canonicalisation shares.
bool AllDigits(std::string_view s);
bool StartsWith(std::string_view s, std::string_view p);
std::vector<std::string> Split(std::string_view s, char sep);

}  // namespace sa::epcis::dl
