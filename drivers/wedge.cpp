// SPDX-License-Identifier: Apache-2.0
// WedgeDecoder: key events of a keyboard-wedge scanner -> codes.
//
// The key map is fixed per configured layout (the layout the scanner is set
// to type in), never the desktop's: the scanner is grabbed, the desktop never
// sees it. Decisions:
//  - Autorepeat (value 2) is ignored entirely: scanners do not autorepeat, and
//    a person holding a key would otherwise look like a fast burst.
//  - Keys with no character (arrows, F-keys, Esc, Backspace, keys whose
//    character is not ASCII such as de 'ß') are ignored; their press still
//    counts for the inter-key gap. A scanner never sends them, a person's
//    typing is already dropped by the gap rule.
//  - dropped() counts dropped bursts: one per slow gap that ends a non-empty
//    burst (so slow typing counts about one per key) and one per over-long
//    burst.
//  - Tab is a character ('\t') when it is not the terminator; Enter is ignored
//    when it is not.
//  - Ctrl+] is the key position KEY_RIGHTBRACE on every layout (scanners in
//    "Ctrl+ASCII" mode send the US position); other Ctrl chords are ignored.
//  - Alt+keypad digits: decimal 1..127 emit that byte on Alt release; other
//    values (code-page dependent on Windows) are ignored.
//  - Right Alt is AltGr on de and fr (their @ # [ ] ~ need it), Alt elsewhere.
#include <linux/input-event-codes.h>

#include <array>
#include <cctype>

#include "drivers.hpp"

namespace sa::drivers {
namespace {

constexpr std::size_t kMaxCode = 4096;  // a burst longer than this is dropped
constexpr char kNone = '\x7f';          // placeholder in the row strings: no ASCII character

struct KeyChars {
  char plain = 0;
  char shifted = 0;
  char altgr = 0;
};

struct Layout {
  std::array<KeyChars, 128> keys{};
  bool has_altgr = false;
};

// The physical rows, left to right, as the row strings below list them.
constexpr std::array<std::uint16_t, 13> kRow0 = {KEY_GRAVE, KEY_1,     KEY_2,    KEY_3, KEY_4,
                                                 KEY_5,     KEY_6,     KEY_7,    KEY_8, KEY_9,
                                                 KEY_0,     KEY_MINUS, KEY_EQUAL};
constexpr std::array<std::uint16_t, 12> kRow1 = {KEY_Q, KEY_W, KEY_E,         KEY_R,
                                                 KEY_T, KEY_Y, KEY_U,         KEY_I,
                                                 KEY_O, KEY_P, KEY_LEFTBRACE, KEY_RIGHTBRACE};
constexpr std::array<std::uint16_t, 12> kRow2 = {
    KEY_A, KEY_S, KEY_D, KEY_F,         KEY_G,          KEY_H,
    KEY_J, KEY_K, KEY_L, KEY_SEMICOLON, KEY_APOSTROPHE, KEY_BACKSLASH};
constexpr std::array<std::uint16_t, 11> kRow3 = {
    KEY_102ND, KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M, KEY_COMMA, KEY_DOT, KEY_SLASH};

struct RowChars {
  std::string_view plain, shifted, altgr;  // altgr may be "" (none on the row)
};

template <std::size_t N>
void SetRow(Layout& layout, const std::array<std::uint16_t, N>& codes, RowChars chars) {
  auto pick = [](std::string_view s, std::size_t i) -> char {
    if (i >= s.size() || s[i] == kNone) return 0;
    return s[i];
  };
  for (std::size_t i = 0; i < N; ++i) {
    KeyChars& k = layout.keys[codes[i]];
    k.plain = pick(chars.plain, i);
    k.shifted = pick(chars.shifted, i);
    k.altgr = pick(chars.altgr, i);
    if (k.altgr != 0) layout.has_altgr = true;
  }
}

// Keys that type the same on every layout (keypad with Num Lock on).
void SetCommon(Layout& layout) {
  // AltGr leaves these keys as they are (so AltGr held does not eat keypad digits).
  auto set = [&](std::uint16_t code, char c) { layout.keys[code] = KeyChars{c, c, c}; };
  set(KEY_SPACE, ' ');
  set(KEY_TAB, '\t');
  set(KEY_KP0, '0');
  set(KEY_KP1, '1');
  set(KEY_KP2, '2');
  set(KEY_KP3, '3');
  set(KEY_KP4, '4');
  set(KEY_KP5, '5');
  set(KEY_KP6, '6');
  set(KEY_KP7, '7');
  set(KEY_KP8, '8');
  set(KEY_KP9, '9');
  set(KEY_KPDOT, '.');
  set(KEY_KPSLASH, '/');
  set(KEY_KPASTERISK, '*');
  set(KEY_KPMINUS, '-');
  set(KEY_KPPLUS, '+');
}

Layout MakeUs() {
  Layout l;
  SetCommon(l);
  SetRow(l, kRow0, {"`1234567890-=", "~!@#$%^&*()_+", ""});
  SetRow(l, kRow1, {"qwertyuiop[]", "QWERTYUIOP{}", ""});
  SetRow(l, kRow2, {"asdfghjkl;'\\", "ASDFGHJKL:\"|", ""});
  SetRow(l, kRow3, {"<zxcvbnm,./", ">ZXCVBNM<>?", ""});
  return l;
}

Layout MakeUk() {
  Layout l;
  SetCommon(l);
  SetRow(l, kRow0, {"`1234567890-=", "\x7f!\"\x7f$%^&*()_+", ""});  // shifted ` is ¬, 3 is £
  SetRow(l, kRow1, {"qwertyuiop[]", "QWERTYUIOP{}", ""});
  SetRow(l, kRow2, {"asdfghjkl;'#", "ASDFGHJKL:@~", ""});
  SetRow(l, kRow3, {"\\zxcvbnm,./", "|ZXCVBNM<>?", ""});
  return l;
}

Layout MakeDe() {  // QWERTZ; ß ´ ü ö ä ° § are not ASCII
  Layout l;
  SetCommon(l);
  SetRow(l, kRow0,
         {"^1234567890\x7f\x7f", "\x7f!\"\x7f$%&/()=?`", "\x7f\x7f\x7f\x7f\x7f\x7f\x7f{[]}\\"});
  SetRow(l, kRow1,
         {"qwertzuiop\x7f+", "QWERTZUIOP\x7f*", "@\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f\x7f~"});
  SetRow(l, kRow2, {"asdfghjkl\x7f\x7f#", "ASDFGHJKL\x7f\x7f'", ""});
  SetRow(l, kRow3, {"<yxcvbnm,.-", ">YXCVBNM;:_", "|"});
  return l;
}

Layout MakeFr() {  // AZERTY: digits shifted; ² é è ç à ° ¨ £ ù µ § are not ASCII
  Layout l;
  SetCommon(l);
  SetRow(l, kRow0,
         {"\x7f&\x7f\"'(-\x7f_\x7f\x7f)=",
          "\x7f"
          "1234567890\x7f+",
          "\x7f\x7f~#{[|`\\^@]}"});
  SetRow(l, kRow1, {"azertyuiop^$", "AZERTYUIOP\x7f\x7f", ""});
  SetRow(l, kRow2, {"qsdfghjklm\x7f*", "QSDFGHJKLM%\x7f", ""});
  SetRow(l, kRow3, {"<wxcvbn,;:!", ">WXCVBN?./\x7f", ""});
  return l;
}

const Layout* FindLayout(std::string_view name) {
  static const Layout us = MakeUs(), uk = MakeUk(), de = MakeDe(), fr = MakeFr();
  if (name == "us") return &us;
  if (name == "uk") return &uk;
  if (name == "de") return &de;
  if (name == "fr") return &fr;
  return nullptr;
}

int KeypadDigit(std::uint16_t code) {
  switch (code) {
    case KEY_KP0: return 0;
    case KEY_KP1: return 1;
    case KEY_KP2: return 2;
    case KEY_KP3: return 3;
    case KEY_KP4: return 4;
    case KEY_KP5: return 5;
    case KEY_KP6: return 6;
    case KEY_KP7: return 7;
    case KEY_KP8: return 8;
    case KEY_KP9: return 9;
    default: return -1;
  }
}

struct KeyName {
  std::string_view name;
  std::uint16_t code;
};

constexpr KeyName kKeyNames[] = {
    {"KEY_ESC", KEY_ESC},
    {"KEY_1", KEY_1},
    {"KEY_2", KEY_2},
    {"KEY_3", KEY_3},
    {"KEY_4", KEY_4},
    {"KEY_5", KEY_5},
    {"KEY_6", KEY_6},
    {"KEY_7", KEY_7},
    {"KEY_8", KEY_8},
    {"KEY_9", KEY_9},
    {"KEY_0", KEY_0},
    {"KEY_MINUS", KEY_MINUS},
    {"KEY_EQUAL", KEY_EQUAL},
    {"KEY_BACKSPACE", KEY_BACKSPACE},
    {"KEY_TAB", KEY_TAB},
    {"KEY_Q", KEY_Q},
    {"KEY_W", KEY_W},
    {"KEY_E", KEY_E},
    {"KEY_R", KEY_R},
    {"KEY_T", KEY_T},
    {"KEY_Y", KEY_Y},
    {"KEY_U", KEY_U},
    {"KEY_I", KEY_I},
    {"KEY_O", KEY_O},
    {"KEY_P", KEY_P},
    {"KEY_LEFTBRACE", KEY_LEFTBRACE},
    {"KEY_RIGHTBRACE", KEY_RIGHTBRACE},
    {"KEY_ENTER", KEY_ENTER},
    {"KEY_LEFTCTRL", KEY_LEFTCTRL},
    {"KEY_A", KEY_A},
    {"KEY_S", KEY_S},
    {"KEY_D", KEY_D},
    {"KEY_F", KEY_F},
    {"KEY_G", KEY_G},
    {"KEY_H", KEY_H},
    {"KEY_J", KEY_J},
    {"KEY_K", KEY_K},
    {"KEY_L", KEY_L},
    {"KEY_SEMICOLON", KEY_SEMICOLON},
    {"KEY_APOSTROPHE", KEY_APOSTROPHE},
    {"KEY_GRAVE", KEY_GRAVE},
    {"KEY_LEFTSHIFT", KEY_LEFTSHIFT},
    {"KEY_BACKSLASH", KEY_BACKSLASH},
    {"KEY_Z", KEY_Z},
    {"KEY_X", KEY_X},
    {"KEY_C", KEY_C},
    {"KEY_V", KEY_V},
    {"KEY_B", KEY_B},
    {"KEY_N", KEY_N},
    {"KEY_M", KEY_M},
    {"KEY_COMMA", KEY_COMMA},
    {"KEY_DOT", KEY_DOT},
    {"KEY_SLASH", KEY_SLASH},
    {"KEY_RIGHTSHIFT", KEY_RIGHTSHIFT},
    {"KEY_KPASTERISK", KEY_KPASTERISK},
    {"KEY_LEFTALT", KEY_LEFTALT},
    {"KEY_SPACE", KEY_SPACE},
    {"KEY_CAPSLOCK", KEY_CAPSLOCK},
    {"KEY_KP7", KEY_KP7},
    {"KEY_KP8", KEY_KP8},
    {"KEY_KP9", KEY_KP9},
    {"KEY_KPMINUS", KEY_KPMINUS},
    {"KEY_KP4", KEY_KP4},
    {"KEY_KP5", KEY_KP5},
    {"KEY_KP6", KEY_KP6},
    {"KEY_KPPLUS", KEY_KPPLUS},
    {"KEY_KP1", KEY_KP1},
    {"KEY_KP2", KEY_KP2},
    {"KEY_KP3", KEY_KP3},
    {"KEY_KP0", KEY_KP0},
    {"KEY_KPDOT", KEY_KPDOT},
    {"KEY_102ND", KEY_102ND},
    {"KEY_KPENTER", KEY_KPENTER},
    {"KEY_RIGHTCTRL", KEY_RIGHTCTRL},
    {"KEY_KPSLASH", KEY_KPSLASH},
    {"KEY_RIGHTALT", KEY_RIGHTALT},
};

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) !=
        std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

char FlipCase(char c) {
  return static_cast<char>(std::isupper(static_cast<unsigned char>(c))
                               ? std::tolower(static_cast<unsigned char>(c))
                               : std::toupper(static_cast<unsigned char>(c)));
}

}  // namespace

bool KnownLayout(std::string_view name) { return FindLayout(name) != nullptr; }

std::optional<std::uint16_t> KeyCodeByName(std::string_view name) {
  for (const auto& k : kKeyNames) {
    if (EqualsIgnoreCase(k.name, name)) return k.code;
  }
  return std::nullopt;
}

WedgeDecoder::WedgeDecoder(WedgeOptions options) : options_(std::move(options)) {}

void WedgeDecoder::Reset() {
  buffer_.clear();
  alt_digits_.clear();
  last_press_us_ = -1;
  shift_left_ = shift_right_ = ctrl_ = alt_ = caps_ = altgr_ = false;
}

std::optional<std::string> WedgeDecoder::Feed(const KeyEvent& event) {
  if (event.type != EV_KEY) return std::nullopt;
  const Layout* layout = FindLayout(options_.layout);
  if (layout == nullptr) layout = FindLayout("us");
  const std::uint16_t code = event.code;
  const bool right_alt_is_altgr = layout->has_altgr;

  // The burst so far (typed text and Alt digits) is lost: count it once.
  auto drop = [this] {
    if (!buffer_.empty() || !alt_digits_.empty()) ++dropped_;
    buffer_.clear();
    alt_digits_.clear();
  };
  // Past kMaxCode the buffer keeps kMaxCode + 1 bytes as the "over-long" mark
  // until the burst ends, so the tail of a flood never becomes a code.
  auto append = [this](char c) {
    if (buffer_.size() <= kMaxCode) buffer_.push_back(c);
  };

  if (event.value == 0) {  // release: only modifier state matters
    switch (code) {
      case KEY_LEFTSHIFT: shift_left_ = false; break;
      case KEY_RIGHTSHIFT: shift_right_ = false; break;
      case KEY_LEFTCTRL:
      case KEY_RIGHTCTRL: ctrl_ = false; break;
      case KEY_RIGHTALT:
        if (right_alt_is_altgr) {
          altgr_ = false;
          break;
        }
        [[fallthrough]];
      case KEY_LEFTALT:
        if (alt_ && !alt_digits_.empty()) {
          int value = 0;
          for (char d : alt_digits_) value = value * 10 + (d - '0');
          if (value >= 1 && value <= 127) append(static_cast<char>(value));
        }
        alt_ = false;
        alt_digits_.clear();
        break;
      default: break;
    }
    return std::nullopt;
  }
  if (event.value != 1) return std::nullopt;  // autorepeat (2) ignored, see above

  const std::int64_t timeout_us = std::int64_t{options_.inter_key_timeout_ms} * 1000;
  if (last_press_us_ >= 0 && timeout_us > 0 && event.at_us - last_press_us_ > timeout_us) drop();
  last_press_us_ = event.at_us;

  switch (code) {
    case KEY_LEFTSHIFT: shift_left_ = true; return std::nullopt;
    case KEY_RIGHTSHIFT: shift_right_ = true; return std::nullopt;
    case KEY_LEFTCTRL:
    case KEY_RIGHTCTRL: ctrl_ = true; return std::nullopt;
    case KEY_CAPSLOCK: caps_ = !caps_; return std::nullopt;
    case KEY_RIGHTALT:
      if (right_alt_is_altgr) {
        altgr_ = true;
        return std::nullopt;
      }
      [[fallthrough]];
    case KEY_LEFTALT:
      alt_ = true;
      alt_digits_.clear();
      return std::nullopt;
    default: break;
  }

  const std::string& term = options_.terminator;
  const bool enter = code == KEY_ENTER || code == KEY_KPENTER;
  const bool tab = code == KEY_TAB;
  if ((enter && term != "tab") || (tab && (term == "tab" || term == "any"))) {
    alt_digits_.clear();
    if (buffer_.empty()) return std::nullopt;
    if (buffer_.size() > kMaxCode) {
      drop();
      return std::nullopt;
    }
    std::string out = std::move(buffer_);
    buffer_.clear();
    return out;
  }
  if (enter) return std::nullopt;  // Enter is not a character when Tab ends codes

  if (alt_) {  // Alt+keypad digits build a decimal character code
    const int digit = KeypadDigit(code);
    if (digit >= 0 && alt_digits_.size() < 4) alt_digits_.push_back(static_cast<char>('0' + digit));
    return std::nullopt;
  }
  if (ctrl_) {
    if (code == KEY_RIGHTBRACE) append('\x1d');  // Ctrl+] = GS
    return std::nullopt;
  }

  KeyChars chars = code < layout->keys.size() ? layout->keys[code] : KeyChars{};
  if (auto it = options_.keymap.find(code); it != options_.keymap.end()) {
    chars.plain = it->second.first;
    chars.shifted = it->second.second;
  }
  char c = 0;
  if (altgr_) {
    c = chars.altgr;
  } else {
    const bool shift = shift_left_ || shift_right_;
    c = shift ? chars.shifted : chars.plain;
    // Caps Lock inverts the case of letters only, as on a real keyboard.
    if (caps_ && IsLetter(chars.plain) && IsLetter(c)) c = FlipCase(c);
  }
  if (c != 0) append(c);
  return std::nullopt;
}

}  // namespace sa::drivers
