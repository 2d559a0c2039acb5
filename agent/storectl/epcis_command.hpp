// SPDX-License-Identifier: Apache-2.0
// `storectl epcis hash FILE [--prehash]`: the CBV 2.0 Event Hash ID of every
// event of any EPCIS 2.0 JSON-LD document, one line each, in document order.
// `storectl epcis export --since T [--until T] [--out FILE]`: the store's
// unit moves in the period as an EPCISDocument, read from the ledger file
// directly (the agent may be running), streamed, with progress on a terminal.
#pragma once

#include <cstdint>
#include <string>

#include "command_line.hpp"
#include "epcis.hpp"

namespace sa::ledger {
class Database;
}

namespace sa::storectl {

class EpcisCommands : public CommandGroup {
 public:
  EpcisCommands(CLI::App& app, Options& options);

 private:
  int Hash() const;
  int Export() const;
  int Write(ledger::Database& db, const epcis::Site& site, std::int64_t since, std::int64_t until,
            std::int64_t now) const;

  Options& options_;
  std::string file_;
  bool prehash_ = false;
  std::string since_;
  std::string until_;
  std::string out_ = "-";
  std::string config_;
  std::string store_id_;
  std::string gln_;
  std::string utc_offset_;
};

}  // namespace sa::storectl
