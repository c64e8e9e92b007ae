// One lamp's QoS 1 publishes awaiting PUBACK, in send order. The broker acknowledges in
// order, so the common ack and the timeout sweep both touch only the front: O(1) even
// with a thousand in flight behind a saturated broker.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "firmware_model/topic.hpp"
#include "firmware_model/virtual_time.hpp"

namespace lampi::fleet {

struct InFlight {
  int mid;
  model::Topic topic;
  model::VirtualTime scheduled;
  bool from_command = false;  // a lamp/changed answering a cloud set_config
};

class InFlightQueue {
 public:
  std::size_t size() const { return items_.size() - head_; }
  bool empty() const { return size() == 0; }
  const InFlight& front() const { return items_[head_]; }

  void push(const InFlight& f) { items_.push_back(f); }

  void pop_front() {
    ++head_;
    compact();
  }

  // Removes the entry with this message id; false if there is none (QoS 0, or already
  // timed out).
  bool take(int mid, InFlight& out) {
    if (empty()) return false;
    if (items_[head_].mid == mid) {
      out = items_[head_];
      pop_front();
      return true;
    }
    auto it = std::find_if(items_.begin() + static_cast<std::ptrdiff_t>(head_), items_.end(),
                           [mid](const InFlight& f) { return f.mid == mid; });
    if (it == items_.end()) return false;
    out = *it;
    items_.erase(it);
    return true;
  }

  // Removes, oldest first, every entry whose scheduled time is more than `timeout` before
  // `now`, handing each to on_expired. Entries are in send order, which is schedule order,
  // so the sweep stops at the first entry still in time.
  template <typename OnExpired>
  void expire(model::VirtualTime now, model::Duration timeout, OnExpired&& on_expired) {
    while (!empty() && now - front().scheduled > timeout) {
      on_expired(front());
      pop_front();
    }
  }

 private:
  void compact() {
    if (head_ == items_.size()) {
      items_.clear();
      head_ = 0;
      if (items_.capacity() > 64) items_.shrink_to_fit();  // idle lamps give memory back
    } else if (head_ > 64 && head_ * 2 > items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      head_ = 0;
    }
  }

  std::vector<InFlight> items_;
  std::size_t head_ = 0;
};

}  // namespace lampi::fleet
