// SPDX-License-Identifier: Apache-2.0
// Traceability in the trade's own terms: GS1 EPCIS 2.0 events (JSON-LD, CBV
// 2.0 vocabulary) for the unit moves the store records, and the CBV 2.0 Event
// Hash ID that names any EPCIS event the same way whoever computes it.
//
// Pure translation: the store's outbox events (their JSON payloads, exactly as
// pushed to the cloud) go in, EPCIS JSON-LD comes out. The cloud (oms-sim)
// links the same code, so an event exported by the store and by the cloud has
// the same Event Hash ID.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base.hpp"

namespace sa::epcis {

// ---- Event Hash ID (CBV 2.0, section 8.9) ----------------------------------

struct EventHash {
  std::string pre_hash;  // the canonical pre-hash string
  std::string id;        // ni:///sha-256;<64 lowercase hex>?ver=CBV2.0
};

// Every event of an EPCIS 2.0 JSON-LD document, in document order: an
// EPCISDocument (epcisBody.eventList), an EPCISQueryDocument
// (epcisBody.queryResults.resultsBody.eventList), or one bare event. Refuses
// (invalid_request, code epcis_invalid) what is not JSON or holds no events.
Expected<std::vector<EventHash>> HashDocument(std::string_view json_ld);

// ---- Export of the store's unit moves ---------------------------------------

// Where the store is, in GS1 terms (config [epcis]): its GLN (13 digits) names
// readPoint and bizLocation as https://id.gs1.org/414/<gln>; without one, the
// store's own URN urn:store-agent:loc:<store_id>.
struct Site {
  std::string store_id;
  std::string gln;         // empty, or 13 digits with a valid check digit
  std::string utc_offset;  // the store's eventTimeZoneOffset, "+08:00"; empty = "+00:00"
};

// One outbox event of the store, as the ledger keeps it.
struct Record {
  std::string id;  // the outbox event's id (UUID)
  std::string type;
  std::int64_t at_ms = 0;
  std::string payload;  // JSON object
};

// Which outbox types move units, and so become EPCIS events.
bool MovesUnits(std::string_view type);

// Writes an EPCISDocument to `sink` in pieces (header, one event each, footer),
// so an export of any size streams in bounded memory. Each record becomes the
// EPCIS events of its move (none for a type that moves nothing); `progress`, if
// set, is told after each record. Refuses a record whose payload is not the
// JSON its type needs (epcis_bad_record), naming the record.
class DocumentWriter {
 public:
  DocumentWriter(Site site, std::function<void(std::string_view)> sink);
  // An EPCISDocument, or with `query` the EPCISQueryDocument a query answers.
  void Begin(std::int64_t created_ms, bool query = false);
  Expected<int> Add(const Record& record);  // how many EPCIS events it wrote
  void End();
  std::int64_t events() const { return events_; }

 private:
  Site site_;
  std::function<void(std::string_view)> sink_;
  std::int64_t events_ = 0;
  bool query_ = false;
};

// The EPCIS events of one record, as a JSON array (for tests and the cloud).
Expected<std::string> EventsOf(const Site& site, const Record& record);

// A GLN is 13 digits whose last is the GS1 mod-10 check digit.
bool ValidGln(std::string_view gln);
// An EPCIS eventTimeZoneOffset: +HH:MM or -HH:MM, at most 14 hours.
bool ValidUtcOffset(std::string_view offset);
// The same offset in minutes east of UTC (-03:30 -> -210); nothing when invalid.
std::optional<int> UtcOffsetMinutes(std::string_view offset);

}  // namespace sa::epcis
