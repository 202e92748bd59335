#include "runtime/plugin/pending_table.h"

namespace machi {

uint64_t PendingTable::add(Callback done, Clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  uint32_t index;
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
  } else {
    index = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Slot& slot = slots_[index];
  slot.active = true;
  slot.done = std::move(done);
  slot.deadline = deadline;
  ++outstanding_;
  return (static_cast<uint64_t>(slot.generation) << 32) | index;
}

std::optional<PendingTable::Callback> PendingTable::take(uint64_t token) {
  uint32_t index = static_cast<uint32_t>(token & 0xffffffffu);
  uint32_t generation = static_cast<uint32_t>(token >> 32);
  if (index >= slots_.size()) return std::nullopt;
  Slot& slot = slots_[index];
  if (!slot.active || slot.generation != generation) return std::nullopt;
  Callback done = std::move(slot.done);
  slot.done = nullptr;
  slot.active = false;
  // Skip 0 on wrap so that a zero token is never valid.
  slot.generation = slot.generation + 1 == 0 ? 1 : slot.generation + 1;
  free_.push_back(index);
  --outstanding_;
  return done;
}

machi_status PendingTable::complete(uint64_t token, PluginResponse response) {
  std::optional<Callback> done;
  {
    std::lock_guard lock(mutex_);
    done = take(token);
  }
  if (!done) return MACHI_ERR_EXPIRED;
  (*done)(std::move(response));
  return MACHI_OK;
}

bool PendingTable::abandon(uint64_t token) {
  std::lock_guard lock(mutex_);
  return take(token).has_value();
}

size_t PendingTable::expire_overdue(Clock::time_point now, const PluginResponse& response) {
  std::vector<Callback> overdue;
  {
    std::lock_guard lock(mutex_);
    for (uint32_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = slots_[i];
      if (slot.active && slot.deadline <= now) {
        if (auto done = take((static_cast<uint64_t>(slot.generation) << 32) | i)) {
          overdue.push_back(std::move(*done));
        }
      }
    }
  }
  for (auto& done : overdue) done(response);
  return overdue.size();
}

size_t PendingTable::expire_all(const PluginResponse& response) {
  return expire_overdue(Clock::time_point::max(), response);
}

size_t PendingTable::outstanding() const {
  std::lock_guard lock(mutex_);
  return outstanding_;
}

}  // namespace machi
