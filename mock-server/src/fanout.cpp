#include "fanout.h"

#include "frame_handler.h"

namespace confab::server {

Fanout::Fanout(Hub& hub, Faults& faults, QueuePush queue_push)
    : hub_(hub), faults_(faults), queue_push_(std::move(queue_push)) {}

Outcome Fanout::sent(const std::string& request_id, const AppendResult& result) const {
  Outcome out;
  if (!(result && faults_.take_dropped_ack())) out.replies.push_back(FrameHandler::answer(request_id, result));
  if (!result || !result->event) return out;
  const auto& e = *result->event;
  out.deliveries.push_back({result->members, protocol::encode(protocol::ServerFrame{e}), {}, false});
  if (e.kind == EventKind::message_created) {
    for (auto& user : hub_.offline(result->members)) {
      if (user != e.sender_id) {
        out.pushes.push_back({0, std::move(user), e.conversation_id, e.conversation_seq, e.sender_id, e.created_at_ms, 0});
      }
    }
  }
  return out;
}

void Fanout::publish(Outcome outcome, const std::weak_ptr<Requester>& requester, const FrameSink* requester_sink) const {
  if (auto connection = requester.lock()) connection->answered(std::move(outcome.replies));
  int copies = faults_.duplicate_events.load() ? 2 : 1;
  for (auto& delivery : outcome.deliveries) {
    // Encoded once, shared by every device that receives it.
    auto frame = std::make_shared<const std::string>(std::move(delivery.frame));
    for (int i = 0; i < copies; ++i) {
      hub_.deliver(delivery.user_ids, frame, delivery.skip_user, delivery.skip_requester ? requester_sink : nullptr);
    }
  }
  if (!outcome.pushes.empty()) queue_push_(std::move(outcome.pushes));
}

}  // namespace confab::server
