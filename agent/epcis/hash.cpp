// SPDX-License-Identifier: Apache-2.0
// The CBV 2.0 "EPCIS Event Hash ID" (CBV 2.0 section 8.9) of EPCIS 2.0 JSON-LD
// events: a canonical pre-hash string per event, then
// ni:///sha-256;<hex>?ver=CBV2.0.
//
// Covered (checked against the published examples of the algorithm's
// reference implementation, see tests/fixtures/epcis/hash/README.md):
//  - the canonical property order (eventTime .. sensorElementList), then the
//    rest (ilmd, user extensions, extensions nested in readPoint/bizLocation)
//    as "{namespace}local=value" strings sorted together;
//  - excluded: type (given as eventType), eventID, recordTime,
//    errorDeclaration, certificationInfo, comments ("comment", "rdfs:comment")
//    and JSON-LD keywords ("@...");
//  - values: trimmed; timestamps to UTC, millisecond 'Z' form (rounded half
//    to even like the reference); numbers without trailing zeros; CBV URNs
//    (urn:epcglobal:cbv:bizstep:..) and bare CBV words (bizStep, disposition,
//    persistentDisposition, bizTransaction/source/destination types, sensor
//    type/exception/component) to GS1 Web URIs; CURIEs gs1:, cbv:, epcis:;
//    EPC URNs (id, class lgtin, idpat) to canonical GS1 Digital Link; any GS1
//    Digital Link to its constrained canonical form on id.gs1.org;
//  - list children sorted; sensor elements in the CBV 2.0 form (no
//    "sensorElementList" wrapper).
// Not covered: XML input; the reference's document-wide JSON-LD expansion of
// bare words (only the standard fields above are expanded); CBV 2.1 profile;
// extensions nested inside quantity elements or sensor elements are hashed as
// "sensorElementList..." remainder strings without a published example.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crypto.hpp"
#include "digital_link.hpp"
#include "hash_internal.hpp"

namespace sa::epcis {
namespace {

using nlohmann::json;
using Strings = std::vector<std::string>;
using dl::AllDigits;
using dl::ConstrainDl;
using dl::EpcUrnToDl;
using dl::Split;
using dl::StartsWith;

constexpr int kMaxDepth = 64;  // deeper JSON is refused (documents) or cut (events)
constexpr std::string_view kCbv = "https://ref.gs1.org/cbv/";
constexpr std::string_view kVoc = "https://ref.gs1.org/voc/";

// ---- small string helpers ---------------------------------------------------

std::string Trim(std::string_view s) {
  constexpr std::string_view kWs = " \t\n\r\f\v";
  const auto b = s.find_first_not_of(kWs);
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(kWs) - b + 1));
}

std::string JoinSorted(Strings parts) {
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) out += p;
  return out;
}

// ---- numbers ------------------------------------------------------------------

// A JSON number's text in the form the reference prints a number: no sign
// for positives, no trailing zeros, an integral value without a fraction, a
// fraction in fixed notation, both for decimal exponents -4..15, else
// scientific
// (1e-05, 1.5e+16). Worked on the decimal digits themselves, never through
// binary fractions (docs/design.md invariant 6): the same as an IEEE binary64's
// shortest form for up to 15 significant digits; longer texts keep their
// digits. Nothing when `s` is not a decimal number.
std::optional<std::string> CanonicalNumber(std::string_view s) {
  size_t i = 0;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) ++i;
  std::string digits;
  std::int64_t exp10 = 0;  // value = digits x 10^exp10
  size_t seen = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++seen) digits += s[i];
  if (i < s.size() && s[i] == '.') {
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++seen, --exp10) digits += s[i];
  }
  if (seen == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    const bool minus = i < s.size() && s[i] == '-';
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!AllDigits(s.substr(i)) || s.size() - i > 6) return std::nullopt;
    std::int64_t e = 0;
    for (; i < s.size(); ++i) e = e * 10 + (s[i] - '0');
    exp10 += minus ? -e : e;
  }
  if (i != s.size()) return std::nullopt;
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size()));
  if (digits.empty()) return "0";
  while (digits.back() == '0') digits.pop_back(), ++exp10;
  const auto n = static_cast<std::int64_t>(digits.size());
  const std::int64_t sci = n - 1 + exp10;
  std::string out = negative ? "-" : "";
  if (exp10 >= 0 && sci < 16) return out + digits + std::string(static_cast<size_t>(exp10), '0');
  if (exp10 < 0 && sci >= -4 && sci < 16) {
    if (sci >= 0) {
      const auto whole = static_cast<size_t>(sci + 1);
      return out + digits.substr(0, whole) + "." + digits.substr(whole);
    }
    return out + "0." + std::string(static_cast<size_t>(-sci - 1), '0') + digits;
  }
  out += digits.substr(0, 1);
  if (n > 1) out += "." + digits.substr(1);
  const std::string e = std::to_string(sci < 0 ? -sci : sci);
  return out + "e" + (sci < 0 ? "-" : "+") + (e.size() < 2 ? "0" : "") + e;
}

std::string NormaliseNumber(const std::string& text) {
  return CanonicalNumber(text).value_or(text);
}

// ---- timestamps ---------------------------------------------------------------

int Num(std::string_view s) {
  int v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// Milliseconds since the epoch of "YYYY-MM-DDTHH:MM:SS[.f][Z|+HH:MM|+HHMM]"
// (no zone: UTC); the fraction is cut to microseconds, then rounded half to
// even to milliseconds.
std::optional<std::int64_t> ParseTimestamp(std::string_view s) {
  auto digits_at = [&](size_t pos, size_t n) {
    return pos + n <= s.size() && AllDigits(s.substr(pos, n));
  };
  if (!digits_at(0, 4) || s.size() < 19 || s[4] != '-' || !digits_at(5, 2) || s[7] != '-' ||
      !digits_at(8, 2) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits_at(11, 2) ||
      s[13] != ':' || !digits_at(14, 2) || s[16] != ':' || !digits_at(17, 2)) {
    return std::nullopt;
  }
  const int mon = Num(s.substr(5, 2)), day = Num(s.substr(8, 2));
  const int hh = Num(s.substr(11, 2)), mi = Num(s.substr(14, 2)), ss = Num(s.substr(17, 2));
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hh > 23 || mi > 59 || ss > 59)
    return std::nullopt;
  size_t i = 19;
  std::string frac;
  if (i < s.size() && (s[i] == '.' || s[i] == ',')) {
    while (++i < s.size() && s[i] >= '0' && s[i] <= '9') frac += s[i];
    if (frac.empty()) return std::nullopt;
  }
  frac = (frac + "000000").substr(0, 6);
  int offset_min = 0;
  std::string_view zone = s.substr(i);
  if (zone == "Z" || zone == "z") {
  } else if (zone.size() >= 5 && (zone[0] == '+' || zone[0] == '-') && digits_at(i + 1, 2)) {
    std::string_view mm = zone.substr(zone[3] == ':' ? 4 : 3);
    if (mm.size() != 2 || !AllDigits(mm)) return std::nullopt;
    offset_min = (Num(zone.substr(1, 2)) * 60 + Num(mm)) * (zone[0] == '-' ? -1 : 1);
  } else if (!zone.empty()) {
    return std::nullopt;
  }
  const int micro = Num(frac);
  int ms = micro / 1000;
  const int rem = micro % 1000;
  if (rem > 500 || (rem == 500 && ms % 2 == 1)) ++ms;
  const std::int64_t days =
      DaysFromCivil(Num(s.substr(0, 4)), static_cast<unsigned>(mon), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hh * 3600 + mi * 60 + ss - offset_min * 60;
  return secs * 1000 + ms;
}

std::string NormaliseTimestamp(const std::string& text) {
  auto ms = ParseTimestamp(text);
  return ms ? FormatTimestamp(*ms) : text;
}

// ---- value canonicalisation -----------------------------------------------------

std::string ExpandCurie(const std::string& text) {
  static constexpr std::array<std::array<std::string_view, 2>, 3> kStandard = {
      {{"gs1:", kVoc}, {"cbv:", kCbv}, {"epcis:", "https://ref.gs1.org/epcis/"}}};
  for (const auto& [prefix, iri] : kStandard) {
    if (StartsWith(text, prefix)) return std::string(iri) + text.substr(prefix.size());
  }
  return text;
}

std::string CbvUrnToWeb(const std::string& text) {
  static constexpr std::array<std::array<std::string_view, 2>, 5> kUrns = {
      {{"urn:epcglobal:cbv:bizstep:", "BizStep-"},
       {"urn:epcglobal:cbv:disp:", "Disp-"},
       {"urn:epcglobal:cbv:btt:", "BTT-"},
       {"urn:epcglobal:cbv:sdt:", "SDT-"},
       {"urn:epcglobal:cbv:er:", "ER-"}}};
  for (const auto& [urn, term] : kUrns) {
    if (StartsWith(text, urn))
      return std::string(kCbv) + std::string(term) + text.substr(urn.size());
  }
  return text;
}

// A trimmed value through every normalisation but timestamps.
std::string Canon(std::string_view raw) {
  std::string text = NormaliseNumber(CbvUrnToWeb(ExpandCurie(Trim(raw))));
  if (auto dl = EpcUrnToDl(text)) return *dl;
  if (auto dl = ConstrainDl(text)) return *dl;
  return text;
}

// A bare CBV word (no ':') as its Web URI under `base`.
std::string Vocab(std::string_view raw, std::string_view base) {
  std::string text = Trim(raw);
  if (text.empty() || text.find(':') != std::string::npos) return Canon(text);
  return std::string(base) + text;
}

bool IsScalar(const json& v) { return v.is_string() || v.is_number() || v.is_boolean(); }

std::string ScalarText(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();
  return {};
}

// ---- the walk -----------------------------------------------------------------------

enum class Kind { plain, time, bizstep, disp, btt, sdt, voc, comp };

std::string Value(const json& v, Kind kind) {
  const std::string text = ScalarText(v);
  switch (kind) {
    case Kind::time: return NormaliseTimestamp(Trim(text));
    case Kind::bizstep: return Vocab(text, std::string(kCbv) + "BizStep-");
    case Kind::disp: return Vocab(text, std::string(kCbv) + "Disp-");
    case Kind::btt: return Vocab(text, std::string(kCbv) + "BTT-");
    case Kind::sdt: return Vocab(text, std::string(kCbv) + "SDT-");
    case Kind::voc: return Vocab(text, kVoc);
    case Kind::comp: return Vocab(text, std::string(kCbv) + "Comp-");
    case Kind::plain: break;
  }
  return Canon(text);
}

struct Field {
  const char* key;
  Kind kind;
};

class Walker {
 public:
  explicit Walker(const Namespaces& ns) : ns_(ns) {}

  std::string Event(const json& e);

 private:
  std::string Key(const std::string& key) const;
  static bool Ignored(const std::string& key);
  Strings Generic(const std::string& key, const json& v, int depth) const;
  Strings ChildParts(const json& obj, const std::vector<std::string>& skip, int depth) const;
  std::string Children(const json& obj, const std::vector<std::string>& skip, int depth) const;
  std::string Fields(const json& obj, const std::vector<Field>& fields) const;
  std::string EpcList(const json& v, const char* key) const;
  std::string QuantityList(const json& v, const char* key) const;
  std::string TypedList(const json& v, const char* key, const char* item, Kind type_kind) const;
  std::string Persistent(const json& v) const;
  std::string Location(const json& v, const char* key, Strings* rest) const;
  std::string Sensors(const json& v, Strings* rest) const;

  const Namespaces& ns_;
};

std::string Walker::Key(const std::string& key) const {
  const auto colon = key.find(':');
  if (colon == std::string::npos) return key;
  const auto it = ns_.find(key.substr(0, colon));
  if (it == ns_.end()) return key;
  return "{" + it->second + "}" + key.substr(colon + 1);
}

bool Walker::Ignored(const std::string& key) {
  return key.empty() || key[0] == '@' || key == "#text" || key == "comment" ||
         key == "rdfs:comment";
}

// "{ns}local=value" strings of one member (one per element of an array).
Strings Walker::Generic(const std::string& key, const json& v, int depth) const {
  Strings out;
  if (depth > kMaxDepth) return out;
  if (v.is_array()) {
    for (const auto& e : v) {
      for (auto& s : Generic(key, e, depth + 1)) out.push_back(std::move(s));
    }
    return out;
  }
  std::string s = Key(key);
  if (v.is_object()) {
    const auto text = v.find("#text");
    if (text != v.end() && IsScalar(*text) && !Trim(ScalarText(*text)).empty()) {
      s += "=" + Canon(ScalarText(*text));
    }
    s += Children(v, {}, depth + 1);
  } else if (!Trim(ScalarText(v)).empty()) {
    s += "=" + Canon(ScalarText(v));
  }
  out.push_back(std::move(s));
  return out;
}

// The members of `obj` not in `skip`, as generic strings.
Strings Walker::ChildParts(const json& obj, const std::vector<std::string>& skip, int depth) const {
  Strings parts;
  for (const auto& [k, v] : obj.items()) {
    if (Ignored(k) || std::find(skip.begin(), skip.end(), k) != skip.end()) continue;
    for (auto& s : Generic(k, v, depth)) parts.push_back(std::move(s));
  }
  return parts;
}

std::string Walker::Children(const json& obj, const std::vector<std::string>& skip,
                             int depth) const {
  return JoinSorted(ChildParts(obj, skip, depth));
}

// "key=value" for each field present, in the given order.
std::string Walker::Fields(const json& obj, const std::vector<Field>& fields) const {
  std::string out;
  for (const auto& f : fields) {
    const auto it = obj.find(f.key);
    if (it == obj.end() || !IsScalar(*it)) continue;
    const std::string value = Value(*it, f.kind);
    if (!value.empty()) out += std::string(f.key) + "=" + value;
  }
  return out;
}

std::string Walker::EpcList(const json& v, const char* key) const {
  Strings parts;
  const json list = v.is_array() ? v : json::array({v});
  for (const auto& e : list) {
    if (IsScalar(e) && !Value(e, Kind::plain).empty())
      parts.push_back("epc=" + Value(e, Kind::plain));
  }
  return parts.empty() ? "" : key + JoinSorted(std::move(parts));
}

std::string Walker::QuantityList(const json& v, const char* key) const {
  Strings parts;
  for (const auto& e : v.is_array() ? v : json::array({v})) {
    if (!e.is_object()) continue;
    const std::string fields =
        Fields(e, {{"epcClass", Kind::plain}, {"quantity", Kind::plain}, {"uom", Kind::plain}});
    if (!fields.empty()) parts.push_back("quantityElement" + fields);
  }
  return parts.empty() ? "" : key + JoinSorted(std::move(parts));
}

// bizTransactionList / sourceList / destinationList: type first, then the id.
std::string Walker::TypedList(const json& v, const char* key, const char* item,
                              Kind type_kind) const {
  Strings parts;
  for (const auto& e : v.is_array() ? v : json::array({v})) {
    if (!e.is_object()) continue;
    const std::string fields = Fields(e, {{"type", type_kind}, {item, Kind::plain}});
    if (!fields.empty()) parts.push_back(fields);
  }
  return parts.empty() ? "" : key + JoinSorted(std::move(parts));
}

std::string Walker::Persistent(const json& v) const {
  if (!v.is_object()) return "";
  std::string out;
  for (const char* key : {"set", "unset"}) {
    const auto it = v.find(key);
    if (it == v.end()) continue;
    Strings parts;
    for (const auto& e : it->is_array() ? *it : json::array({*it})) {
      if (IsScalar(e)) parts.push_back(std::string(key) + "=" + Value(e, Kind::disp));
    }
    out += JoinSorted(std::move(parts));
  }
  return out.empty() ? "" : "persistentDisposition" + out;
}

// readPoint / bizLocation: "key" + "id=..."; other members (extensions) go
// to the remainder, prefixed with the key.
std::string Walker::Location(const json& v, const char* key, Strings* rest) const {
  if (IsScalar(v)) return std::string(key) + "id=" + Value(v, Kind::plain);
  if (!v.is_object()) return "";
  const std::string extra = Children(v, {"id"}, 1);
  if (!extra.empty()) rest->push_back(key + extra);
  const std::string id = Fields(v, {{"id", Kind::plain}});
  return id.empty() ? "" : key + id;
}

std::string Walker::Sensors(const json& v, Strings* rest) const {
  static const std::vector<Field> kMeta = {{"time", Kind::time},
                                           {"startTime", Kind::time},
                                           {"endTime", Kind::time},
                                           {"deviceID", Kind::plain},
                                           {"deviceMetadata", Kind::plain},
                                           {"rawData", Kind::plain},
                                           {"dataProcessingMethod", Kind::plain},
                                           {"bizRules", Kind::plain}};
  static const std::vector<Field> kReport = {{"type", Kind::voc},
                                             {"exception", Kind::voc},
                                             {"deviceID", Kind::plain},
                                             {"deviceMetadata", Kind::plain},
                                             {"rawData", Kind::plain},
                                             {"dataProcessingMethod", Kind::plain},
                                             {"time", Kind::time},
                                             {"microorganism", Kind::plain},
                                             {"chemicalSubstance", Kind::plain},
                                             {"value", Kind::plain},
                                             {"component", Kind::comp},
                                             {"stringValue", Kind::plain},
                                             {"booleanValue", Kind::plain},
                                             {"hexBinaryValue", Kind::plain},
                                             {"uriValue", Kind::plain},
                                             {"minValue", Kind::plain},
                                             {"maxValue", Kind::plain},
                                             {"meanValue", Kind::plain},
                                             {"sDev", Kind::plain},
                                             {"percRank", Kind::plain},
                                             {"percValue", Kind::plain},
                                             {"uom", Kind::plain},
                                             {"coordinateReferenceSystem", Kind::plain}};
  const auto names = [](const std::vector<Field>& fs) {
    std::vector<std::string> out;
    for (const auto& f : fs) out.emplace_back(f.key);
    return out;
  };
  Strings elements;
  Strings leftovers;
  for (const auto& el : v.is_array() ? v : json::array({v})) {
    if (!el.is_object()) continue;
    std::string s;
    std::string extra = Children(el, {"sensorMetadata", "sensorReport"}, 2);
    const auto meta = el.find("sensorMetadata");
    if (meta != el.end() && meta->is_object()) {
      const std::string m = Fields(*meta, kMeta);
      if (!m.empty()) s += "sensorMetadata" + m;
      const std::string me = Children(*meta, names(kMeta), 3);
      if (!me.empty()) extra += "sensorMetadata" + me;
    }
    Strings reports;
    const auto rep = el.find("sensorReport");
    for (const auto& r : rep == el.end()   ? json::array()
                         : rep->is_array() ? *rep
                                           : json::array({*rep})) {
      if (!r.is_object()) continue;
      const std::string f = Fields(r, kReport);
      if (!f.empty()) reports.push_back("sensorReport" + f);
      const std::string re = Children(r, names(kReport), 3);
      if (!re.empty()) extra += "sensorReport" + re;
    }
    s += JoinSorted(std::move(reports));
    if (!s.empty()) elements.push_back("sensorElement" + s);
    if (!extra.empty()) leftovers.push_back("sensorElement" + extra);
  }
  if (!leftovers.empty()) rest->push_back("sensorElementList" + JoinSorted(std::move(leftovers)));
  return JoinSorted(std::move(elements));
}

std::string Walker::Event(const json& e) {
  std::string out = "eventType=" + ScalarText(e.value("type", json()));
  Strings rest;
  std::vector<std::string> done = {"type", "eventID", "recordTime", "errorDeclaration",
                                   "certificationInfo"};
  auto take = [&](const char* key) -> const json* {
    done.emplace_back(key);
    const auto it = e.find(key);
    return it == e.end() ? nullptr : &*it;
  };
  auto scalar = [&](const char* key, Kind kind) {
    const json* v = take(key);
    if (v == nullptr) return;
    if (!IsScalar(*v)) {
      done.pop_back();  // not the standard shape: hashed with the remainder
      return;
    }
    const std::string value = Value(*v, kind);
    if (!value.empty()) out += std::string(key) + "=" + value;
  };
  scalar("eventTime", Kind::time);
  scalar("eventTimeZoneOffset", Kind::plain);
  if (const json* v = take("epcList")) out += EpcList(*v, "epcList");
  scalar("parentID", Kind::plain);
  if (const json* v = take("inputEPCList")) out += EpcList(*v, "inputEPCList");
  if (const json* v = take("childEPCs")) out += EpcList(*v, "childEPCs");
  for (const char* key : {"quantityList", "childQuantityList", "inputQuantityList"}) {
    if (const json* v = take(key)) out += QuantityList(*v, key);
  }
  if (const json* v = take("outputEPCList")) out += EpcList(*v, "outputEPCList");
  if (const json* v = take("outputQuantityList")) out += QuantityList(*v, "outputQuantityList");
  scalar("action", Kind::plain);
  scalar("transformationID", Kind::plain);
  scalar("bizStep", Kind::bizstep);
  scalar("disposition", Kind::disp);
  if (const json* v = take("persistentDisposition")) out += Persistent(*v);
  if (const json* v = take("readPoint")) out += Location(*v, "readPoint", &rest);
  if (const json* v = take("bizLocation")) out += Location(*v, "bizLocation", &rest);
  if (const json* v = take("bizTransactionList")) {
    out += TypedList(*v, "bizTransactionList", "bizTransaction", Kind::btt);
  }
  if (const json* v = take("sourceList")) out += TypedList(*v, "sourceList", "source", Kind::sdt);
  if (const json* v = take("destinationList")) {
    out += TypedList(*v, "destinationList", "destination", Kind::sdt);
  }
  if (const json* v = take("sensorElementList")) out += Sensors(*v, &rest);
  for (auto& s : ChildParts(e, done, 1)) rest.push_back(std::move(s));
  return out + JoinSorted(std::move(rest));
}

// ---- documents ------------------------------------------------------------------------

Error Invalid(std::string message) {
  return MakeError(ErrorKind::invalid_request, "epcis_invalid", std::move(message));
}

bool TooDeep(const json& root) {
  std::vector<std::pair<const json*, int>> stack = {{&root, 0}};
  while (!stack.empty()) {
    auto [node, depth] = stack.back();
    stack.pop_back();
    if (depth > kMaxDepth) return true;
    if (node->is_structured()) {
      for (const auto& child : *node) stack.emplace_back(&child, depth + 1);
    }
  }
  return false;
}

Namespaces ContextNamespaces(const json& doc) {
  Namespaces ns;
  const auto ctx = doc.find("@context");
  if (ctx == doc.end()) return ns;
  for (const auto& c : ctx->is_array() ? *ctx : json::array({*ctx})) {
    if (!c.is_object()) continue;
    for (const auto& [k, v] : c.items()) {
      if (v.is_string()) ns[k] = v.get<std::string>();
    }
  }
  return ns;
}

// The event list of a document (or the bare event itself); null if none.
const json* EventList(const json& doc, json* single) {
  const auto body = doc.find("epcisBody");
  if (body == doc.end()) {
    if (!doc.contains("type")) return nullptr;
    *single = json::array({doc});
    return single;
  }
  if (!body->is_object()) return nullptr;
  if (auto it = body->find("eventList"); it != body->end()) return &*it;
  const json::json_pointer results("/queryResults/resultsBody/eventList");
  if (body->contains(results)) return &(*body)[results];
  if (auto it = body->find("event"); it != body->end()) {
    *single = json::array({*it});
    return single;
  }
  return nullptr;
}

Expected<std::vector<EventHash>> HashParsed(const json& doc) {
  if (!doc.is_object()) return Invalid("the document is not a JSON object");
  if (TooDeep(doc)) return Invalid("the document is nested deeper than 64 levels");
  json single;
  const json* list = EventList(doc, &single);
  if (list == nullptr || !list->is_array() || list->empty()) {
    return Invalid(
        "no events: expected epcisBody.eventList, a query document's "
        "epcisBody.queryResults.resultsBody.eventList, or one event object");
  }
  const Namespaces ns = ContextNamespaces(doc);
  std::vector<EventHash> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const json& event = (*list)[i];
    const std::string n = "event " + std::to_string(i + 1);
    if (!event.is_object()) return Invalid(n + " is not a JSON object");
    const auto type = event.find("type");
    if (type == event.end() || !type->is_string() || type->get<std::string>().empty()) {
      return Invalid(n + " has no \"type\" (e.g. \"ObjectEvent\")");
    }
    out.push_back(HashEvent(event, ns));
  }
  return out;
}

}  // namespace

EventHash HashEvent(const nlohmann::json& event, const Namespaces& namespaces) {
  Namespaces ns = {{"gs1", std::string(kVoc)},
                   {"cbv", std::string(kCbv)},
                   {"epcis", "https://ref.gs1.org/epcis/"},
                   {"cbvmda", "urn:epcglobal:cbv:mda"}};
  for (const auto& [prefix, iri] : namespaces) ns[prefix] = iri;
  ns["gs1"] = std::string(kVoc);  // as the reference: gs1 is always the GS1 Web Vocabulary
  EventHash h;
  try {
    h.pre_hash = event.is_object() ? Walker(ns).Event(event) : std::string();
  } catch (const std::exception&) {
    h.pre_hash = "eventType=";  // unreachable for parsed JSON; never throws out
  }
  h.id = "ni:///sha-256;" + crypto::ToHex(crypto::Sha256(h.pre_hash)) + "?ver=CBV2.0";
  return h;
}

Expected<std::vector<EventHash>> HashDocument(std::string_view json_ld) {
  try {
    const json doc = json::parse(json_ld, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) return Invalid("not JSON: the document does not parse as JSON");
    return HashParsed(doc);
  } catch (const std::exception& e) {
    return Invalid(std::string("unreadable EPCIS document: ") + e.what());
  }
}

}  // namespace sa::epcis
