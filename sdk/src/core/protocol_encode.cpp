// Encoding of frames in both directions.
#include <nlohmann/json.hpp>

#include "core/protocol.h"
#include "core/utf8.h"

namespace confab::protocol {
namespace {

using Json = nlohmann::json;

std::string dump(const Json& json) {
  // Inputs are validated UTF-8 before they reach the codec; `replace` keeps a bug
  // elsewhere from turning into an exception on the network thread.
  return json.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json envelope(std::string_view type, const std::string& id) {
  Json json = Json::object();
  json["type"] = type;
  if (!id.empty()) json["id"] = id;
  return json;
}

Json body_json(const Body& body) { return Json{{"kind", "text"}, {"text", body.text}}; }

Json to_json(const Auth& f) {
  Json j = envelope("auth", f.id);
  j["token"] = f.token;
  j["protocolVersion"] = f.protocol_version;
  j["deviceId"] = f.device_id;
  return j;
}

Json to_json(const MessageSend& f) {
  Json j = envelope("message.send", f.id);
  j["conversationId"] = f.conversation_id;
  j["clientMessageId"] = f.client_message_id;
  j["body"] = body_json(f.body);
  return j;
}

Json to_json(const Ping& f) { return envelope("ping", f.id); }

std::string_view change_type(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::edit: return "message.edit";
    case ChangeKind::remove: return "message.delete";
    case ChangeKind::react: return "reaction.add";
    case ChangeKind::unreact: return "reaction.remove";
  }
  return "message.edit";
}

Json to_json(const MessageChange& f) {
  Json j = envelope(change_type(f.kind), f.id);
  j["conversationId"] = f.conversation_id;
  j["clientMessageId"] = f.client_message_id;
  j["messageId"] = f.message_id;
  if (f.kind == ChangeKind::edit) j["body"] = body_json(f.body);
  if (f.kind == ChangeKind::react || f.kind == ChangeKind::unreact) j["emoji"] = f.emoji;
  return j;
}

Json to_json(const AuthOk& f) {
  Json j = envelope("auth.ok", f.id);
  j["userId"] = f.user_id;
  j["deviceId"] = f.device_id;
  j["protocolVersion"] = f.protocol_version;
  j["serverTimeMs"] = f.server_time_ms;
  j["limits"] = Json{{"maxFrameBytes", f.max_frame_bytes}, {"maxTextBytes", f.max_text_bytes}};
  return j;
}

Json to_json(const MessageAck& f) {
  Json j = envelope("message.ack", f.id);
  j["conversationId"] = f.conversation_id;
  j["clientMessageId"] = f.client_message_id;
  j["messageId"] = f.message_id;
  j["conversationSeq"] = f.conversation_seq;
  return j;
}

Json to_json(const Event& f) {
  Json j = envelope("event", {});
  j["conversationId"] = f.conversation_id;
  j["conversationSeq"] = f.conversation_seq;
  j["kind"] = to_string(f.kind);
  Json payload{{"messageId", f.message_id},
               {"senderId", f.sender_id},
               {"clientMessageId", f.client_message_id},
               {"createdAtMs", f.created_at_ms}};
  switch (f.kind) {
    case EventKind::message_created:
    case EventKind::message_edited:
      payload["body"] = body_json(f.body);
      j["message"] = std::move(payload);
      break;
    case EventKind::message_deleted:
      j["message"] = std::move(payload);
      break;
    case EventKind::reaction_added:
    case EventKind::reaction_removed:
      payload["emoji"] = f.emoji;
      j["reaction"] = std::move(payload);
      break;
  }
  return j;
}

Json to_json(const ErrorFrame& f) {
  Json j = envelope("error", f.id);
  j["code"] = f.error.code == ErrorCode::unknown && !f.code_name.empty()
                  ? f.code_name
                  : std::string(to_string(f.error.code));
  j["retryable"] = f.error.retryable;
  j["message"] = utf8::truncate(f.error.message, kMaxErrorMessageBytes);
  if (!f.field.empty()) j["field"] = f.field;
  if (f.error.retry_after_ms > 0) j["retryAfterMs"] = f.error.retry_after_ms;
  return j;
}

Json to_json(const Pong& f) { return envelope("pong", f.id); }

Json to_json(const ConversationsList& f) {
  Json j = envelope("conversations.list", f.id);
  if (!f.after.empty()) j["after"] = f.after;
  j["limit"] = f.limit;
  return j;
}

Json to_json(const Conversations& f) {
  Json j = envelope("conversations", f.id);
  Json items = Json::array();
  for (const auto& item : f.items) items.push_back(Json{{"conversationId", item.conversation_id}, {"kind", item.kind}});
  j["items"] = std::move(items);
  if (!f.next.empty()) j["next"] = f.next;
  return j;
}

}  // namespace

std::string encode(const ClientFrame& frame) {
  return std::visit([](const auto& f) { return dump(to_json(f)); }, frame);
}

std::string encode(const ServerFrame& frame) {
  return std::visit([](const auto& f) { return dump(to_json(f)); }, frame);
}

std::string_view type_name(const ClientFrame& frame) noexcept {
  if (const auto* change = std::get_if<MessageChange>(&frame)) return change_type(change->kind);
  static constexpr std::string_view kNames[] = {"auth", "message.send", "ping", "", "conversations.list"};
  return kNames[frame.index()];
}

std::string_view type_name(const ServerFrame& frame) noexcept {
  static constexpr std::string_view kNames[] = {"auth.ok", "message.ack", "event", "error",
                                                "pong", "conversations"};
  return kNames[frame.index()];
}

}  // namespace confab::protocol
