#include "fleet/stats/fleet_stats.hpp"

#include <algorithm>

namespace lampi::fleet {

const char* phase_name(LampPhase p) {
  switch (p) {
    case LampPhase::off:
      return "off";
    case LampPhase::booting:
      return "booting";
    case LampPhase::connecting:
      return "connecting";
    case LampPhase::bridged:
      return "bridged";
    case LampPhase::backing_off:
      return "backing_off";
    case LampPhase::stopped:
      return "stopped";
  }
  return "off";
}

const char* disconnect_reason_name(DisconnectReason r) {
  switch (r) {
    case DisconnectReason::connection_refused:
      return "connection_refused";
    case DisconnectReason::unreachable:
      return "unreachable";
    case DisconnectReason::connect_timeout:
      return "connect_timeout";
    case DisconnectReason::not_authorized:
      return "not_authorized";
    case DisconnectReason::bad_credentials:
      return "bad_credentials";
    case DisconnectReason::identifier_rejected:
      return "identifier_rejected";
    case DisconnectReason::server_unavailable:
      return "server_unavailable";
    case DisconnectReason::protocol_rejected:
      return "protocol_rejected";
    case DisconnectReason::connack_refused:
      return "connack_refused";
    case DisconnectReason::tls_verify_failed:
      return "tls_verify_failed";
    case DisconnectReason::tls_host_mismatch:
      return "tls_host_mismatch";
    case DisconnectReason::tls_alert:
      return "tls_alert";
    case DisconnectReason::tls_bad_client_cert:
      return "tls_bad_client_cert";
    case DisconnectReason::session_taken_over:
      return "session_taken_over";
    case DisconnectReason::lost:
      return "lost";
    case DisconnectReason::keepalive:
      return "keepalive";
    case DisconnectReason::injected:
      return "injected";
    case DisconnectReason::power_off:
      return "power_off";
  }
  return "lost";
}

const char* failure_reason_name(FailureReason r) {
  switch (r) {
    case FailureReason::timeout:
      return "timeout";
    case FailureReason::inflight_cap:
      return "inflight_cap";
    case FailureReason::not_sent:
      return "not_sent";
    case FailureReason::unacknowledged:
      return "unacknowledged";
    case FailureReason::fleet_fault:
      return "fleet_fault";
  }
  return "timeout";
}

const char* invalid_class_name(model::InvalidClass c) {
  switch (c) {
    case model::InvalidClass::not_json:
      return "not_json";
    case model::InvalidClass::not_object:
      return "not_object";
    case model::InvalidClass::missing_client:
      return "missing_client";
    case model::InvalidClass::wrong_type:
      return "wrong_type";
    case model::InvalidClass::out_of_range:
      return "out_of_range";
    case model::InvalidClass::color_incomplete:
      return "color_incomplete";
    case model::InvalidClass::too_large:
      return "too_large";
  }
  return "not_json";
}

std::string topic_pattern(model::Topic t) {
  const model::DeviceId placeholder{};
  std::string name = model::remote_topic(t, placeholder);
  std::string digits = placeholder.str();
  auto at = name.find(digits);
  if (at == std::string::npos) return name;
  // Built anew rather than replace()d: GCC 12 warns falsely (-Wrestrict) on the latter.
  return name.substr(0, at) + "+" + name.substr(at + digits.size());
}

void BucketHistogram::record(std::int64_t micros) {
  double seconds = static_cast<double>(micros) / 1e6;
  std::size_t i = 0;
  while (i < kBucketBounds.size() && seconds > kBucketBounds[i]) ++i;
  bump(buckets[i]);
  bump(count);
  bump(sum_us, static_cast<std::uint64_t>(std::max<std::int64_t>(micros, 0)));
}

void FleetStats::publish_interval(Interval& fresh) {
  std::lock_guard lock(mailbox_mutex_);
  mailbox_.response.merge(fresh.response);
  mailbox_.schedule_lag.merge(fresh.schedule_lag);
  for (auto& note : fresh.failure_notes) mailbox_.failure_notes.push_back(std::move(note));
  fresh.response.reset();
  fresh.schedule_lag.reset();
  fresh.failure_notes.clear();
}

FleetStats::Interval FleetStats::take_interval() {
  std::lock_guard lock(mailbox_mutex_);
  Interval out = std::move(mailbox_);
  mailbox_ = Interval{};
  return out;
}

}  // namespace lampi::fleet
