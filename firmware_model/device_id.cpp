#include "firmware_model/device_id.hpp"

#include <charconv>

namespace lampi::model {

std::array<char, 12> DeviceId::digits() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::array<char, 12> out{};
  std::uint64_t v = value;
  for (int i = 11; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kHex[v & 0xF];
    v >>= 4;
  }
  return out;
}

std::optional<DeviceId> parse_device_id(std::string_view text) {
  // No "0x" here: a caller that allows one strips it, and a second one must not pass.
  if (text.empty() || text.size() > 12) return std::nullopt;
  std::uint64_t v = 0;
  auto res = std::from_chars(text.data(), text.data() + text.size(), v, 16);
  if (res.ec != std::errc{} || res.ptr != text.data() + text.size()) return std::nullopt;
  return DeviceId{v};
}

}  // namespace lampi::model
