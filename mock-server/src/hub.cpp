#include "hub.h"

namespace confab::server {

void Hub::join(const std::shared_ptr<FrameSink>& sink) {
  std::lock_guard lock(mutex_);
  sinks_.emplace(sink.get(), Entry{sink, {}});
}

void Hub::identify(const FrameSink* sink, const std::string& user_id) {
  std::lock_guard lock(mutex_);
  auto it = sinks_.find(sink);
  if (it == sinks_.end() || !it->second.user_id.empty()) return;
  it->second.user_id = user_id;
  by_user_.emplace(user_id, sink);
}

std::size_t Hub::leave(const FrameSink* sink) {
  std::lock_guard lock(mutex_);
  auto it = sinks_.find(sink);
  if (it == sinks_.end()) return sinks_.size();
  auto [first, last] = by_user_.equal_range(it->second.user_id);
  for (auto u = first; u != last; ++u) {
    if (u->second == sink) {
      by_user_.erase(u);
      break;
    }
  }
  sinks_.erase(it);
  return sinks_.size();
}

void Hub::deliver(const std::vector<std::string>& user_ids, const std::shared_ptr<const std::string>& frame,
                  const std::string& skip_user, const FrameSink* skip) {
  deliver_if(user_ids, frame, [&](const std::string& user, const FrameSink* sink, const Entry&) {
    return (skip_user.empty() || user != skip_user) && sink != skip;
  });
}

template <class Wanted>
void Hub::deliver_if(const std::vector<std::string>& user_ids, const std::shared_ptr<const std::string>& frame,
                     Wanted wanted) {
  std::lock_guard lock(mutex_);
  for (const auto& user : user_ids) {
    auto [first, last] = by_user_.equal_range(user);
    for (auto it = first; it != last; ++it) {
      const auto& entry = sinks_.at(it->second);
      if (!wanted(user, it->second, entry)) continue;
      if (auto sink = entry.sink.lock()) sink->deliver(frame);
    }
  }
}

std::vector<std::shared_ptr<FrameSink>> Hub::all_sinks() const {
  std::vector<std::shared_ptr<FrameSink>> all;
  std::lock_guard lock(mutex_);
  for (const auto& [key, entry] : sinks_) {
    if (auto sink = entry.sink.lock()) all.push_back(std::move(sink));
  }
  return all;
}

void Hub::subscribe_presence(const FrameSink* sink) {
  std::lock_guard lock(mutex_);
  if (auto it = sinks_.find(sink); it != sinks_.end()) it->second.presence = true;
}

void Hub::deliver_presence(const std::vector<std::string>& user_ids, const std::shared_ptr<const std::string>& frame) {
  deliver_if(user_ids, frame, [](const std::string&, const FrameSink*, const Entry& entry) { return entry.presence; });
}

// Both act outside the lock: a sink may call back into the hub.
void Hub::go_away_all() {
  for (auto& sink : all_sinks()) sink->go_away();
}

void Hub::drop_all() {
  for (auto& sink : all_sinks()) sink->drop();
}

std::vector<std::string> Hub::offline(const std::vector<std::string>& user_ids) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out;
  for (const auto& user : user_ids) {
    if (!by_user_.contains(user)) out.push_back(user);
  }
  return out;
}

std::size_t Hub::size() const {
  std::lock_guard lock(mutex_);
  return sinks_.size();
}

}  // namespace confab::server
