// libmosquitto's process-wide init, held for as long as anything may create a client.
// mosquitto_lib_init is reference-counted since 2.0, so every owner may hold one.
#pragma once

#include <mosquitto.h>

#include <stdexcept>

namespace lampi::fleet {

class MosquittoLibrary {
 public:
  MosquittoLibrary() {
    if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS)
      throw std::runtime_error("libmosquitto failed to initialise");
  }
  ~MosquittoLibrary() { mosquitto_lib_cleanup(); }
  MosquittoLibrary(const MosquittoLibrary&) = delete;
  MosquittoLibrary& operator=(const MosquittoLibrary&) = delete;
};

}  // namespace lampi::fleet
