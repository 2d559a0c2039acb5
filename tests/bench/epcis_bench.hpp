// SPDX-License-Identifier: Apache-2.0
// sa-bench epcis: export a ledger's N unit moves as an EPCIS 2.0 document
// (storectl epcis export's path: Books::EachEvent into epcis::DocumentWriter,
// to a file), against the ledger's plain read of the same rows, in one run;
// events/s and peak RSS of each.
#pragma once

#include <string>

namespace sa::bench {

int RunEpcisScenario(int events, const std::string& dir_option);

}  // namespace sa::bench
