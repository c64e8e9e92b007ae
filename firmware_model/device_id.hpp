// Device IDs: the eth0 MAC as 12 lowercase hex digits; the course's load-test range
// is 0x1e0000000000 + i.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace lampi::model {

inline constexpr std::uint64_t kDefaultDeviceIdBase = 0x1e0000000000ULL;
inline constexpr std::uint64_t kMaxDeviceId = 0xFFFFFFFFFFFFULL;

struct DeviceId {
  std::uint64_t value = 0;

  // Exactly 12 lowercase hex digits; the EC2 daemon matches `[0-9a-f]*_broker`.
  std::array<char, 12> digits() const;
  std::string str() const {
    auto d = digits();
    return {d.data(), d.size()};
  }
  friend bool operator==(DeviceId, DeviceId) = default;
};

inline DeviceId device_id_at(std::uint64_t base, std::uint64_t index) {
  return {base + index};
}

// Accepts 1 to 12 hex digits (either case); rejects anything else.
std::optional<DeviceId> parse_device_id(std::string_view text);

}  // namespace lampi::model
