// Decoding of frames in both directions (client -> server and server -> client).
#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <utility>

#include "json_reader.h"
#include "protocol/protocol.h"

namespace confab::protocol {
namespace {

using detail::FieldError;
using detail::Json;
using detail::JsonReader;

constexpr std::int64_t kMaxInt = std::numeric_limits<std::int64_t>::max();

struct TooDeep {};

Json parse_bounded(std::string_view text) {
  // Rejecting deep nesting while parsing keeps hostile input from costing deep recursion.
  Json::parser_callback_t limit_depth = [](int depth, Json::parse_event_t event, Json&) {
    bool opens = event == Json::parse_event_t::object_start || event == Json::parse_event_t::array_start;
    if (opens && depth + 1 > kMaxJsonDepth) throw TooDeep{};  // depth counts from 0
    return true;
  };
  return Json::parse(text.begin(), text.end(), limit_depth);
}

// What a client sends is held to the text limit as the server will write it (escapes
// count); what a server sends is taken at its UTF-8 size, so that a client still reads a
// message stored before that rule.
enum class TextLimit { as_written, as_utf8 };

bool is_base64(std::string_view s) {
  return s.size() % 4 == 0 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
                  c == '/' || c == '=';
         });
}

// Each attachment is an object; a bare id (as written before attachments carried their
// metadata) is read as an object with only its id.
// `stored`: read from the device's own store, where a file still uploading has no id yet.
std::vector<AttachmentRef> read_attachments(const JsonReader& body, bool stored = false) {
  std::vector<AttachmentRef> out;
  if (body.has("attachments") && body.is_array_of_strings("attachments")) {
    for (auto& id : body.identifiers("attachments", kMaxAttachments, kMaxIdentifierBytes)) {
      out.push_back(AttachmentRef{.id = std::move(id)});
    }
    return out;
  }
  for (const auto& f : body.objects("attachments", kMaxAttachments)) {
    AttachmentRef a;
    a.id = stored ? f.optional_identifier("id", kMaxIdentifierBytes) : f.identifier("id", kMaxIdentifierBytes);
    if (auto name = f.optional_text("name", kMaxFileNameBytes)) a.name = std::move(*name);
    a.size = f.optional_integer("size", 0, kMaxAttachmentBytes, 0);
    a.content_type = f.optional_string("contentType", kMaxContentTypeBytes);
    if (!std::all_of(a.content_type.begin(), a.content_type.end(), [](char c) { return c >= 0x20 && c < 0x7f; })) {
      f.fail("contentType", "field '" + f.field_path("contentType") + "' must be printable ASCII");
    }
    a.sha256 = f.optional_string("sha256", 64);
    if (!a.sha256.empty() && !is_sha256_hex(a.sha256)) {
      f.fail("sha256", "field '" + f.field_path("sha256") + "' must be 64 lowercase hex digits");
    }
    a.width = static_cast<int>(f.optional_integer("width", 0, kMaxPixelSize, 0));
    a.height = static_cast<int>(f.optional_integer("height", 0, kMaxPixelSize, 0));
    a.preview = f.optional_string("preview", kMaxPreviewBytes);
    if (!is_base64(a.preview)) f.fail("preview", "field '" + f.field_path("preview") + "' must be base64");
    out.push_back(std::move(a));
  }
  return out;
}

Body read_body(const JsonReader& frame, TextLimit limit) {
  JsonReader body = frame.object("body");
  std::string kind = body.string("kind", 32);
  if (kind != "text") body.fail("kind", "body kind '" + kind + "' is not supported (only 'text')");
  // The text may be empty only when files go with it.
  Body out{body.has("attachments") && body.is_empty_string("text") ? std::string() : body.string("text", kMaxTextBytes),
           {}};
  if (limit == TextLimit::as_written && json_string_bytes(out.text) > kMaxTextBytes) {
    body.fail("text", "field 'body.text' takes " + std::to_string(json_string_bytes(out.text)) +
                          " bytes written in JSON (escapes count); the limit is " + std::to_string(kMaxTextBytes));
  }
  if (body.has("attachments")) out.attachments = read_attachments(body);
  if (out.text.empty() && out.attachments.empty()) body.fail("text", "field 'body.text' is empty and no file goes with it");
  return out;
}

// ---- client frames ----

ClientFrame read_auth(const JsonReader& r, std::string id) {
  return Auth{std::move(id), r.string("token", kMaxTokenBytes),
              static_cast<int>(r.integer("protocolVersion", 1, 1'000'000)),
              r.identifier("deviceId", kMaxIdentifierBytes)};
}

ClientFrame read_message_send(const JsonReader& r, std::string id) {
  return MessageSend{std::move(id),
                     r.identifier("conversationId", kMaxIdentifierBytes),
                     r.identifier("clientMessageId", kMaxClientMessageIdBytes),
                     read_body(r, TextLimit::as_written),
                     r.optional_identifier("replyTo", kMaxIdentifierBytes),
                     r.optional_identifier("threadRootId", kMaxIdentifierBytes)};
}

ClientFrame read_ping(const JsonReader&, std::string id) { return Ping{std::move(id)}; }

ClientFrame read_message_withdraw(const JsonReader& r, std::string id) {
  return MessageWithdraw{std::move(id), r.identifier("conversationId", kMaxIdentifierBytes),
                         r.identifier("clientMessageId", kMaxClientMessageIdBytes)};
}

std::string read_emoji(const JsonReader& r) {
  std::string emoji = r.string("emoji", kMaxEmojiBytes);
  if (!is_valid_emoji(emoji)) r.fail("emoji", "field 'emoji' must not contain control characters");
  return emoji;
}

MessageChange read_change_common(const JsonReader& r, std::string id, ChangeKind kind) {
  MessageChange c;
  c.id = std::move(id);
  c.kind = kind;
  c.conversation_id = r.identifier("conversationId", kMaxIdentifierBytes);
  c.client_message_id = r.identifier("clientMessageId", kMaxClientMessageIdBytes);
  c.message_id = r.identifier("messageId", kMaxIdentifierBytes);
  return c;
}

ClientFrame read_message_edit(const JsonReader& r, std::string id) {
  MessageChange c = read_change_common(r, std::move(id), ChangeKind::edit);
  c.body = read_body(r, TextLimit::as_written);
  return c;
}

ClientFrame read_message_delete(const JsonReader& r, std::string id) {
  return read_change_common(r, std::move(id), ChangeKind::remove);
}

ClientFrame read_reaction_add(const JsonReader& r, std::string id) {
  MessageChange c = read_change_common(r, std::move(id), ChangeKind::react);
  c.emoji = read_emoji(r);
  return c;
}

ClientFrame read_reaction_remove(const JsonReader& r, std::string id) {
  MessageChange c = read_change_common(r, std::move(id), ChangeKind::unreact);
  c.emoji = read_emoji(r);
  return c;
}

// ---- server frames ----

ServerFrame read_auth_ok(const JsonReader& r, std::string id) {
  JsonReader limits = r.object("limits");
  return AuthOk{std::move(id),
                r.identifier("userId", kMaxIdentifierBytes),
                r.identifier("deviceId", kMaxIdentifierBytes),
                static_cast<int>(r.integer("protocolVersion", 1, 1'000'000)),
                r.integer("serverTimeMs", 0, kMaxInt),
                static_cast<std::size_t>(limits.integer("maxFrameBytes", 1024, 1 << 30)),
                static_cast<std::size_t>(limits.integer("maxTextBytes", 1, 1 << 30))};
}

ServerFrame read_message_ack(const JsonReader& r, std::string id) {
  return MessageAck{std::move(id), r.identifier("conversationId", kMaxIdentifierBytes),
                    r.identifier("clientMessageId", kMaxClientMessageIdBytes),
                    r.identifier("messageId", kMaxIdentifierBytes),
                    r.integer("conversationSeq", 1, kMaxInt)};
}

Event read_event_object(const JsonReader& r) {
  Event event;
  event.conversation_id = r.identifier("conversationId", kMaxIdentifierBytes);
  event.conversation_seq = r.integer("conversationSeq", 1, kMaxInt);
  std::string kind = r.string("kind", 64);
  constexpr std::array kKinds{EventKind::message_created, EventKind::message_edited, EventKind::message_deleted,
                              EventKind::reaction_added,  EventKind::reaction_removed, EventKind::member_joined,
                              EventKind::member_left,     EventKind::conversation_updated};
  auto known = std::find_if(kKinds.begin(), kKinds.end(), [&](EventKind k) { return to_string(k) == kind; });
  if (known == kKinds.end()) {
    throw FieldError{ErrorCode::unknown_type, r.field_path("kind"), "unknown event kind '" + kind + "'"};
  }
  event.kind = *known;
  switch (event.kind) {
    case EventKind::member_joined:
    case EventKind::member_left: {
      JsonReader member = r.object("member");
      event.member_id = member.identifier("userId", kMaxIdentifierBytes);
      event.sender_id = member.identifier("senderId", kMaxIdentifierBytes);
      event.created_at_ms = member.integer("createdAtMs", 0, kMaxInt);
      return event;
    }
    case EventKind::conversation_updated: {
      JsonReader conversation = r.object("conversation");
      event.sender_id = conversation.identifier("senderId", kMaxIdentifierBytes);
      event.created_at_ms = conversation.integer("createdAtMs", 0, kMaxInt);
      event.name = conversation.optional_text("name", kMaxNameBytes).value_or("");
      event.topic = conversation.optional_text("topic", kMaxTopicBytes).value_or("");
      return event;
    }
    default: break;
  }
  bool reaction = event.kind == EventKind::reaction_added || event.kind == EventKind::reaction_removed;
  JsonReader payload = r.object(reaction ? "reaction" : "message");
  event.message_id = payload.identifier("messageId", kMaxIdentifierBytes);
  event.sender_id = payload.identifier("senderId", kMaxIdentifierBytes);
  event.client_message_id = payload.identifier("clientMessageId", kMaxClientMessageIdBytes);
  event.created_at_ms = payload.integer("createdAtMs", 0, kMaxInt);
  if (event.kind == EventKind::message_created || event.kind == EventKind::message_edited) {
    event.body = read_body(payload, TextLimit::as_utf8);
  }
  if (event.kind == EventKind::message_created) {
    event.reply_to = payload.optional_identifier("replyTo", kMaxIdentifierBytes);
    event.thread_root_id = payload.optional_identifier("threadRootId", kMaxIdentifierBytes);
  }
  if (reaction) event.emoji = read_emoji(payload);
  return event;
}

ServerFrame read_event(const JsonReader& r, std::string) { return read_event_object(r); }

ServerFrame read_error(const JsonReader& r, std::string id) {
  ErrorFrame frame;
  frame.id = std::move(id);
  frame.code_name = r.string("code", 64);
  frame.error.code = error_code_from_string(frame.code_name);
  frame.error.retryable = r.boolean("retryable");
  frame.error.message = r.optional_string("message", kMaxErrorMessageBytes);
  frame.field = r.optional_string("field", 256);
  frame.error.retry_after_ms = r.optional_integer("retryAfterMs", 0, kMaxRetryAfterMs, 0);
  return frame;
}

ServerFrame read_pong(const JsonReader&, std::string id) { return Pong{std::move(id)}; }

ConversationSummary read_summary(const JsonReader& item) {
  ConversationSummary c;
  c.conversation_id = item.identifier("conversationId", kMaxIdentifierBytes);
  c.kind = item.string("kind", 32);
  c.workspace_id = item.optional_identifier("workspaceId", kMaxIdentifierBytes);
  c.name = item.optional_text("name", kMaxNameBytes).value_or("");
  c.topic = item.optional_text("topic", kMaxTopicBytes).value_or("");
  c.head_seq = item.optional_integer("headSeq", 0, kMaxInt, 0);
  c.read_seq = item.optional_integer("readSeq", 0, kMaxInt, 0);
  c.member_count = static_cast<int>(item.optional_integer("memberCount", 0, 1 << 30, 0));
  if (item.has("members")) c.members = item.identifiers("members", kMaxListedMembers, kMaxIdentifierBytes);
  return c;
}

// `conversations` and `sync.state`: the same page of conversation summaries.
template <class Page>
ServerFrame read_page(const JsonReader& r, std::string id) {
  Page page;
  page.id = std::move(id);
  for (const auto& item : r.objects("items", kMaxConversationsPage)) page.items.push_back(read_summary(item));
  page.next = r.optional_identifier("next", kMaxIdentifierBytes);
  return page;
}

ServerFrame read_conversation_info(const JsonReader& r, std::string id) {
  ConversationInfo info;
  info.id = std::move(id);
  info.conversation = read_summary(r.object("conversation"));
  if (r.has("members")) info.members = r.identifiers("members", 1 << 20, kMaxIdentifierBytes);
  return info;
}

ServerFrame read_history(const JsonReader& r, std::string id) {
  History h;
  h.id = std::move(id);
  h.conversation_id = r.identifier("conversationId", kMaxIdentifierBytes);
  h.head_seq = r.integer("headSeq", 0, kMaxInt);
  for (const auto& item : r.objects("events", kMaxHistoryPage)) h.events.push_back(read_event_object(item));
  h.more = r.optional_boolean("more", false);
  h.too_long = r.optional_boolean("tooLong", false);
  return h;
}

ServerFrame read_cursor_state(const JsonReader& r, std::string id) {
  return CursorState{std::move(id),
                     r.identifier("conversationId", kMaxIdentifierBytes),
                     r.identifier("userId", kMaxIdentifierBytes),
                     r.optional_identifier("deviceId", kMaxIdentifierBytes),
                     r.optional_integer("readSeq", 0, kMaxInt, 0),
                     r.optional_integer("deliveredSeq", 0, kMaxInt, 0)};
}

std::string read_status(const JsonReader& r, bool offline_allowed) {
  std::string status = r.string("status", 16);
  if (status != "online" && status != "idle" && !(offline_allowed && status == "offline")) {
    r.fail("status", offline_allowed ? "field 'status' must be online, idle or offline"
                                     : "field 'status' must be online or idle");
  }
  return status;
}

ServerFrame read_presence(const JsonReader& r, std::string) {
  return Presence{r.identifier("userId", kMaxIdentifierBytes), read_status(r, true)};
}

ServerFrame read_typing(const JsonReader& r, std::string) {
  return Typing{r.identifier("conversationId", kMaxIdentifierBytes), r.identifier("userId", kMaxIdentifierBytes),
                r.boolean("typing")};
}

// ---- more client frames ----

ConversationRequest read_conversation_common(const JsonReader& r, std::string id, ConversationOp op) {
  ConversationRequest c;
  c.id = std::move(id);
  c.op = op;
  if (op != ConversationOp::create) c.conversation_id = r.identifier("conversationId", kMaxIdentifierBytes);
  return c;
}

ClientFrame read_conversation_create(const JsonReader& r, std::string id) {
  ConversationRequest c = read_conversation_common(r, std::move(id), ConversationOp::create);
  c.workspace_id = r.optional_identifier("workspaceId", kMaxIdentifierBytes);
  c.kind = r.string("kind", 32);
  if (c.kind != "channel" && c.kind != "private_channel" && c.kind != "dm" && c.kind != "group_dm") {
    r.fail("kind", "field 'kind' must be channel, private_channel, dm or group_dm");
  }
  c.name = r.optional_text("name", kMaxNameBytes);
  c.topic = r.optional_text("topic", kMaxTopicBytes);
  if (r.has("userIds")) c.user_ids = r.identifiers("userIds", kMaxUsersPerRequest, kMaxIdentifierBytes);
  return c;
}

ClientFrame read_conversation_join(const JsonReader& r, std::string id) {
  return read_conversation_common(r, std::move(id), ConversationOp::join);
}

ClientFrame read_conversation_leave(const JsonReader& r, std::string id) {
  return read_conversation_common(r, std::move(id), ConversationOp::leave);
}

ClientFrame read_conversation_invite(const JsonReader& r, std::string id) {
  ConversationRequest c = read_conversation_common(r, std::move(id), ConversationOp::invite);
  c.user_ids = r.identifiers("userIds", kMaxUsersPerRequest, kMaxIdentifierBytes);
  if (c.user_ids.empty()) r.fail("userIds", "field 'userIds' must not be empty");
  return c;
}

ClientFrame read_conversation_update(const JsonReader& r, std::string id) {
  ConversationRequest c = read_conversation_common(r, std::move(id), ConversationOp::update);
  c.name = r.optional_text("name", kMaxNameBytes);
  c.topic = r.optional_text("topic", kMaxTopicBytes);
  if (!c.name && !c.topic) r.fail("name", "conversation.update needs 'name' or 'topic'");
  if (c.name && c.name->empty()) r.fail("name", "field 'name' must not be empty");
  return c;
}

ClientFrame read_sync_request(const JsonReader& r, std::string id) {
  SyncRequest s;
  s.id = std::move(id);
  s.after = r.optional_identifier("after", kMaxIdentifierBytes);
  s.limit = static_cast<int>(r.optional_integer("limit", 1, kMaxConversationsPage, kMaxConversationsPage));
  if (r.has("cursors")) {
    for (const auto& c : r.objects("cursors", kMaxConversationsPage)) {
      s.cursors.push_back({c.identifier("conversationId", kMaxIdentifierBytes), c.integer("seq", 0, kMaxInt)});
    }
  }
  return s;
}

ClientFrame read_history_request(const JsonReader& r, std::string id) {
  HistoryRequest h;
  h.id = std::move(id);
  h.conversation_id = r.identifier("conversationId", kMaxIdentifierBytes);
  if (r.has("afterSeq")) h.after_seq = r.integer("afterSeq", 0, kMaxInt);
  if (r.has("beforeSeq")) h.before_seq = r.integer("beforeSeq", 1, kMaxInt);
  if (h.after_seq.has_value() == h.before_seq.has_value()) {
    r.fail("afterSeq", "history.request needs exactly one of 'afterSeq' and 'beforeSeq'");
  }
  h.limit = static_cast<int>(r.optional_integer("limit", 1, kMaxHistoryPage, kDefaultHistoryPage));
  return h;
}

ClientFrame read_cursor_update(const JsonReader& r, std::string id) {
  CursorUpdate c{std::move(id), r.identifier("conversationId", kMaxIdentifierBytes),
                 r.optional_integer("readSeq", 1, kMaxInt, 0), r.optional_integer("deliveredSeq", 1, kMaxInt, 0)};
  if (c.read_seq == 0 && c.delivered_seq == 0) r.fail("readSeq", "cursor.update needs 'readSeq' or 'deliveredSeq'");
  return c;
}

ClientFrame read_presence_heartbeat(const JsonReader& r, std::string id) {
  return PresenceHeartbeat{std::move(id), read_status(r, false)};
}

ClientFrame read_typing_start(const JsonReader& r, std::string id) {
  return TypingUpdate{std::move(id), r.identifier("conversationId", kMaxIdentifierBytes), true};
}

ClientFrame read_typing_stop(const JsonReader& r, std::string id) {
  return TypingUpdate{std::move(id), r.identifier("conversationId", kMaxIdentifierBytes), false};
}

ClientFrame read_conversations_list(const JsonReader& r, std::string id) {
  return ConversationsList{std::move(id), r.optional_identifier("after", kMaxIdentifierBytes),
                           static_cast<int>(r.optional_integer("limit", 1, kMaxConversationsPage,
                                                               kMaxConversationsPage))};
}

ClientFrame read_directory_list(const JsonReader& r, std::string id) {
  return DirectoryList{std::move(id), r.optional_identifier("after", kMaxIdentifierBytes),
                       static_cast<int>(r.optional_integer("limit", 1, kMaxDirectoryPage, kMaxDirectoryPage))};
}

ClientFrame read_presence_query(const JsonReader& r, std::string id) {
  PresenceQuery q{std::move(id), r.identifiers("userIds", kMaxPresenceQuery, kMaxIdentifierBytes)};
  if (q.user_ids.empty()) r.fail("userIds", "field 'userIds' must not be empty");
  return q;
}

ClientFrame read_receipts_request(const JsonReader& r, std::string id) {
  return ReceiptsRequest{std::move(id), r.identifier("conversationId", kMaxIdentifierBytes),
                         r.optional_identifier("after", kMaxIdentifierBytes),
                         static_cast<int>(r.optional_integer("limit", 1, kMaxReceiptsPage, kMaxReceiptsPage))};
}

// ---- more server frames ----

// A person's or a workspace's name: 1..kMaxDisplayNameBytes, no control characters.
std::string read_display_name(const JsonReader& r, std::string_view name) {
  std::string text = r.string(name, kMaxDisplayNameBytes);
  if (!is_printable(text, kMaxDisplayNameBytes)) {
    r.fail(name, "field '" + std::string(name) + "' must not contain control characters");
  }
  return text;
}

ServerFrame read_directory(const JsonReader& r, std::string id) {
  Directory d;
  d.id = std::move(id);
  auto read_role = [](const JsonReader& item) {
    std::string role = item.string("role", 16);
    if (role != "owner" && role != "admin" && role != "member") {
      item.fail("role", "field 'role' must be owner, admin or member");
    }
    return role;
  };
  if (r.has("workspaces")) {
    for (const auto& item : r.objects("workspaces", kMaxWorkspacesListed)) {
      WorkspaceEntry w{item.identifier("workspaceId", kMaxIdentifierBytes), read_display_name(item, "name"),
                       read_role(item)};
      d.workspaces.push_back(std::move(w));
    }
  }
  for (const auto& item : r.objects("users", kMaxDirectoryPage)) {
    UserEntry u{item.identifier("userId", kMaxIdentifierBytes), read_display_name(item, "displayName"), {}};
    if (item.has("workspaces")) {
      for (const auto& shared : item.objects("workspaces", kMaxWorkspacesListed)) {
        u.workspaces.push_back({shared.identifier("workspaceId", kMaxIdentifierBytes), read_role(shared)});
      }
    }
    d.users.push_back(std::move(u));
  }
  d.next = r.optional_identifier("next", kMaxIdentifierBytes);
  return d;
}

ServerFrame read_presence_state(const JsonReader& r, std::string id) {
  PresenceState p;
  p.id = std::move(id);
  for (const auto& item : r.objects("items", kMaxPresenceQuery)) {
    p.items.push_back({item.identifier("userId", kMaxIdentifierBytes), read_status(item, true)});
  }
  return p;
}

ServerFrame read_receipts(const JsonReader& r, std::string id) {
  Receipts k;
  k.id = std::move(id);
  k.conversation_id = r.identifier("conversationId", kMaxIdentifierBytes);
  for (const auto& item : r.objects("items", kMaxReceiptsPage)) {
    k.items.push_back({item.identifier("userId", kMaxIdentifierBytes), item.integer("readSeq", 0, kMaxInt),
                       item.integer("deliveredSeq", 0, kMaxInt)});
  }
  k.next = r.optional_identifier("next", kMaxIdentifierBytes);
  return k;
}

template <class Frame>
struct FrameReader {
  std::string_view type;
  Frame (*read)(const JsonReader&, std::string id);
};

constexpr std::array<FrameReader<ClientFrame>, 23> kClientReaders{{
    {"conversations.list", read_conversations_list},
    {"conversation.create", read_conversation_create},
    {"conversation.join", read_conversation_join},
    {"conversation.leave", read_conversation_leave},
    {"conversation.invite", read_conversation_invite},
    {"conversation.update", read_conversation_update},
    {"sync.request", read_sync_request},
    {"history.request", read_history_request},
    {"cursor.update", read_cursor_update},
    {"presence.heartbeat", read_presence_heartbeat},
    {"typing.start", read_typing_start},
    {"typing.stop", read_typing_stop},
    {"auth", read_auth},
    {"message.send", read_message_send},
    {"ping", read_ping},
    {"message.edit", read_message_edit},
    {"message.delete", read_message_delete},
    {"reaction.add", read_reaction_add},
    {"reaction.remove", read_reaction_remove},
    {"message.withdraw", read_message_withdraw},
    {"directory.list", read_directory_list},
    {"presence.query", read_presence_query},
    {"receipts.request", read_receipts_request},
}};

constexpr std::array<FrameReader<ServerFrame>, 15> kServerReaders{{
    {"conversations", read_page<Conversations>},
    {"conversation", read_conversation_info},
    {"sync.state", read_page<SyncState>},
    {"history", read_history},
    {"cursor", read_cursor_state},
    {"presence", read_presence},
    {"typing", read_typing},
    {"auth.ok", read_auth_ok},
    {"message.ack", read_message_ack},
    {"event", read_event},
    {"error", read_error},
    {"pong", read_pong},
    {"directory", read_directory},
    {"presence.state", read_presence_state},
    {"receipts", read_receipts},
}};

template <class Frame, std::size_t N>
Result<Frame, DecodeError> decode(std::string_view text,
                                  const std::array<FrameReader<Frame>, N>& readers) {
  Json json;
  try {
    json = parse_bounded(text);
  } catch (const TooDeep&) {
    return DecodeError{ErrorCode::bad_frame,
                       "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels",
                       {}, {}};
  } catch (const Json::exception& e) {
    return DecodeError{ErrorCode::bad_frame, std::string("malformed JSON: ") + e.what(), {}, {}};
  }
  if (!json.is_object()) {
    return DecodeError{ErrorCode::bad_frame, "a frame must be a JSON object", {}, {}};
  }

  JsonReader reader(json);
  std::string id;
  try {
    id = reader.optional_identifier("id", kMaxRequestIdBytes);
    std::string type = reader.string("type", 64);
    for (const auto& candidate : readers) {
      if (candidate.type == type) return candidate.read(reader, id);
    }
    return DecodeError{ErrorCode::unknown_type, "unknown frame type '" + type + "'", "type", id};
  } catch (const FieldError& e) {
    return DecodeError{e.code, e.message, e.field, id};
  }
}

}  // namespace

Result<ClientFrame, DecodeError> decode_client_frame(std::string_view text) {
  return decode(text, kClientReaders);
}

Result<ServerFrame, DecodeError> decode_server_frame(std::string_view text) {
  return decode(text, kServerReaders);
}

ErrorFrame to_error_frame(const DecodeError& error) {
  ErrorFrame frame;
  frame.id = error.id;
  frame.error = Error::make(error.code, error.message);
  frame.field = error.field;
  frame.code_name = std::string(to_string(error.code));
  return frame;
}

std::vector<Attachment> to_attachments(const std::vector<AttachmentRef>& refs) {
  std::vector<Attachment> out;
  out.reserve(refs.size());
  for (const auto& r : refs) {
    out.push_back(Attachment{r.id, r.name, r.content_type, r.size, r.sha256, r.width, r.height, r.preview});
  }
  return out;
}

std::vector<AttachmentRef> to_refs(const std::vector<Attachment>& attachments) {
  std::vector<AttachmentRef> out;
  out.reserve(attachments.size());
  for (const auto& a : attachments) {
    out.push_back(AttachmentRef{a.attachment_id, a.name, a.size, a.content_type, a.sha256, a.width, a.height,
                                a.preview});
  }
  return out;
}

std::vector<AttachmentRef> attachments_from_text(std::string_view text) {
  if (text.empty()) return {};
  if (text.front() != '[') {  // an older version's ids, one per line
    std::vector<AttachmentRef> out;
    while (!text.empty()) {
      auto end = text.find('\n');
      auto id = text.substr(0, end);
      if (!id.empty()) out.push_back(AttachmentRef{.id = std::string(id)});
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    return out;
  }
  try {
    Json array = parse_bounded(text);
    Json holder{{"attachments", std::move(array)}};
    return read_attachments(JsonReader(holder), true);
  } catch (...) {
    return {};
  }
}

Message to_message(const Event& event) {
  return Message{event.conversation_id, event.conversation_seq, event.message_id, event.sender_id,
                 event.client_message_id, event.body.text, event.created_at_ms, event.kind, event.emoji,
                 event.member_id, event.name, event.topic, to_attachments(event.body.attachments),
                 event.reply_to, event.thread_root_id};
}

namespace {

// C0 controls, DEL, and the C1 controls U+0080-U+009F (UTF-8 C2 80 to C2 9F), among them
// U+009B, the one-character CSI that starts a terminal escape sequence. 0xC2 only ever
// leads a character, so the byte pair is the character.
bool has_control_character(std::string_view s) noexcept {
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f) return true;
    if (c == 0xC2 && i + 1 < s.size()) {
      auto next = static_cast<unsigned char>(s[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

}  // namespace

bool is_valid_emoji(std::string_view s) noexcept {
  return !s.empty() && s.size() <= kMaxEmojiBytes && !has_control_character(s);
}

bool is_sha256_hex(std::string_view s) noexcept {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_printable(std::string_view s, std::size_t max_bytes) noexcept {
  return s.size() <= max_bytes && !has_control_character(s);
}

std::size_t json_string_bytes(std::string_view s) noexcept {
  std::size_t n = 0;
  for (unsigned char c : s) {
    switch (c) {
      case '"': case '\\': case '\b': case '\f': case '\n': case '\r': case '\t': n += 2; break;
      default: n += c < 0x20 ? 6 : 1;
    }
  }
  return n;
}

bool is_identifier(std::string_view s, std::size_t max_bytes) noexcept {
  if (s.empty() || s.size() > max_bytes) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace confab::protocol
