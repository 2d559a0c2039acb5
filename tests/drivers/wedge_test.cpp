// SPDX-License-Identifier: Apache-2.0
// WedgeDecoder over recorded key streams: hand-written event sequences, and a
// small "typist" that presses keys from its own per-layout tables (written
// from the keyboards, not from the decoder's tables).
#include <linux/input-event-codes.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <vector>

#include "drivers.hpp"

using sa::drivers::KeyCodeByName;
using sa::drivers::KeyEvent;
using sa::drivers::KnownLayout;
using sa::drivers::WedgeDecoder;
using sa::drivers::WedgeOptions;

namespace {

constexpr std::int64_t kFast = 2000;    // 2 ms between keys: a scanner
constexpr std::int64_t kSlow = 200000;  // 200 ms: a person

enum class Mod { none, shift, altgr };

struct Stroke {
  std::uint16_t code;
  Mod mod = Mod::none;
};

// A recorded stream being built: presses are `gap` apart.
struct Recorder {
  std::vector<KeyEvent> events;
  std::int64_t now = 1'000'000;

  void Press(std::uint16_t code, std::int64_t gap = kFast) {
    now += gap;
    events.push_back({now, EV_KEY, code, 1});
  }
  void Release(std::uint16_t code) { events.push_back({now + 500, EV_KEY, code, 0}); }
  void Tap(std::uint16_t code, std::int64_t gap = kFast) {
    Press(code, gap);
    Release(code);
  }
  void Stroke_(const Stroke& s, std::int64_t gap = kFast) {
    const std::uint16_t mod = s.mod == Mod::shift ? KEY_LEFTSHIFT : KEY_RIGHTALT;
    if (s.mod != Mod::none) Press(mod, gap);
    Tap(s.code, s.mod != Mod::none ? kFast : gap);
    if (s.mod != Mod::none) Release(mod);
  }
};

// The US keyboard, as printed on it.
std::map<char, Stroke> UsKeys() {
  std::map<char, Stroke> m;
  const std::string row1 = "qwertyuiop", row2 = "asdfghjkl", row3 = "zxcvbnm";
  const std::uint16_t c1[] = {KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O, KEY_P};
  const std::uint16_t c2[] = {KEY_A, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K, KEY_L};
  const std::uint16_t c3[] = {KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M};
  auto letters = [&](const std::string& row, const std::uint16_t* codes) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      m[row[i]] = {codes[i]};
      m[static_cast<char>(row[i] - 'a' + 'A')] = {codes[i], Mod::shift};
    }
  };
  letters(row1, c1);
  letters(row2, c2);
  letters(row3, c3);
  const std::uint16_t digits[] = {KEY_0, KEY_1, KEY_2, KEY_3, KEY_4,
                                  KEY_5, KEY_6, KEY_7, KEY_8, KEY_9};
  const std::string shifted_digits = ")!@#$%^&*(";
  for (int d = 0; d < 10; ++d) {
    m[static_cast<char>('0' + d)] = {digits[d]};
    m[shifted_digits[static_cast<std::size_t>(d)]] = {digits[d], Mod::shift};
  }
  m['-'] = {KEY_MINUS};
  m['_'] = {KEY_MINUS, Mod::shift};
  m['='] = {KEY_EQUAL};
  m['+'] = {KEY_EQUAL, Mod::shift};
  m['['] = {KEY_LEFTBRACE};
  m['{'] = {KEY_LEFTBRACE, Mod::shift};
  m[']'] = {KEY_RIGHTBRACE};
  m['}'] = {KEY_RIGHTBRACE, Mod::shift};
  m[';'] = {KEY_SEMICOLON};
  m[':'] = {KEY_SEMICOLON, Mod::shift};
  m['\''] = {KEY_APOSTROPHE};
  m['"'] = {KEY_APOSTROPHE, Mod::shift};
  m['`'] = {KEY_GRAVE};
  m['~'] = {KEY_GRAVE, Mod::shift};
  m['\\'] = {KEY_BACKSLASH};
  m['|'] = {KEY_BACKSLASH, Mod::shift};
  m[','] = {KEY_COMMA};
  m['<'] = {KEY_COMMA, Mod::shift};
  m['.'] = {KEY_DOT};
  m['>'] = {KEY_DOT, Mod::shift};
  m['/'] = {KEY_SLASH};
  m['?'] = {KEY_SLASH, Mod::shift};
  m[' '] = {KEY_SPACE};
  return m;
}

// "Types" `text` through the US keyboard: press/release pairs `gap` apart.
void TypeUs(Recorder& r, const std::string& text, std::int64_t gap = kFast) {
  static const auto keys = UsKeys();
  for (char c : text) r.Stroke_(keys.at(c), gap);
}

// Feeds every event; returns the codes completed, in order.
std::vector<std::string> Run(WedgeDecoder& d, const std::vector<KeyEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) {
    if (auto code = d.Feed(e)) out.push_back(*code);
  }
  return out;
}

std::vector<std::string> Run(const std::vector<KeyEvent>& events, WedgeOptions options = {}) {
  WedgeDecoder d(std::move(options));
  return Run(d, events);
}

using Codes = std::vector<std::string>;

const std::string kUrlPunct = "/:.-_?=&%#+~;,@!*'()$[]";

}  // namespace

TEST_CASE("wedge hand-written stream of lower case and digits") {
  const std::vector<KeyEvent> events = {
      {1000, EV_KEY, KEY_A, 1}, {1100, EV_KEY, KEY_A, 0},     {3000, EV_MSC, 4, 0x70004},
      {3000, EV_KEY, KEY_B, 1}, {3100, EV_SYN, 0, 0},         {3200, EV_KEY, KEY_B, 0},
      {5000, EV_KEY, KEY_0, 1}, {5100, EV_KEY, KEY_0, 0},     {7000, EV_KEY, KEY_9, 1},
      {7100, EV_KEY, KEY_9, 0}, {9000, EV_KEY, KEY_ENTER, 1}, {9100, EV_KEY, KEY_ENTER, 0},
  };
  CHECK(Run(events) == Codes{"ab09"});
}

TEST_CASE("wedge upper case via left and right Shift") {
  const std::vector<KeyEvent> events = {
      {1000, EV_KEY, KEY_LEFTSHIFT, 1},  {2000, EV_KEY, KEY_A, 1},
      {2100, EV_KEY, KEY_A, 0},          {2200, EV_KEY, KEY_LEFTSHIFT, 0},
      {3000, EV_KEY, KEY_B, 1},          {3100, EV_KEY, KEY_B, 0},
      {4000, EV_KEY, KEY_RIGHTSHIFT, 1}, {5000, EV_KEY, KEY_C, 1},
      {5100, EV_KEY, KEY_C, 0},          {5200, EV_KEY, KEY_1, 1},
      {5300, EV_KEY, KEY_1, 0},          {5400, EV_KEY, KEY_RIGHTSHIFT, 0},
      {6000, EV_KEY, KEY_ENTER, 1},      {6100, EV_KEY, KEY_ENTER, 0},
  };
  CHECK(Run(events) == Codes{"AbC!"});
}

TEST_CASE("wedge Caps Lock toggles and affects letters only") {
  const std::vector<KeyEvent> events = {
      {1000, EV_KEY, KEY_CAPSLOCK, 1},  {1100, EV_KEY, KEY_CAPSLOCK, 0},
      {2000, EV_KEY, KEY_A, 1},         {2100, EV_KEY, KEY_A, 0},  // A
      {3000, EV_KEY, KEY_1, 1},         {3100, EV_KEY, KEY_1, 0},  // 1, not !
      {4000, EV_KEY, KEY_LEFTSHIFT, 1}, {4100, EV_KEY, KEY_B, 1},
      {4200, EV_KEY, KEY_B, 0},         {4300, EV_KEY, KEY_SLASH, 1},  // b, ?
      {4400, EV_KEY, KEY_SLASH, 0},     {4500, EV_KEY, KEY_LEFTSHIFT, 0},
      {5000, EV_KEY, KEY_CAPSLOCK, 1},  {5100, EV_KEY, KEY_CAPSLOCK, 0},
      {6000, EV_KEY, KEY_C, 1},         {6100, EV_KEY, KEY_C, 0},  // c
      {7000, EV_KEY, KEY_ENTER, 1},     {7100, EV_KEY, KEY_ENTER, 0},
  };
  CHECK(Run(events) == Codes{"A1b?c"});
}

TEST_CASE("wedge GS1 Digital Link URL typed through the US map") {
  const std::string url = "https://id.gs1.org/01/09506000134352/21/ABC123?s=abc-_XYZ";
  Recorder r;
  TypeUs(r, url);
  r.Tap(KEY_ENTER);
  CHECK(Run(r.events) == Codes{url});

  Recorder all;  // every URL and GS1 character the US map has
  TypeUs(all, kUrlPunct + "{}|\\\"<>`^ 0123456789");
  all.Tap(KEY_ENTER);
  CHECK(Run(all.events) == Codes{kUrlPunct + "{}|\\\"<>`^ 0123456789"});
}

TEST_CASE("wedge GS via Ctrl and right brace") {
  Recorder r;
  TypeUs(r, "0109506000134352");
  r.Press(KEY_LEFTCTRL);
  r.Tap(KEY_RIGHTBRACE);
  r.Release(KEY_LEFTCTRL);
  TypeUs(r, "10ABC");
  r.Tap(KEY_ENTER);
  CHECK(Run(r.events) == Codes{"0109506000134352\x1d"
                               "10ABC"});
}

TEST_CASE("wedge GS via Alt and 0029 on the keypad") {
  const std::vector<KeyEvent> events = {
      {1000, EV_KEY, KEY_1, 1},        {1100, EV_KEY, KEY_1, 0},
      {2000, EV_KEY, KEY_0, 1},        {2100, EV_KEY, KEY_0, 0},
      {3000, EV_KEY, KEY_LEFTALT, 1},  {4000, EV_KEY, KEY_KP0, 1},
      {4100, EV_KEY, KEY_KP0, 0},      {5000, EV_KEY, KEY_KP0, 1},
      {5100, EV_KEY, KEY_KP0, 0},      {6000, EV_KEY, KEY_KP2, 1},
      {6100, EV_KEY, KEY_KP2, 0},      {7000, EV_KEY, KEY_KP9, 1},
      {7100, EV_KEY, KEY_KP9, 0},      {7500, EV_KEY, KEY_LEFTALT, 0},  // GS appears here
      {8000, EV_KEY, KEY_2, 1},        {8100, EV_KEY, KEY_2, 0},
      {8500, EV_KEY, KEY_LEFTALT, 1},  {8600, EV_KEY, KEY_KP6, 1},  // Alt+65 = 'A'
      {8700, EV_KEY, KEY_KP6, 0},      {8800, EV_KEY, KEY_KP5, 1},
      {8900, EV_KEY, KEY_KP5, 0},      {9000, EV_KEY, KEY_LEFTALT, 0},
      {9500, EV_KEY, KEY_KP1, 1},      {9600, EV_KEY, KEY_KP1, 0},  // keypad digit without Alt
      {10000, EV_KEY, KEY_KPENTER, 1}, {10100, EV_KEY, KEY_KPENTER, 0},
  };
  CHECK(Run(events) == Codes{"10\x1d"
                             "2A1"});
}

TEST_CASE("wedge AIM symbology prefix passes through as typed") {
  // "]Q1" then the data: ] is a plain key press here (no Ctrl).
  const std::vector<KeyEvent> events = {
      {1000, EV_KEY, KEY_RIGHTBRACE, 1}, {1100, EV_KEY, KEY_RIGHTBRACE, 0},
      {2000, EV_KEY, KEY_LEFTSHIFT, 1},  {2100, EV_KEY, KEY_Q, 1},
      {2200, EV_KEY, KEY_Q, 0},          {2300, EV_KEY, KEY_LEFTSHIFT, 0},
      {3000, EV_KEY, KEY_1, 1},          {3100, EV_KEY, KEY_1, 0},
      {4000, EV_KEY, KEY_H, 1},          {4100, EV_KEY, KEY_H, 0},
      {5000, EV_KEY, KEY_ENTER, 1},      {5100, EV_KEY, KEY_ENTER, 0},
  };
  CHECK(Run(events) == Codes{"]Q1h"});
  Recorder r;
  TypeUs(r, "]d2010950600013435221ABC");
  r.Tap(KEY_ENTER);
  CHECK(Run(r.events) == Codes{"]d2010950600013435221ABC"});
}

TEST_CASE("wedge Enter and Tab terminators") {
  Recorder r;
  TypeUs(r, "A1");
  r.Tap(KEY_TAB);
  TypeUs(r, "B2");
  r.Tap(KEY_ENTER);
  TypeUs(r, "C3");
  r.Tap(KEY_KPENTER);
  TypeUs(r, "D4");
  r.Tap(KEY_TAB);

  WedgeOptions enter;
  CHECK(Run(r.events, enter) == Codes{"A1\tB2", "C3"});  // Tab is a character here

  WedgeOptions tab;
  tab.terminator = "tab";
  CHECK(Run(r.events, tab) == Codes{"A1", "B2C3D4"});  // Enter is ignored here

  WedgeOptions any;
  any.terminator = "any";
  CHECK(Run(r.events, any) == Codes{"A1", "B2", "C3", "D4"});
}

TEST_CASE("wedge empty burst and terminator yields nothing") {
  WedgeDecoder d;
  Recorder r;
  r.Tap(KEY_ENTER);
  r.Tap(KEY_ENTER);
  r.Press(KEY_LEFTSHIFT);
  r.Release(KEY_LEFTSHIFT);
  r.Tap(KEY_ENTER);
  CHECK(Run(d, r.events).empty());
  CHECK(d.dropped() == 0);
}

TEST_CASE("wedge human typing interleaved with a scanner burst") {
  WedgeDecoder d;
  Recorder mixed;
  TypeUs(mixed, "hi", kSlow);            // person: 'h' then 'i' 200 ms apart
  TypeUs(mixed, "4", kSlow);             // scanner burst starts after a slow gap
  TypeUs(mixed, "006381333931", kFast);  // ... and runs fast
  mixed.Tap(KEY_ENTER, kFast);
  TypeUs(mixed, "ok", kSlow);   // person again
  mixed.Tap(KEY_ENTER, kSlow);  // slow Enter: dropped, not a code
  CHECK(Run(d, mixed.events) == Codes{"4006381333931"});
  // 'h' and 'i' were each ended by a slow gap; so were 'o' and 'k'.
  CHECK(d.dropped() == 4);

  // A person's quick Enter after a slow word still only yields the last key.
  WedgeDecoder d2;
  Recorder slow;
  TypeUs(slow, "abc", kSlow);
  slow.Tap(KEY_ENTER, kSlow);
  CHECK(Run(d2, slow.events).empty());
  CHECK(d2.dropped() == 3);
}

TEST_CASE("wedge inter-key timeout is configurable") {
  Recorder r;
  TypeUs(r, "abc", 80000);  // 80 ms gaps
  r.Tap(KEY_ENTER, 80000);
  CHECK(Run(r.events).empty());  // default 50 ms
  WedgeOptions o;
  o.inter_key_timeout_ms = 100;
  CHECK(Run(r.events, o) == Codes{"abc"});
}

TEST_CASE("wedge autorepeat and unknown keys are ignored") {
  const std::vector<KeyEvent> events = {
      {1000, EV_KEY, KEY_A, 1},
      {1500, EV_KEY, KEY_A, 2},
      {2000, EV_KEY, KEY_A, 2},
      {2500, EV_KEY, KEY_A, 0},
      {3000, EV_KEY, KEY_F1, 1},
      {3100, EV_KEY, KEY_F1, 0},
      {4000, EV_KEY, KEY_UP, 1},
      {4100, EV_KEY, KEY_UP, 0},
      {5000, EV_KEY, KEY_B, 1},
      {5100, EV_KEY, KEY_B, 0},
      // A repeated Enter (value 2, autorepeat) ends no code.
      {6000, EV_KEY, KEY_ENTER, 2},
      {7000, EV_KEY, KEY_ENTER, 1},
  };
  WedgeDecoder d;
  CHECK(Run(d, events) == Codes{"ab"});
  CHECK(d.dropped() == 0);
}

TEST_CASE("wedge non-key events are ignored") {
  std::vector<KeyEvent> events = {
      {1000, EV_SYN, 0, 0}, {1000, EV_MSC, 4, 458756}, {1000, EV_KEY, KEY_X, 1},
      {1000, EV_SYN, 0, 0}, {1100, EV_LED, 0, 1},      {1200, EV_KEY, KEY_ENTER, 1},
  };
  CHECK(Run(events) == Codes{"x"});
}

TEST_CASE("wedge de layout is QWERTZ") {
  Recorder r;
  r.Tap(KEY_Y);
  r.Tap(KEY_Z);
  r.Press(KEY_LEFTSHIFT);
  r.Tap(KEY_Y);
  r.Tap(KEY_7);  // '/'
  r.Tap(KEY_0);  // '='
  r.Release(KEY_LEFTSHIFT);
  r.Tap(KEY_SLASH);  // '-'
  r.Tap(KEY_ENTER);
  WedgeOptions o;
  o.layout = "de";
  CHECK(Run(r.events, o) == Codes{"zyZ/=-"});
  CHECK(Run(r.events) == Codes{"yzY&)/"});  // the same keys on "us"
}

namespace {

// The URL and GS1 punctuation, as printed on each keyboard.
std::map<std::string, std::vector<Stroke>> PunctStrokes() {
  const Mod S = Mod::shift, G = Mod::altgr, N = Mod::none;
  std::map<std::string, std::vector<Stroke>> m;
  // in the order of kUrlPunct: / : . - _ ? = & % # + ~ ; , @ ! * ' ( ) $ [ ]
  m["us"] = {{KEY_SLASH, N},     {KEY_SEMICOLON, S},  {KEY_DOT, N},       {KEY_MINUS, N},
             {KEY_MINUS, S},     {KEY_SLASH, S},      {KEY_EQUAL, N},     {KEY_7, S},
             {KEY_5, S},         {KEY_3, S},          {KEY_EQUAL, S},     {KEY_GRAVE, S},
             {KEY_SEMICOLON, N}, {KEY_COMMA, N},      {KEY_2, S},         {KEY_1, S},
             {KEY_8, S},         {KEY_APOSTROPHE, N}, {KEY_9, S},         {KEY_0, S},
             {KEY_4, S},         {KEY_LEFTBRACE, N},  {KEY_RIGHTBRACE, N}};
  m["uk"] = {{KEY_SLASH, N},     {KEY_SEMICOLON, S},  {KEY_DOT, N},        {KEY_MINUS, N},
             {KEY_MINUS, S},     {KEY_SLASH, S},      {KEY_EQUAL, N},      {KEY_7, S},
             {KEY_5, S},         {KEY_BACKSLASH, N},  {KEY_EQUAL, S},      {KEY_BACKSLASH, S},
             {KEY_SEMICOLON, N}, {KEY_COMMA, N},      {KEY_APOSTROPHE, S}, {KEY_1, S},
             {KEY_8, S},         {KEY_APOSTROPHE, N}, {KEY_9, S},          {KEY_0, S},
             {KEY_4, S},         {KEY_LEFTBRACE, N},  {KEY_RIGHTBRACE, N}};
  m["de"] = {{KEY_7, S},          {KEY_DOT, S},       {KEY_DOT, N},        {KEY_SLASH, N},
             {KEY_SLASH, S},      {KEY_MINUS, S},     {KEY_0, S},          {KEY_6, S},
             {KEY_5, S},          {KEY_BACKSLASH, N}, {KEY_RIGHTBRACE, N}, {KEY_RIGHTBRACE, G},
             {KEY_COMMA, S},      {KEY_COMMA, N},     {KEY_Q, G},          {KEY_1, S},
             {KEY_RIGHTBRACE, S}, {KEY_BACKSLASH, S}, {KEY_8, S},          {KEY_9, S},
             {KEY_4, S},          {KEY_8, G},         {KEY_9, G}};
  m["fr"] = {{KEY_DOT, S},        {KEY_DOT, N}, {KEY_COMMA, S}, {KEY_6, N},
             {KEY_8, N},          {KEY_M, S},   {KEY_EQUAL, N}, {KEY_1, N},
             {KEY_APOSTROPHE, S}, {KEY_3, G},   {KEY_EQUAL, S}, {KEY_2, G},
             {KEY_COMMA, N},      {KEY_M, N},   {KEY_0, G},     {KEY_SLASH, N},
             {KEY_BACKSLASH, N},  {KEY_4, N},   {KEY_5, N},     {KEY_MINUS, N},
             {KEY_RIGHTBRACE, N}, {KEY_5, G},   {KEY_MINUS, G}};
  return m;
}

}  // namespace

TEST_CASE("wedge every layout types the URL punctuation") {
  for (const auto& [layout, strokes] : PunctStrokes()) {
    INFO("layout " << layout);
    REQUIRE(strokes.size() == kUrlPunct.size());
    Recorder r;
    for (const auto& s : strokes) r.Stroke_(s);
    r.Tap(KEY_ENTER);
    WedgeOptions o;
    o.layout = layout;
    CHECK(Run(r.events, o) == Codes{kUrlPunct});
  }
}

TEST_CASE("wedge fr layout is AZERTY with shifted digits") {
  Recorder r;
  r.Tap(KEY_Q);          // a
  r.Tap(KEY_W);          // z
  r.Tap(KEY_A);          // q
  r.Tap(KEY_SEMICOLON);  // m
  r.Tap(KEY_1);          // &
  r.Press(KEY_LEFTSHIFT);
  r.Tap(KEY_1);  // 1
  r.Tap(KEY_0);  // 0
  r.Tap(KEY_Q);  // A
  r.Release(KEY_LEFTSHIFT);
  r.Tap(KEY_2);  // é: not ASCII, nothing
  r.Tap(KEY_ENTER);
  WedgeOptions o;
  o.layout = "fr";
  CHECK(Run(r.events, o) == Codes{"azqm&10A"});

  // Caps Lock on AZERTY: letters only, the digit row keeps its symbols.
  Recorder caps;
  caps.Tap(KEY_CAPSLOCK);
  caps.Tap(KEY_Q);
  caps.Tap(KEY_1);
  caps.Tap(KEY_ENTER);
  CHECK(Run(caps.events, o) == Codes{"A&"});
}

TEST_CASE("wedge right Alt is AltGr on de but Alt on us") {
  Recorder r;
  r.Press(KEY_RIGHTALT);
  r.Tap(KEY_Q);
  r.Tap(KEY_KP6);
  r.Tap(KEY_KP6);
  r.Release(KEY_RIGHTALT);
  r.Tap(KEY_ENTER);
  WedgeOptions de;
  de.layout = "de";
  CHECK(Run(r.events, de) == Codes{"@66"});
  CHECK(Run(r.events) == Codes{"B"});  // us: Alt+66 (the Q is a shortcut, ignored)
}

TEST_CASE("wedge keymap overrides the layout") {
  Recorder r;
  r.Tap(KEY_A);
  r.Press(KEY_LEFTSHIFT);
  r.Tap(KEY_A);
  r.Release(KEY_LEFTSHIFT);
  r.Tap(KEY_B);
  r.Tap(KEY_F13);
  r.Tap(KEY_ENTER);
  WedgeOptions o;
  o.keymap[KEY_A] = {'#', '~'};
  o.keymap[KEY_F13] = {'|', '|'};  // a key no layout has
  CHECK(Run(r.events, o) == Codes{"#~b|"});

  // Caps Lock follows what the key types now: a letter still flips.
  Recorder caps;
  caps.Tap(KEY_CAPSLOCK);
  caps.Tap(KEY_A);
  caps.Tap(KEY_C);
  caps.Tap(KEY_ENTER);
  WedgeOptions swap;
  swap.keymap[KEY_A] = {'7', '/'};
  swap.keymap[KEY_C] = {'x', 'X'};
  CHECK(Run(caps.events, swap) == Codes{"7X"});
}

TEST_CASE("wedge buffer cap drops an over-long burst") {
  WedgeDecoder d;
  Recorder r;
  for (int i = 0; i < 4096; ++i) r.Tap(KEY_X, 100);
  r.Tap(KEY_ENTER, 100);
  auto codes = Run(d, r.events);
  REQUIRE(codes.size() == 1);
  CHECK(codes[0] == std::string(4096, 'x'));
  CHECK(d.dropped() == 0);

  Recorder big;
  big.now = r.now;
  for (int i = 0; i < 5000; ++i) big.Tap(KEY_Y, 100);
  big.Tap(KEY_ENTER, 100);
  TypeUs(big, "ok");
  big.Tap(KEY_ENTER);
  CHECK(Run(d, big.events) == Codes{"ok"});  // not the tail of the flood
  CHECK(d.dropped() == 1);
}

TEST_CASE("wedge Reset forgets a half-typed code and modifiers") {
  WedgeDecoder d;
  Recorder r;
  TypeUs(r, "abc");
  r.Press(KEY_LEFTSHIFT);
  r.Tap(KEY_CAPSLOCK);
  CHECK(Run(d, r.events).empty());
  d.Reset();
  Recorder after;
  after.now = r.now;
  after.Tap(KEY_D);
  after.Tap(KEY_ENTER);
  CHECK(Run(d, after.events) == Codes{"d"});
}

TEST_CASE("wedge KnownLayout and KeyCodeByName") {
  CHECK(KnownLayout("us"));
  CHECK(KnownLayout("uk"));
  CHECK(KnownLayout("de"));
  CHECK(KnownLayout("fr"));
  CHECK_FALSE(KnownLayout("dvorak"));
  CHECK_FALSE(KnownLayout(""));
  CHECK(KeyCodeByName("KEY_A") == std::optional<std::uint16_t>(30));
  CHECK(KeyCodeByName("KEY_RIGHTBRACE") == std::optional<std::uint16_t>(KEY_RIGHTBRACE));
  CHECK(KeyCodeByName("KEY_102ND") == std::optional<std::uint16_t>(86));
  CHECK(KeyCodeByName("KEY_KP0") == std::optional<std::uint16_t>(KEY_KP0));
  CHECK(KeyCodeByName("key_semicolon") == std::optional<std::uint16_t>(KEY_SEMICOLON));
  CHECK_FALSE(KeyCodeByName("KEY_NOPE").has_value());
  CHECK_FALSE(KeyCodeByName("A").has_value());
  CHECK_FALSE(KeyCodeByName("").has_value());
}
