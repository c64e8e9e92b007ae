// What a lamp keeps on its SD card across a power cycle, and so across a restart of the
// fleet that emulates it: lamp_service's shelve (on, colour, brightness, last client) and
// its local Mosquitto's retained store (the association among it).
#pragma once

#include <array>
#include <cstdint>
#include <map>

#include "firmware_model/lamp.hpp"

namespace lampi::model {

struct StoredLamp {
  LampState state{};
  std::array<RetainedMessage, kTopicCount> retained{};
};

// A fleet's, by device ID (its 48-bit value).
using StoredLamps = std::map<std::uint64_t, StoredLamp>;

StoredLamp stored_part(const Lamp& lamp);

// A lamp that is off takes back what it stored; it then powers on as it would after a
// power cut, with that state and those retained messages.
void restore(Lamp& lamp, const StoredLamp& stored);

}  // namespace lampi::model
