// json.loads(payload.decode('utf-8')) as CPython does it. nlohmann's parser is stricter
// than Python in ways a lamp shows on the wire: it refuses NaN and Infinity, numbers that
// overflow a double and lone surrogate escapes, all of which lamp_service accepts (or
// rejects as out of range) instead of dying on them.
#include <charconv>
#include <cstdint>
#include <limits>
#include <vector>

#include "firmware_model/python_json.hpp"

namespace lampi::model {

namespace {

// CPython's strict UTF-8 decoder: no overlong forms, no surrogates, nothing past U+10FFFF.
bool valid_utf8(std::string_view s) {
  const std::size_t n = s.size();
  for (std::size_t i = 0; i < n;) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    std::size_t extra = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      extra = 1;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      extra = 2;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      extra = 3;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (n - i <= extra) return false;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b1 < lo || b1 > hi) return false;
    for (std::size_t k = 2; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

// Surrogates are written as three bytes too (WTF-8), so a lone one survives to be
// escaped again by append_python_json_string.
void append_code_point(std::string& out, std::uint32_t cp) {
  auto byte = [&](std::uint32_t b) { out += static_cast<char>(b); };
  if (cp < 0x80) {
    byte(cp);
  } else if (cp < 0x800) {
    byte(0xC0 | (cp >> 6));
    byte(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    byte(0xE0 | (cp >> 12));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  } else {
    byte(0xF0 | (cp >> 18));
    byte(0x80 | ((cp >> 12) & 0x3F));
    byte(0x80 | ((cp >> 6) & 0x3F));
    byte(0x80 | (cp & 0x3F));
  }
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// For a decimal that from_chars found out of range: does it overflow (rather than
// underflow)? Compares the power of ten of its leading digit against zero.
bool overflows(std::string_view text) {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  const auto e_pos = text.find_first_of("eE");
  long long exponent = 0;
  if (e_pos != std::string_view::npos) {
    std::size_t k = e_pos + 1;
    const bool negative = k < text.size() && text[k] == '-';
    if (k < text.size() && (text[k] == '-' || text[k] == '+')) ++k;
    for (; k < text.size(); ++k)
      if (exponent < 1'000'000'000) exponent = exponent * 10 + (text[k] - '0');
    if (negative) exponent = -exponent;
  }
  const std::string_view mantissa = text.substr(0, e_pos);
  const auto dot = mantissa.find('.');
  const std::string_view whole = mantissa.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view{} : mantissa.substr(dot + 1);
  long long lead = 0;
  if (auto nz = whole.find_first_not_of('0'); nz != std::string_view::npos) {
    lead = static_cast<long long>(whole.size() - nz) - 1;
  } else if (auto fz = fraction.find_first_not_of('0'); fz != std::string_view::npos) {
    lead = -static_cast<long long>(fz) - 1;
  } else {
    return false;
  }
  return lead + exponent > 0;
}

class Loader {
 public:
  Loader(std::string_view text, int max_depth) : s_(text), max_depth_(max_depth) {}

  // Iterative, so the depth limit and not the C++ stack decides what is too deep.
  std::optional<Json> run() {
    skip_ws();
    while (true) {
      Json value;
      if (at_end()) return std::nullopt;
      const char c = s_[i_];
      if (c == '{' || c == '[') {
        // Python's scanner recurses per container: RecursionError past the limit.
        if (static_cast<long long>(stack_.size()) >= max_depth_) return std::nullopt;
        ++i_;
        stack_.push_back({c == '{' ? Json::object() : Json::array(), {}});
        skip_ws();
        if (!at_end() && s_[i_] == (c == '{' ? '}' : ']')) {
          ++i_;
          value = std::move(stack_.back().value);
          stack_.pop_back();
        } else {
          if (c == '{' && !key(stack_.back().key)) return std::nullopt;
          continue;
        }
      } else if (!scalar(value)) {
        return std::nullopt;
      }
      // Attach the value, then close every container that ends right after it.
      while (true) {
        if (stack_.empty()) {
          skip_ws();
          if (!at_end()) return std::nullopt;  // "Extra data"
          return value;
        }
        Frame& top = stack_.back();
        const bool object = top.value.is_object();
        if (object) {
          top.value[top.key] = std::move(value);  // a repeated key keeps its first place
        } else {
          top.value.push_back(std::move(value));
        }
        skip_ws();
        if (at_end()) return std::nullopt;
        const char d = s_[i_++];
        if (d == ',') {
          skip_ws();
          if (object && !key(top.key)) return std::nullopt;
          break;
        }
        if (d != (object ? '}' : ']')) return std::nullopt;
        value = std::move(top.value);
        stack_.pop_back();
      }
    }
  }

 private:
  struct Frame {
    Json value;
    std::string key;
  };

  bool at_end() const { return i_ >= s_.size(); }

  void skip_ws() {
    while (!at_end() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }

  bool literal(std::string_view word) {
    if (!s_.substr(i_).starts_with(word)) return false;
    i_ += word.size();
    return true;
  }

  bool key(std::string& out) {
    if (at_end() || s_[i_] != '"') return false;
    out.clear();
    if (!string(out)) return false;
    skip_ws();
    if (at_end() || s_[i_] != ':') return false;
    ++i_;
    skip_ws();
    return true;
  }

  bool scalar(Json& out) {
    if (s_[i_] == '"') {
      std::string text;
      if (!string(text)) return false;
      out = std::move(text);
    } else if (literal("null")) {
      out = nullptr;
    } else if (literal("true")) {
      out = true;
    } else if (literal("false")) {
      out = false;
    } else if (literal("NaN")) {
      out = std::numeric_limits<double>::quiet_NaN();
    } else if (literal("Infinity")) {
      out = std::numeric_limits<double>::infinity();
    } else if (literal("-Infinity")) {
      out = -std::numeric_limits<double>::infinity();
    } else {
      return number(out);
    }
    return true;
  }

  bool hex4(std::size_t at, std::uint32_t& out) const {
    if (at + 4 > s_.size()) return false;
    out = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
      const char c = s_[k];
      std::uint32_t digit = 0;
      if (is_digit(c))
        digit = static_cast<std::uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        digit = static_cast<std::uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        digit = static_cast<std::uint32_t>(c - 'A' + 10);
      else
        return false;
      out = out << 4 | digit;
    }
    return true;
  }

  // Python's strict scanstring: raw control characters are refused; a high surrogate
  // escape joins only with a low one right after it, otherwise it stays alone.
  bool string(std::string& out) {
    ++i_;  // the opening quote
    std::size_t run = i_;
    while (true) {
      if (at_end()) return false;
      const auto ch = static_cast<unsigned char>(s_[i_]);
      if (ch == '"') {
        out.append(s_.substr(run, i_ - run));
        ++i_;
        return true;
      }
      if (ch < 0x20) return false;
      if (ch != '\\') {
        ++i_;
        continue;
      }
      out.append(s_.substr(run, i_ - run));
      if (++i_ >= s_.size()) return false;
      switch (s_[i_++]) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t cp = 0;
          if (!hex4(i_, cp)) return false;
          i_ += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF && i_ + 1 < s_.size() && s_[i_] == '\\' &&
              s_[i_ + 1] == 'u') {
            std::uint32_t low = 0;
            if (!hex4(i_ + 2, low)) return false;
            if (low >= 0xDC00 && low <= 0xDFFF) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              i_ += 6;
            }
          }
          append_code_point(out, cp);
          break;
        }
        default:
          return false;
      }
      run = i_;
    }
  }

  // JSON's number grammar; an int stays an int, as in Python, as far as 64 bits reach.
  bool number(Json& out) {
    const std::size_t start = i_;
    if (s_[i_] == '-') ++i_;
    if (at_end()) return false;
    if (s_[i_] == '0') {
      ++i_;
    } else if (s_[i_] >= '1' && s_[i_] <= '9') {
      while (!at_end() && is_digit(s_[i_])) ++i_;
    } else {
      return false;
    }
    bool is_float = false;
    if (i_ + 1 < s_.size() && s_[i_] == '.' && is_digit(s_[i_ + 1])) {
      is_float = true;
      i_ += 2;
      while (!at_end() && is_digit(s_[i_])) ++i_;
    }
    if (!at_end() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      const std::size_t before = i_++;
      if (!at_end() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!at_end() && is_digit(s_[i_])) {
        is_float = true;
        while (!at_end() && is_digit(s_[i_])) ++i_;
      } else {
        i_ = before;  // "1e" is the number 1 followed by junk
      }
    }
    const std::string_view text = s_.substr(start, i_ - start);
    const char* first = text.data();
    const char* last = text.data() + text.size();
    if (!is_float) {
      if (text.front() == '-') {
        std::int64_t v = 0;
        if (auto r = std::from_chars(first, last, v); r.ec == std::errc{} && r.ptr == last) {
          out = v;
          return true;
        }
      } else {
        std::uint64_t v = 0;
        if (auto r = std::from_chars(first, last, v); r.ec == std::errc{} && r.ptr == last) {
          out = v;
          return true;
        }
      }
      // Wider than 64 bits: Python keeps every digit, a Json holds the nearest double.
    }
    double d = 0.0;
    if (auto r = std::from_chars(first, last, d); r.ec == std::errc::result_out_of_range) {
      // float() overflows to inf and underflows to zero, keeping the sign.
      d = overflows(text) ? std::numeric_limits<double>::infinity() : 0.0;
      if (text.front() == '-') d = -d;
    }
    out = d;
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int max_depth_;
  std::vector<Frame> stack_;
};

}  // namespace

std::optional<Json> python_json_loads(std::string_view payload, int max_depth) {
  // bytes.decode('utf-8') first; json.loads then refuses a BOM outright.
  if (!valid_utf8(payload) || payload.starts_with("\xEF\xBB\xBF")) return std::nullopt;
  return Loader(payload, max_depth).run();
}

}  // namespace lampi::model
