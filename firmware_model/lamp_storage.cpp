#include "firmware_model/lamp_storage.hpp"

namespace lampi::model {

StoredLamp stored_part(const Lamp& lamp) {
  return {.state = lamp.state, .retained = lamp.broker.retained};
}

void restore(Lamp& lamp, const StoredLamp& stored) {
  lamp.state = stored.state;
  lamp.broker.retained = stored.retained;
}

}  // namespace lampi::model
