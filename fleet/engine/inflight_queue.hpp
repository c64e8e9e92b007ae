// One lamp's QoS 1 publishes awaiting PUBACK, in send order. The broker acknowledges in
// order, so the common ack touches only the front, and the timeout sweep only entries it
// has not yet seen: O(1) even with a thousand in flight behind a saturated broker.
//
// A publish past the response timeout is a failure, but it stays until its PUBACK comes
// (libmosquitto keeps it and resends it after a reconnect too), marked late, so that its
// real response time still goes into the percentiles (wrk2: no result left out).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "firmware_model/topic.hpp"
#include "firmware_model/virtual_time.hpp"

namespace lampi::fleet {

struct InFlight {
  int mid;
  model::Topic topic;
  model::VirtualTime scheduled;
  bool from_command = false;  // a lamp/changed answering a cloud set_config
  bool late = false;          // past the response timeout: already counted as a failure
  std::uint64_t digest = 0;   // message_digest(), when the run keeps lamp ledgers
  bool fault = false;         // delayed by the fleet's own faults (faults.events), not the broker
};

class InFlightQueue {
 public:
  std::size_t size() const { return items_.size() - head_; }
  bool empty() const { return size() == 0; }
  const InFlight& front() const { return items_[head_]; }

  void push(const InFlight& f) { items_.push_back(f); }

  void pop_front() {
    ++head_;
    late_end_ = std::max(late_end_, head_);
    compact();
  }

  // Removes the entry with this message id; false if there is none (QoS 0, or an id
  // libmosquitto reused after the entry was taken).
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
    if (static_cast<std::size_t>(it - items_.begin()) < late_end_) --late_end_;
    items_.erase(it);
    return true;
  }

  // Marks late, oldest first, every entry not yet late whose scheduled time is more than
  // `timeout` before `now`, handing each to on_late. Entries are in send order, which is
  // schedule order, so late ones are a prefix and the sweep stops at the first in time.
  template <typename OnLate>
  void expire(model::VirtualTime now, model::Duration timeout, OnLate&& on_late) {
    while (late_end_ < items_.size() && now - items_[late_end_].scheduled > timeout) {
      items_[late_end_].late = true;
      on_late(items_[late_end_]);
      ++late_end_;
    }
  }

  // Marks every entry still waiting as delayed by the fleet's own fault.
  void mark_fault() {
    for (std::size_t i = head_; i < items_.size(); ++i) items_[i].fault = true;
  }

  // Hands every entry still waiting to on_each, oldest first, and empties the queue: the
  // publishes that never got their PUBACK.
  template <typename OnEach>
  void drain(OnEach&& on_each) {
    for (std::size_t i = head_; i < items_.size(); ++i) on_each(items_[i]);
    items_.clear();
    head_ = late_end_ = 0;
  }

  // An empty queue gives back what a burst grew it to (a reconnect sends the retained
  // states and the whole bridge queue at once). Kept, that capacity would stay in every
  // lamp it hit and ratchet up storm by storm. Called from the shard's once-a-second sweep,
  // not per PUBACK, so that a lamp whose bursts come every second does not reallocate each.
  void release_spare() {
    if (empty() && items_.capacity() > kKeptCapacity) {
      items_.clear();
      head_ = late_end_ = 0;
      items_.shrink_to_fit();
    }
  }

 private:
  static constexpr std::size_t kKeptCapacity = 16;  // a usual burst's 10, and its retained

  void compact() {
    if (head_ == items_.size()) {
      items_.clear();
      head_ = late_end_ = 0;
    } else if (head_ > 64 && head_ * 2 > items_.size()) {
      items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
      late_end_ -= head_;
      head_ = 0;
    }
  }

  std::vector<InFlight> items_;
  std::size_t head_ = 0;
  std::size_t late_end_ = 0;  // items_[head_, late_end_) are late
};

}  // namespace lampi::fleet
