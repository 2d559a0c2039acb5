// SPDX-License-Identifier: Apache-2.0
// §9: the seeded fault draw, and the admin route that tunes it while
// oms-sim runs.
#include <utility>

#include "admin.hpp"
#include "platform/nlohmann/json.hpp"

namespace sa::omssim {
namespace {

constexpr std::int64_t kMaxDelayMs = 60'000;  // below RESTinio's handling time limit

}  // namespace

void Faults::Set(const FaultSettings& settings) { Update(settings, true); }

void Faults::Update(const FaultSettings& settings, bool reseed) {
  const std::uint64_t seed = reseed ? settings.seed : settings_.seed;
  settings_ = settings;
  settings_.seed = seed;
  if (reseed) rng_.seed(seed);
}

Fault Faults::Next() {
  // One draw per kind, in a fixed order, and at most one fault per request.
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  auto hit = [&](double p) { return uniform(rng_) < p; };
  if (hit(settings_.drop)) return Fault::drop;
  if (hit(settings_.error)) return Fault::error;
  if (hit(settings_.cut)) return Fault::cut;
  if (hit(settings_.delay)) return Fault::delay;
  return Fault::none;
}

Reply ShowFaults(const Faults& faults) {
  const auto& s = faults.settings();
  return Ok(json{{"drop", s.drop},
                 {"delay", s.delay},
                 {"error", s.error},
                 {"cut", s.cut},
                 {"delay_ms", s.delay_ms},
                 {"seed", s.seed}});
}

// Fractions left out are 0; without "seed" the generator keeps its position.
Reply PutFaults(Faults& faults, const Request& r) {
  const json doc = ParseObject(r.body);
  FaultSettings s;
  for (const auto& [name, out] : {std::pair{"drop", &s.drop}, std::pair{"delay", &s.delay},
                                  std::pair{"error", &s.error}, std::pair{"cut", &s.cut}}) {
    const json* f = Field(doc, name, false);
    if (!f) continue;
    if (!f->is_number() || f->get<double>() < 0 || f->get<double>() > 1) {
      Refuse(400, "invalid_field", std::string("\"") + name + "\" must be a fraction from 0 to 1");
    }
    *out = f->get<double>();
  }
  s.delay_ms = IntField(doc, "delay_ms", false, 0, kMaxDelayMs).value_or(0);
  const auto seed = IntField(doc, "seed", false, 0, std::int64_t{1} << 62);
  s.seed = static_cast<std::uint64_t>(seed.value_or(0));
  faults.Update(s, seed.has_value());
  return ShowFaults(faults);
}

}  // namespace sa::omssim
