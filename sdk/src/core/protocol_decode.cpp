// Decoding of frames in both directions (client -> server and server -> client).
#include <algorithm>
#include <array>
#include <functional>
#include <limits>
#include <utility>

#include "core/json_reader.h"
#include "core/protocol.h"

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

Body read_body(const JsonReader& frame) {
  JsonReader body = frame.object("body");
  std::string kind = body.string("kind", 32);
  if (kind != "text") body.fail("kind", "body kind '" + kind + "' is not supported (only 'text')");
  return Body{body.string("text", kMaxTextBytes)};
}

// ---- client frames ----

ClientFrame read_auth(const JsonReader& r, std::string id) {
  return Auth{std::move(id), r.string("token", kMaxTokenBytes),
              static_cast<int>(r.integer("protocolVersion", 1, 1'000'000)),
              r.identifier("deviceId", kMaxIdentifierBytes)};
}

ClientFrame read_message_send(const JsonReader& r, std::string id) {
  return MessageSend{std::move(id), r.identifier("conversationId", kMaxIdentifierBytes),
                     r.identifier("clientMessageId", kMaxClientMessageIdBytes), read_body(r)};
}

ClientFrame read_ping(const JsonReader&, std::string id) { return Ping{std::move(id)}; }

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
  c.body = read_body(r);
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

ServerFrame read_event(const JsonReader& r, std::string) {
  Event event;
  event.conversation_id = r.identifier("conversationId", kMaxIdentifierBytes);
  event.conversation_seq = r.integer("conversationSeq", 1, kMaxInt);
  std::string kind = r.string("kind", 64);
  constexpr std::array kKinds{EventKind::message_created, EventKind::message_edited, EventKind::message_deleted,
                              EventKind::reaction_added, EventKind::reaction_removed};
  auto known = std::find_if(kKinds.begin(), kKinds.end(), [&](EventKind k) { return to_string(k) == kind; });
  if (known == kKinds.end()) {
    throw FieldError{ErrorCode::unknown_type, r.field_path("kind"), "unknown event kind '" + kind + "'"};
  }
  event.kind = *known;
  bool reaction = event.kind == EventKind::reaction_added || event.kind == EventKind::reaction_removed;
  JsonReader payload = r.object(reaction ? "reaction" : "message");
  event.message_id = payload.identifier("messageId", kMaxIdentifierBytes);
  event.sender_id = payload.identifier("senderId", kMaxIdentifierBytes);
  event.client_message_id = payload.identifier("clientMessageId", kMaxClientMessageIdBytes);
  event.created_at_ms = payload.integer("createdAtMs", 0, kMaxInt);
  if (event.kind == EventKind::message_created || event.kind == EventKind::message_edited) {
    event.body = read_body(payload);
  }
  if (reaction) event.emoji = read_emoji(payload);
  return event;
}

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

ServerFrame read_conversations(const JsonReader& r, std::string id) {
  Conversations page;
  page.id = std::move(id);
  for (const auto& item : r.objects("items", kMaxConversationsPage)) {
    page.items.push_back({item.identifier("conversationId", kMaxIdentifierBytes), item.string("kind", 32)});
  }
  page.next = r.optional_identifier("next", kMaxIdentifierBytes);
  return page;
}

ClientFrame read_conversations_list(const JsonReader& r, std::string id) {
  return ConversationsList{std::move(id), r.optional_identifier("after", kMaxIdentifierBytes),
                           static_cast<int>(r.optional_integer("limit", 1, kMaxConversationsPage,
                                                               kMaxConversationsPage))};
}

template <class Frame>
struct FrameReader {
  std::string_view type;
  Frame (*read)(const JsonReader&, std::string id);
};

constexpr std::array<FrameReader<ClientFrame>, 8> kClientReaders{{
    {"conversations.list", read_conversations_list},
    {"auth", read_auth},
    {"message.send", read_message_send},
    {"ping", read_ping},
    {"message.edit", read_message_edit},
    {"message.delete", read_message_delete},
    {"reaction.add", read_reaction_add},
    {"reaction.remove", read_reaction_remove},
}};

constexpr std::array<FrameReader<ServerFrame>, 6> kServerReaders{{
    {"conversations", read_conversations},
    {"auth.ok", read_auth_ok},
    {"message.ack", read_message_ack},
    {"event", read_event},
    {"error", read_error},
    {"pong", read_pong},
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

Message to_message(const Event& event) {
  return Message{event.conversation_id, event.conversation_seq, event.message_id, event.sender_id,
                 event.client_message_id, event.body.text, event.created_at_ms, event.kind, event.emoji};
}

bool is_valid_emoji(std::string_view s) noexcept {
  if (s.empty() || s.size() > kMaxEmojiBytes) return false;
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
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
