// Encoding of frames in both directions.
#include <nlohmann/json.hpp>

#include "protocol/protocol.h"
#include "protocol/utf8.h"

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

Json attachments_json(const std::vector<AttachmentRef>& attachments) {
  Json files = Json::array();
  for (const auto& a : attachments) {
    Json f = Json::object();
    if (!a.id.empty()) f["id"] = a.id;  // none yet: a file still uploading, as the device stores it
    if (!a.name.empty()) f["name"] = a.name;
    if (a.size > 0) f["size"] = a.size;
    if (!a.content_type.empty()) f["contentType"] = a.content_type;
    if (!a.sha256.empty()) f["sha256"] = a.sha256;
    if (a.width > 0) f["width"] = a.width;
    if (a.height > 0) f["height"] = a.height;
    if (!a.preview.empty()) f["preview"] = a.preview;
    files.push_back(std::move(f));
  }
  return files;
}

Json body_json(const Body& body) {
  Json j{{"kind", "text"}, {"text", body.text}};
  if (!body.attachments.empty()) j["attachments"] = attachments_json(body.attachments);
  return j;
}

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
  if (!f.reply_to.empty()) j["replyTo"] = f.reply_to;
  if (!f.thread_root_id.empty()) j["threadRootId"] = f.thread_root_id;
  return j;
}

Json to_json(const Ping& f) { return envelope("ping", f.id); }

Json to_json(const MessageWithdraw& f) {
  Json j = envelope("message.withdraw", f.id);
  j["conversationId"] = f.conversation_id;
  j["clientMessageId"] = f.client_message_id;
  return j;
}

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

Json event_json(const Event& f) {
  Json j = envelope("event", {});
  j["conversationId"] = f.conversation_id;
  j["conversationSeq"] = f.conversation_seq;
  j["kind"] = to_string(f.kind);
  switch (f.kind) {
    case EventKind::member_joined:
    case EventKind::member_left:
      j["member"] = Json{{"userId", f.member_id}, {"senderId", f.sender_id}, {"createdAtMs", f.created_at_ms}};
      return j;
    case EventKind::conversation_updated:
      j["conversation"] = Json{
          {"senderId", f.sender_id}, {"createdAtMs", f.created_at_ms}, {"name", f.name}, {"topic", f.topic}};
      return j;
    default: break;
  }
  Json payload{{"messageId", f.message_id},
               {"senderId", f.sender_id},
               {"clientMessageId", f.client_message_id},
               {"createdAtMs", f.created_at_ms}};
  switch (f.kind) {
    case EventKind::message_created:
    case EventKind::message_edited:
      payload["body"] = body_json(f.body);
      if (!f.reply_to.empty()) payload["replyTo"] = f.reply_to;
      if (!f.thread_root_id.empty()) payload["threadRootId"] = f.thread_root_id;
      j["message"] = std::move(payload);
      break;
    case EventKind::reaction_added:
    case EventKind::reaction_removed:
      payload["emoji"] = f.emoji;
      j["reaction"] = std::move(payload);
      break;
    default:
      j["message"] = std::move(payload);
      break;
  }
  return j;
}

Json to_json(const Event& f) { return event_json(f); }

Json to_json(const ErrorFrame& f) {
  Json j = envelope("error", f.id);
  j["code"] = f.error.code == ErrorCode::unknown && !f.code_name.empty()
                  ? f.code_name
                  : std::string(to_string(f.error.code));
  j["retryable"] = f.error.retryable;
  // Optional on the wire, and never empty when present (decoders refuse an empty one).
  // Made valid UTF-8 before it is cut to the limit: a message quoting bad input would
  // otherwise grow past the limit when the JSON writer replaces its bad bytes.
  if (!f.error.message.empty()) {
    j["message"] = utf8::truncate(utf8::sanitize(f.error.message), kMaxErrorMessageBytes);
  }
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

Json summary_json(const ConversationSummary& c) {
  Json j{{"conversationId", c.conversation_id}, {"kind", c.kind}};
  if (!c.workspace_id.empty()) j["workspaceId"] = c.workspace_id;
  if (!c.name.empty()) j["name"] = c.name;
  if (!c.topic.empty()) j["topic"] = c.topic;
  j["headSeq"] = c.head_seq;
  j["readSeq"] = c.read_seq;
  j["memberCount"] = c.member_count;
  if (!c.members.empty()) j["members"] = c.members;
  return j;
}

Json page_json(std::string_view type, const std::string& id, const std::vector<ConversationSummary>& items,
               const std::string& next) {
  Json j = envelope(type, id);
  Json list = Json::array();
  for (const auto& item : items) list.push_back(summary_json(item));
  j["items"] = std::move(list);
  if (!next.empty()) j["next"] = next;
  return j;
}

Json to_json(const Conversations& f) { return page_json("conversations", f.id, f.items, f.next); }
Json to_json(const SyncState& f) { return page_json("sync.state", f.id, f.items, f.next); }

std::string_view conversation_type(ConversationOp op) {
  switch (op) {
    case ConversationOp::create: return "conversation.create";
    case ConversationOp::join: return "conversation.join";
    case ConversationOp::leave: return "conversation.leave";
    case ConversationOp::invite: return "conversation.invite";
    case ConversationOp::update: return "conversation.update";
  }
  return "conversation.create";
}

Json to_json(const ConversationRequest& f) {
  Json j = envelope(conversation_type(f.op), f.id);
  if (f.op != ConversationOp::create) j["conversationId"] = f.conversation_id;
  if (f.op == ConversationOp::create) {
    if (!f.workspace_id.empty()) j["workspaceId"] = f.workspace_id;
    j["kind"] = f.kind;
  }
  if (f.name) j["name"] = *f.name;
  if (f.topic) j["topic"] = *f.topic;
  if (f.op == ConversationOp::create || f.op == ConversationOp::invite) j["userIds"] = f.user_ids;
  return j;
}

Json to_json(const SyncRequest& f) {
  Json j = envelope("sync.request", f.id);
  if (!f.after.empty()) j["after"] = f.after;
  j["limit"] = f.limit;
  if (!f.cursors.empty()) {
    Json cursors = Json::array();
    for (const auto& c : f.cursors) cursors.push_back(Json{{"conversationId", c.conversation_id}, {"seq", c.seq}});
    j["cursors"] = std::move(cursors);
  }
  return j;
}

Json to_json(const HistoryRequest& f) {
  Json j = envelope("history.request", f.id);
  j["conversationId"] = f.conversation_id;
  if (f.after_seq) j["afterSeq"] = *f.after_seq;
  if (f.before_seq) j["beforeSeq"] = *f.before_seq;
  j["limit"] = f.limit;
  return j;
}

Json to_json(const CursorUpdate& f) {
  Json j = envelope("cursor.update", f.id);
  j["conversationId"] = f.conversation_id;
  if (f.read_seq > 0) j["readSeq"] = f.read_seq;
  if (f.delivered_seq > 0) j["deliveredSeq"] = f.delivered_seq;
  return j;
}

Json to_json(const PresenceHeartbeat& f) {
  Json j = envelope("presence.heartbeat", f.id);
  j["status"] = f.status;
  return j;
}

Json to_json(const TypingUpdate& f) {
  Json j = envelope(f.typing ? "typing.start" : "typing.stop", f.id);
  j["conversationId"] = f.conversation_id;
  return j;
}

Json to_json(const ConversationInfo& f) {
  Json j = envelope("conversation", f.id);
  j["conversation"] = summary_json(f.conversation);
  j["members"] = f.members;
  return j;
}

Json to_json(const History& f) {
  Json j = envelope("history", f.id);
  j["conversationId"] = f.conversation_id;
  j["headSeq"] = f.head_seq;
  Json events = Json::array();
  for (const auto& e : f.events) events.push_back(event_json(e));
  j["events"] = std::move(events);
  if (f.more) j["more"] = true;
  if (f.too_long) j["tooLong"] = true;
  return j;
}

Json to_json(const CursorState& f) {
  Json j = envelope("cursor", f.id);
  j["conversationId"] = f.conversation_id;
  j["userId"] = f.user_id;
  if (!f.device_id.empty()) j["deviceId"] = f.device_id;
  j["readSeq"] = f.read_seq;
  j["deliveredSeq"] = f.delivered_seq;
  return j;
}

Json to_json(const Presence& f) {
  Json j = envelope("presence", {});
  j["userId"] = f.user_id;
  j["status"] = f.status;
  return j;
}

Json to_json(const Typing& f) {
  Json j = envelope("typing", {});
  j["conversationId"] = f.conversation_id;
  j["userId"] = f.user_id;
  j["typing"] = f.typing;
  return j;
}

Json to_json(const DirectoryList& f) {
  Json j = envelope("directory.list", f.id);
  if (!f.after.empty()) j["after"] = f.after;
  j["limit"] = f.limit;
  return j;
}

Json to_json(const PresenceQuery& f) {
  Json j = envelope("presence.query", f.id);
  j["userIds"] = f.user_ids;
  return j;
}

Json to_json(const ReceiptsRequest& f) {
  Json j = envelope("receipts.request", f.id);
  j["conversationId"] = f.conversation_id;
  if (!f.after.empty()) j["after"] = f.after;
  j["limit"] = f.limit;
  return j;
}

Json to_json(const Directory& f) {
  Json j = envelope("directory", f.id);
  Json workspaces = Json::array();
  for (const auto& w : f.workspaces) {
    workspaces.push_back(Json{{"workspaceId", w.workspace_id}, {"name", w.name}, {"role", w.role}});
  }
  j["workspaces"] = std::move(workspaces);
  Json users = Json::array();
  for (const auto& u : f.users) {
    Json user{{"userId", u.user_id}, {"displayName", u.display_name}};
    if (!u.workspaces.empty()) {
      Json shared = Json::array();
      for (const auto& w : u.workspaces) shared.push_back(Json{{"workspaceId", w.workspace_id}, {"role", w.role}});
      user["workspaces"] = std::move(shared);
    }
    users.push_back(std::move(user));
  }
  j["users"] = std::move(users);
  if (!f.next.empty()) j["next"] = f.next;
  return j;
}

Json to_json(const PresenceState& f) {
  Json j = envelope("presence.state", f.id);
  Json items = Json::array();
  for (const auto& p : f.items) items.push_back(Json{{"userId", p.user_id}, {"status", p.status}});
  j["items"] = std::move(items);
  return j;
}

Json to_json(const Receipts& f) {
  Json j = envelope("receipts", f.id);
  j["conversationId"] = f.conversation_id;
  Json items = Json::array();
  for (const auto& k : f.items) {
    items.push_back(Json{{"userId", k.user_id}, {"readSeq", k.read_seq}, {"deliveredSeq", k.delivered_seq}});
  }
  j["items"] = std::move(items);
  if (!f.next.empty()) j["next"] = f.next;
  return j;
}

}  // namespace

std::string attachments_text(const std::vector<AttachmentRef>& refs) {
  if (refs.empty()) return {};
  return attachments_json(refs).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string encode(const ClientFrame& frame) {
  return std::visit([](const auto& f) { return dump(to_json(f)); }, frame);
}

std::string encode(const ServerFrame& frame) {
  return std::visit([](const auto& f) { return dump(to_json(f)); }, frame);
}

std::string_view type_name(const ClientFrame& frame) noexcept {
  if (const auto* change = std::get_if<MessageChange>(&frame)) return change_type(change->kind);
  if (const auto* request = std::get_if<ConversationRequest>(&frame)) return conversation_type(request->op);
  if (const auto* typing = std::get_if<TypingUpdate>(&frame)) return typing->typing ? "typing.start" : "typing.stop";
  static constexpr std::string_view kNames[] = {"auth",           "message.send",    "ping",
                                                "",               "conversations.list", "",
                                                "sync.request",   "history.request", "cursor.update",
                                                "presence.heartbeat", "",            "message.withdraw",
                                                "directory.list", "presence.query",  "receipts.request"};
  static_assert(std::size(kNames) == std::variant_size_v<ClientFrame>);
  return kNames[frame.index()];
}

std::string_view type_name(const ServerFrame& frame) noexcept {
  static constexpr std::string_view kNames[] = {"auth.ok",   "message.ack",   "event",        "error",
                                                "pong",      "conversations", "conversation", "sync.state",
                                                "history",   "cursor",        "presence",     "typing",
                                                "directory", "presence.state", "receipts"};
  static_assert(std::size(kNames) == std::variant_size_v<ServerFrame>);
  return kNames[frame.index()];
}

}  // namespace confab::protocol
