// What leaves the server after a commit: the answers to the connection a request came on,
// the frames for other connected devices, and push wake-ups for members with none.
//
// The committer's completions hand every outcome here, sends and queries alike, on the
// committer thread and in commit order, so every device receives a conversation's events
// in seq order and a sender its ack before the event. Each frame is encoded once however
// many devices receive it; the injected faults that concern delivery (dropped acks,
// duplicated events) apply here. Today delivery is to this process's connections (Hub);
// a bus between server instances would take `deliveries` here too.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "faults.h"
#include "hub.h"
#include "message_store.h"

namespace confab::server {

// A frame for other connections: every connected device of `user_ids`, except those of
// `skip_user` and, with `skip_requester`, the connection the request came on.
struct Delivery {
  std::vector<std::string> user_ids;
  std::string frame;
  std::string skip_user;
  bool skip_requester = false;
};

// What a request produced once the store has done its part: replies to its connection, in
// order; frames for others; wake-ups for members with no connected device.
struct Outcome {
  std::vector<std::string> replies;
  std::vector<Delivery> deliveries;
  std::vector<PushNotification> pushes;
};

// The connection a request came on, as far as its answer is concerned.
class Requester {
 public:
  virtual ~Requester() = default;
  // The request is done: write `replies` (maybe none), in order. Thread-safe; returns at once.
  virtual void answered(std::vector<std::string> replies) = 0;
};

class Fanout {
 public:
  // Committer thread: stores wake-ups in the push outbox (see Server).
  using QueuePush = std::function<void(std::vector<PushNotification>)>;

  // All three outlive the fanout.
  Fanout(Hub& hub, Faults& faults, QueuePush queue_push);

  // The outcome of a committed or refused message.send or message.change answering
  // `request_id`: the ack (unless the dropAcks fault takes it) or the error; the event for
  // every member's devices; a wake-up for each member but the sender with none connected
  // (new messages only).
  Outcome sent(const std::string& request_id, const AppendResult& result) const;

  // Committer thread, in commit order: replies to `requester` (if still connected), then
  // the deliveries (twice under the duplicateEvents fault), then the wake-ups. `requester_sink`
  // is the requester's connection in the hub, which `skip_requester` leaves out.
  void publish(Outcome outcome, const std::weak_ptr<Requester>& requester, const FrameSink* requester_sink) const;

 private:
  Hub& hub_;
  Faults& faults_;
  QueuePush queue_push_;
};

}  // namespace confab::server
