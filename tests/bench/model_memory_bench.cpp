// Measures the firmware model's memory per idle lamp: N lamps booted, bridged and with
// every service up, counted by the allocator (mallinfo2) rather than guessed.
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "firmware_model/lamp.hpp"

using namespace lampi::model;

int main(int argc, char** argv) {
  std::size_t lamps = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  ModelConfig cfg;
  Effects fx;
  fx.remote.reserve(64);
  fx.pending.reserve(64);
  fx.observations.reserve(16);

  // Small chunks come from the arenas (uordblks), large ones straight from mmap (hblkhd).
  auto in_use = [] {
    auto m = mallinfo2();
    return m.uordblks + m.hblkhd;
  };
  auto before = in_use();
  std::vector<Lamp> fleet;
  fleet.reserve(lamps);
  for (std::size_t i = 0; i < lamps; ++i) {
    fleet.push_back(
        make_lamp(device_id_at(kDefaultDeviceIdBase, i), Rng::derive(1, i), Profile::idle));
    Lamp& lamp = fleet.back();
    power_on(lamp, cfg, VirtualTime{}, fx);
    on_remote_connected(lamp, cfg, at(Duration{1000}), fx);
    advance(lamp, cfg, at(seconds_to_duration(5.0)), fx);  // every service started
    fx.clear();
  }
  auto after = in_use();
  double per_lamp = static_cast<double>(after - before) / static_cast<double>(lamps);
  std::printf("lamps: %zu\n", lamps);
  std::printf("sizeof(Lamp): %zu bytes\n", sizeof(Lamp));
  std::printf("heap per idle lamp (allocator, incl. sizeof): %.1f bytes (%.3f KiB)\n", per_lamp,
              per_lamp / 1024.0);
  std::printf("target: <= 1536 bytes (1.5 KiB): %s\n", per_lamp <= 1536.0 ? "met" : "NOT met");
  return 0;
}
