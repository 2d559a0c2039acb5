// SPDX-License-Identifier: Apache-2.0
// A keyboard-wedge scanner's key stream, for feeding the evdev driver in
// tests and sa-bench.
#pragma once

#include <linux/input.h>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace sa::testing {

// What a US-layout keyboard-wedge scanner sends for `text`: Shift pressed
// around upper-case letters and shifted punctuation, every key pressed and
// released, an EV_SYN after each, then Enter. Written out by hand here (not
// taken from the driver) so the test checks the driver's key map.
inline std::vector<input_event> Typed(const std::string& text, long& clock_us) {
  static const std::map<char, std::pair<int, bool>> kUs = [] {
    std::map<char, std::pair<int, bool>> m;
    const char* letters = "abcdefghijklmnopqrstuvwxyz";
    const int letter_keys[] = {KEY_A, KEY_B, KEY_C, KEY_D, KEY_E, KEY_F, KEY_G, KEY_H, KEY_I,
                               KEY_J, KEY_K, KEY_L, KEY_M, KEY_N, KEY_O, KEY_P, KEY_Q, KEY_R,
                               KEY_S, KEY_T, KEY_U, KEY_V, KEY_W, KEY_X, KEY_Y, KEY_Z};
    for (int i = 0; i < 26; ++i) {
      m[letters[i]] = {letter_keys[i], false};
      m[static_cast<char>(letters[i] - 'a' + 'A')] = {letter_keys[i], true};
    }
    const int digit_keys[] = {KEY_0, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9};
    for (int i = 0; i < 10; ++i) m[static_cast<char>('0' + i)] = {digit_keys[i], false};
    m['-'] = {KEY_MINUS, false};
    m['_'] = {KEY_MINUS, true};
    m['='] = {KEY_EQUAL, false};
    m['/'] = {KEY_SLASH, false};
    m['?'] = {KEY_SLASH, true};
    m[':'] = {KEY_SEMICOLON, true};
    m['.'] = {KEY_DOT, false};
    m['&'] = {KEY_7, true};
    m['%'] = {KEY_5, true};
    return m;
  }();
  std::vector<input_event> out;
  auto emit = [&](int type, int code, int value) {
    input_event e{};
    e.time.tv_sec = clock_us / 1000000;
    e.time.tv_usec = clock_us % 1000000;
    e.type = static_cast<__u16>(type);
    e.code = static_cast<__u16>(code);
    e.value = value;
    out.push_back(e);
  };
  auto key = [&](int code, int value) {
    emit(EV_MSC, MSC_SCAN, 0x70000 + code);  // what a real HID keyboard sends first
    emit(EV_KEY, code, value);
    emit(EV_SYN, SYN_REPORT, 0);
    clock_us += 400;  // a scanner types a key every 0.4 ms
  };
  for (char c : text) {
    const auto it = kUs.find(c);
    if (it == kUs.end()) throw std::invalid_argument(std::string("no US key types '") + c + "'");
    const auto [code, shift] = it->second;
    if (shift) key(KEY_LEFTSHIFT, 1);
    key(code, 1);
    key(code, 0);
    if (shift) key(KEY_LEFTSHIFT, 0);
  }
  key(KEY_ENTER, 1);
  key(KEY_ENTER, 0);
  return out;
}

}  // namespace sa::testing
