// SPDX-License-Identifier: Apache-2.0
// What a receipt printer's answers to DLE EOT n mean (ESC/POS real-time
// status; the same bits on Epson, Citizen, Bixolon/Samsung, HPRT, Xprinter).
// Every answer has bits 1 and 4 on and bits 0 and 7 off.
//   n = 1 printer:        bit 3 offline
//   n = 2 offline cause:  bit 2 cover open, bit 3 feeding by the FEED button,
//                         bit 5 printing stopped by paper end, bit 6 an error
//   n = 3 error cause:    bit 2 mechanical error, bit 3 autocutter error,
//                         bit 5 unrecoverable error, bit 6 auto-recoverable
//                         error (head too hot)
//   n = 4 roll paper:     bits 2-3 near end, bits 5-6 paper out
#include <cstdio>

#include "drivers.hpp"

namespace sa::drivers {
namespace {

bool Bit(std::uint8_t b, int n) { return (b >> n) & 1u; }

std::string Hex(std::uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02x", static_cast<unsigned>(b));
  return buf;
}

// An answer that is a status byte, else nothing.
std::optional<std::uint8_t> Valid(const std::optional<std::uint8_t>& b) {
  if (b && IsStatusByte(*b)) return b;
  return std::nullopt;
}

}  // namespace

std::string_view Name(PrinterState state) {
  switch (state) {
    case PrinterState::unknown: return "unknown";
    case PrinterState::ready: return "ready";
    case PrinterState::paper_out: return "paper_out";
    case PrinterState::cover_open: return "cover_open";
    case PrinterState::offline: return "offline";
    case PrinterState::error: return "error";
  }
  return "unknown";
}

std::string_view Name(PaperLevel paper) {
  switch (paper) {
    case PaperLevel::unknown: return "unknown";
    case PaperLevel::ok: return "ok";
    case PaperLevel::near_end: return "near_end";
    case PaperLevel::out: return "out";
  }
  return "unknown";
}

std::string StatusQuery(int n) {
  return std::string{'\x10', '\x04', static_cast<char>(static_cast<unsigned char>(n))};
}

bool IsStatusByte(std::uint8_t b) { return (b & 0x93u) == 0x12u; }

PrinterStatus DecodeStatus(const StatusAnswers& answers) {
  PrinterStatus st;
  if (!answers.printer) {
    st.detail = "the printer did not answer the status query (DLE EOT 1)";
    return st;
  }
  if (!IsStatusByte(*answers.printer)) {
    st.detail = "the printer answered " + Hex(*answers.printer) +
                " to DLE EOT 1, which is not a status byte";
    return st;
  }
  const std::uint8_t printer = *answers.printer;
  const auto offline = Valid(answers.offline);
  const auto error = Valid(answers.error);
  const auto paper = Valid(answers.paper);

  if (paper) {
    st.paper = (Bit(*paper, 5) || Bit(*paper, 6))   ? PaperLevel::out
               : (Bit(*paper, 2) || Bit(*paper, 3)) ? PaperLevel::near_end
                                                    : PaperLevel::ok;
  }
  if (offline) {
    st.cover_open = Bit(*offline, 2);
    if (Bit(*offline, 5)) st.paper = PaperLevel::out;  // stopped by paper end
  }

  std::string error_detail;
  if (error) {
    if (Bit(*error, 2)) error_detail = "mechanical error";
    if (Bit(*error, 3)) error_detail = "autocutter error (a paper jam?)";
    if (Bit(*error, 5)) error_detail = "unrecoverable error";
    if (Bit(*error, 6)) error_detail = "print head too hot (it recovers by itself)";
  }
  const bool is_offline = Bit(printer, 3);
  const bool has_error = (offline && Bit(*offline, 6)) || !error_detail.empty();

  if (st.cover_open.value_or(false)) {
    st.state = PrinterState::cover_open;
    st.detail = "the paper cover is open";
  } else if (st.paper == PaperLevel::out) {
    st.state = PrinterState::paper_out;
    st.detail = "the paper roll is out";
  } else if (has_error) {
    st.state = PrinterState::error;
    st.detail = error_detail.empty() ? "the printer reports an error" : error_detail;
  } else if (is_offline) {
    st.state = PrinterState::offline;
    st.detail = offline && Bit(*offline, 3) ? "paper is being fed with the FEED button"
                                            : "the printer is offline";
  } else {
    st.state = PrinterState::ready;
    if (st.paper == PaperLevel::near_end) st.detail = "the paper roll is near its end";
  }
  return st;
}

std::string_view Name(JobState state) {
  switch (state) {
    case JobState::queued: return "queued";
    case JobState::printing: return "printing";
    case JobState::printed: return "printed";
    case JobState::failed: return "failed";
  }
  return "queued";
}

}  // namespace sa::drivers
