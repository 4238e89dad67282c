// The app's conversation requests (create_channel(), open_dm(), join(), ...): their
// arguments checked on the caller's thread, and the Pending of each until its answer.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "confab/conversation.h"
#include "confab/request.h"
#include "protocol/protocol.h"

namespace confab::client {

// A request to send, checked; `idempotent` as core::Session::request_conversation() says.
struct CheckedRequest {
  protocol::ConversationRequest frame;
  bool idempotent = false;
};

// Each builds the frame, or says why the arguments cannot be sent (invalid_argument).
// `self` is the user's id when known (empty before the first connection).
Result<CheckedRequest> channel_request(std::string_view workspace_id, std::string_view name, std::string_view topic,
                                       bool is_private);
Result<CheckedRequest> dm_request(std::string_view user_id, const std::string& self);
Result<CheckedRequest> group_dm_request(const std::vector<std::string>& user_ids, const std::string& self);
Result<CheckedRequest> join_request(std::string_view conversation_id);
Result<CheckedRequest> leave_request(std::string_view conversation_id);
Result<CheckedRequest> invite_request(std::string_view conversation_id, const std::vector<std::string>& user_ids);
Result<CheckedRequest> rename_request(std::string_view conversation_id, std::string_view name);
Result<CheckedRequest> topic_request(std::string_view conversation_id, std::string_view topic);

}  // namespace confab::client
