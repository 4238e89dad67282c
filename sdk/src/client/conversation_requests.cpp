#include "client/conversation_requests.h"

#include <set>

#include "protocol/utf8.h"

namespace confab::client {
namespace {

using protocol::ConversationOp;

constexpr std::size_t kMaxGroupDmOthers = 15;  // a group DM holds 3-16 people, the user included

Error invalid(std::string message) { return Error::make(ErrorCode::invalid_argument, std::move(message)); }

Result<void> check_id(std::string_view id, const char* what) {
  if (!protocol::is_identifier(id)) {
    return invalid(std::string(what) + " must be 1-128 characters from A-Z a-z 0-9 . _ : -");
  }
  return {};
}

// A name or topic as the server takes it: UTF-8, no control characters, within `max` bytes.
Result<void> check_text(std::string_view text, std::size_t min, std::size_t max, const char* what) {
  if (text.size() < min || text.size() > max) {
    return invalid(std::string(what) + " must be " + std::to_string(min) + "-" + std::to_string(max) + " bytes");
  }
  if (!utf8::is_valid(text) || !protocol::is_printable(text, max)) {
    return invalid(std::string(what) + " must be UTF-8 without control characters");
  }
  return {};
}

// The distinct other users of a list (the user left out), each checked.
Result<std::vector<std::string>> others(const std::vector<std::string>& user_ids, const std::string& self) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& id : user_ids) {
    if (auto ok = check_id(id, "a user id"); !ok) return ok.error();
    if (id == self || !seen.insert(id).second) continue;
    out.push_back(id);
  }
  return out;
}

CheckedRequest on_conversation(ConversationOp op, std::string_view conversation_id, bool idempotent) {
  CheckedRequest r;
  r.frame.op = op;
  r.frame.conversation_id = std::string(conversation_id);
  r.idempotent = idempotent;
  return r;
}

}  // namespace

Result<CheckedRequest> channel_request(std::string_view workspace_id, std::string_view name, std::string_view topic,
                                       bool is_private) {
  if (!workspace_id.empty()) {
    if (auto ok = check_id(workspace_id, "the workspace id"); !ok) return ok.error();
  }
  if (auto ok = check_text(name, 1, protocol::kMaxNameBytes, "a channel's name"); !ok) return ok.error();
  if (auto ok = check_text(topic, 0, protocol::kMaxTopicBytes, "a topic"); !ok) return ok.error();
  CheckedRequest r;
  r.frame.op = ConversationOp::create;
  r.frame.kind = is_private ? "private_channel" : "channel";
  r.frame.workspace_id = std::string(workspace_id);
  r.frame.name = std::string(name);
  if (!topic.empty()) r.frame.topic = std::string(topic);
  r.idempotent = false;  // a second one would be a second channel (or refused as a duplicate name)
  return r;
}

Result<CheckedRequest> dm_request(std::string_view user_id, const std::string& self) {
  if (auto ok = check_id(user_id, "the user id"); !ok) return ok.error();
  if (!self.empty() && user_id == self) return invalid("a DM is with another user");
  CheckedRequest r;
  r.frame.op = ConversationOp::create;
  r.frame.kind = "dm";
  r.frame.user_ids = {std::string(user_id)};
  r.idempotent = true;  // one DM per pair: asking again answers with the same one
  return r;
}

Result<CheckedRequest> group_dm_request(const std::vector<std::string>& user_ids, const std::string& self) {
  auto members = others(user_ids, self);
  if (!members) return members.error();
  if (members->size() < 2 || members->size() > kMaxGroupDmOthers) {
    return invalid("a group DM holds 3 to 16 people, the user included: name 2 to 15 others (" +
                   std::to_string(members->size()) + " named)");
  }
  CheckedRequest r;
  r.frame.op = ConversationOp::create;
  r.frame.kind = "group_dm";
  r.frame.user_ids = std::move(members).value();
  r.idempotent = false;
  return r;
}

Result<CheckedRequest> join_request(std::string_view conversation_id) {
  if (auto ok = check_id(conversation_id, "the conversation id"); !ok) return ok.error();
  return on_conversation(ConversationOp::join, conversation_id, true);  // joining again changes nothing
}

Result<CheckedRequest> leave_request(std::string_view conversation_id) {
  if (auto ok = check_id(conversation_id, "the conversation id"); !ok) return ok.error();
  return on_conversation(ConversationOp::leave, conversation_id, false);  // a second leave is refused
}

Result<CheckedRequest> invite_request(std::string_view conversation_id, const std::vector<std::string>& user_ids) {
  if (auto ok = check_id(conversation_id, "the conversation id"); !ok) return ok.error();
  auto invited = others(user_ids, {});
  if (!invited) return invited.error();
  if (invited->empty() || invited->size() > protocol::kMaxUsersPerRequest) {
    return invalid("invite 1 to " + std::to_string(protocol::kMaxUsersPerRequest) + " users");
  }
  auto r = on_conversation(ConversationOp::invite, conversation_id, true);  // members already in stay
  r.frame.user_ids = std::move(invited).value();
  return r;
}

Result<CheckedRequest> rename_request(std::string_view conversation_id, std::string_view name) {
  if (auto ok = check_id(conversation_id, "the conversation id"); !ok) return ok.error();
  if (auto ok = check_text(name, 1, protocol::kMaxNameBytes, "a channel's name"); !ok) return ok.error();
  auto r = on_conversation(ConversationOp::update, conversation_id, true);  // the same name again changes nothing
  r.frame.name = std::string(name);
  return r;
}

Result<CheckedRequest> topic_request(std::string_view conversation_id, std::string_view topic) {
  if (auto ok = check_id(conversation_id, "the conversation id"); !ok) return ok.error();
  if (auto ok = check_text(topic, 0, protocol::kMaxTopicBytes, "a topic"); !ok) return ok.error();
  auto r = on_conversation(ConversationOp::update, conversation_id, true);
  r.frame.topic = std::string(topic);
  return r;
}

}  // namespace confab::client
