// The connected devices, by user, for fan-out. Thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace confab::server {

// Where frames for one connected device go. Both calls are thread-safe and return at once.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void deliver(std::shared_ptr<const std::string> frame) = 0;
  // Finish writing what is queued, then close with "going away".
  virtual void go_away() = 0;
  // Cut the connection at once, without a close handshake (fault injection).
  virtual void drop() = 0;
};

class Hub {
 public:
  void join(const std::shared_ptr<FrameSink>& sink);
  // Marks a joined sink as one of `user_id`'s devices.
  void identify(const FrameSink* sink, const std::string& user_id);
  // Returns how many sinks remain.
  std::size_t leave(const FrameSink* sink);

  // Gives `frame` to every connected device of every listed user, except the devices of
  // `skip_user` and the sink `skip`.
  void deliver(const std::vector<std::string>& user_ids, const std::shared_ptr<const std::string>& frame,
               const std::string& skip_user = {}, const FrameSink* skip = nullptr);
  // Marks a sink as wanting presence frames; deliver_presence() reaches only those.
  void subscribe_presence(const FrameSink* sink);
  void deliver_presence(const std::vector<std::string>& user_ids, const std::shared_ptr<const std::string>& frame);
  void go_away_all();
  void drop_all();
  std::size_t size() const;
  // Those of `user_ids` with no connected device.
  std::vector<std::string> offline(const std::vector<std::string>& user_ids) const;

 private:
  struct Entry {
    std::weak_ptr<FrameSink> sink;
    std::string user_id;
    bool presence = false;
  };
  template <class Wanted>
  void deliver_if(const std::vector<std::string>& user_ids, const std::shared_ptr<const std::string>& frame,
                  Wanted wanted);
  std::vector<std::shared_ptr<FrameSink>> all_sinks() const;

  mutable std::mutex mutex_;
  std::unordered_map<const FrameSink*, Entry> sinks_;
  std::unordered_multimap<std::string, const FrameSink*> by_user_;
};

}  // namespace confab::server
