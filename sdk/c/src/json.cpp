#include "json.h"

#include <type_traits>
#include <utility>

namespace confab::c {

namespace {

std::string name(std::string_view wire_name) { return std::string(wire_name); }

// An optional string: null when empty, so that "not set" reads the same in every field.
Json id_or_null(const std::string& id) { return id.empty() ? Json(nullptr) : Json(id); }

}  // namespace

std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json error_json(const Error& error) {
  return {{"code", name(to_string(error.code))},
          {"retryable", error.retryable},
          {"message", error.message},
          {"retryAfterMs", error.retry_after_ms}};
}

Json connection_json(const ConnectionChange& change) {
  return {{"state", name(to_string(change.state))},
          {"error", change.error ? error_json(*change.error) : Json(nullptr)},
          {"retryInMs", change.retry_in ? Json(change.retry_in->count()) : Json(nullptr)}};
}

Json attachment_json(const Attachment& a) {
  return {{"attachmentId", id_or_null(a.attachment_id)},
          {"name", a.name},
          {"contentType", a.content_type},
          {"size", a.size},
          {"sha256", a.sha256},
          {"width", a.width},
          {"height", a.height},
          {"preview", a.preview}};
}

Json attachments_json(const std::vector<Attachment>& attachments) { return array_of(attachments, attachment_json); }

Json local_message_json(const LocalMessage& m) {
  return {{"localId", m.local_id},
          {"clientMessageId", m.client_message_id},
          {"conversationId", m.conversation_id},
          {"kind", name(to_string(m.kind))},
          {"text", m.text},
          {"emoji", m.emoji},
          {"targetMessageId", id_or_null(m.target_message_id)},
          {"targetLocalId", m.target_local_id},
          {"replyTo", id_or_null(m.reply_to)},
          {"replyToLocalId", m.reply_to_local_id},
          {"threadRootId", id_or_null(m.thread_root_id)},
          {"threadRootLocalId", m.thread_root_local_id},
          {"createdAtMs", m.created_at_ms},
          {"state", name(to_string(m.state))},
          {"attachments", attachments_json(m.attachments)},
          {"lastError", m.last_error ? error_json(*m.last_error) : Json(nullptr)},
          {"attempts", m.attempts},
          {"messageId", id_or_null(m.message_id)},
          {"conversationSeq", m.conversation_seq}};
}

Json message_json(const Message& m) {
  return {{"conversationId", m.conversation_id},
          {"conversationSeq", m.conversation_seq},
          {"kind", name(to_string(m.kind))},
          {"messageId", m.message_id},
          {"senderId", m.sender_id},
          {"clientMessageId", m.client_message_id},
          {"text", m.text},
          {"createdAtMs", m.created_at_ms},
          {"emoji", m.emoji},
          {"memberId", id_or_null(m.member_id)},
          {"name", m.name},
          {"topic", m.topic},
          {"attachments", attachments_json(m.attachments)},
          {"replyTo", id_or_null(m.reply_to)},
          {"threadRootId", id_or_null(m.thread_root_id)}};
}

Json timeline_message_json(const TimelineMessage& m) {
  Json reactions = Json::array();
  for (const auto& r : m.reactions) reactions.push_back({{"emoji", r.emoji}, {"userIds", r.user_ids}});
  return {{"conversationId", m.conversation_id},
          {"seq", m.seq},
          {"messageId", id_or_null(m.message_id)},
          {"clientMessageId", m.client_message_id},
          {"senderId", m.sender_id},
          {"senderName", m.sender_name},
          {"text", m.text},
          {"createdAtMs", m.created_at_ms},
          {"edited", m.edited},
          {"deleted", m.deleted},
          {"attachments", attachments_json(m.attachments)},
          {"replyTo", id_or_null(m.reply_to)},
          {"threadRootId", id_or_null(m.thread_root_id)},
          {"replyCount", m.reply_count},
          {"lastReplyAtMs", m.last_reply_at_ms},
          {"reactions", std::move(reactions)},
          {"local", m.local ? local_message_json(*m.local) : Json(nullptr)}};
}

Json page_json(const MessagePage& page) {
  return {{"messages", array_of(page.messages, timeline_message_json)}, {"moreOnServer", page.more_on_server}};
}

Json conversation_json(const ConversationInfo& c) {
  return {{"conversationId", c.conversation_id},
          {"kind", name(to_string(c.kind))},
          {"workspaceId", c.workspace_id},
          {"role", name(to_string(c.role))},
          {"name", c.name},
          {"topic", c.topic},
          {"headSeq", c.head_seq},
          {"syncedSeq", c.synced_seq},
          {"readSeq", c.read_seq},
          {"unreadCount", c.unread_count},
          {"memberCount", c.member_count},
          {"members", c.members},
          {"lastMessage", c.last_message ? timeline_message_json(*c.last_message) : Json(nullptr)},
          {"lastActivityMs", c.last_activity_ms}};
}

Json update_flags_json(std::uint32_t flags) {
  static constexpr std::pair<std::uint32_t, const char*> kNames[] = {
      {MessageUpdate::text, "text"},           {MessageUpdate::deleted, "deleted"},
      {MessageUpdate::reactions, "reactions"}, {MessageUpdate::replies, "replies"},
      {MessageUpdate::receipts, "receipts"},   {MessageUpdate::local_state, "localState"}};
  Json out = Json::array();
  for (const auto& [bit, flag_name] : kNames) {
    if (flags & bit) out.push_back(flag_name);
  }
  return out;
}

Json conversation_change_json(const ConversationChange& c) {
  Json updated = Json::array();
  for (const auto& u : c.updated) {
    updated.push_back({{"seq", u.seq},
                       {"localId", u.local_id},
                       {"clientMessageId", u.client_message_id},
                       {"flags", update_flags_json(u.flags)}});
  }
  Json merged = Json::array();
  for (const auto& m : c.merged) {
    merged.push_back({{"clientMessageId", m.client_message_id}, {"localId", m.local_id}, {"seq", m.seq}});
  }
  return {{"conversationId", c.conversation_id},
          {"threadRootId", id_or_null(c.thread_root_id)},
          {"eventsApplied", c.events_applied},
          {"reset", c.reset},
          {"older", c.older},
          {"read", c.read},
          {"syncedSeq", c.synced_seq},
          {"messagesSkipped", c.messages_skipped},
          {"appended", c.appended},
          {"olderStored", c.older_stored},
          {"updated", std::move(updated)},
          {"merged", std::move(merged)},
          {"echoesAdded", c.echoes_added},
          {"echoesRemoved", c.echoes_removed},
          {"windowLow", c.window_low}};
}

Json sync_json(const SyncProgress& p) {
  return {{"behind", p.behind}, {"caughtUp", p.caught_up}, {"finished", p.finished}};
}

Json workspace_json(const Workspace& w) {
  return {{"workspaceId", w.workspace_id}, {"name", w.name}, {"role", name(to_string(w.role))}};
}

Json user_json(const User& u) {
  Json workspaces = Json::array();
  for (const auto& w : u.workspaces) workspaces.push_back({{"workspaceId", w.workspace_id}, {"role", name(to_string(w.role))}});
  return {{"userId", u.user_id},
          {"displayName", u.display_name},
          {"workspaces", std::move(workspaces)},
          {"presence", name(to_string(u.presence))}};
}

Json member_json(const Member& m) {
  return {{"userId", m.user_id},
          {"displayName", m.display_name},
          {"role", name(to_string(m.role))},
          {"presence", name(to_string(m.presence))}};
}

Json typing_json(const TypingChange& t) { return {{"conversationId", t.conversation_id}, {"userIds", t.user_ids}}; }

Json presence_json(const PresenceChange& p) { return {{"userId", p.user_id}, {"status", name(to_string(p.status))}}; }

Json receipt_json(const Receipt& r) {
  return {{"userId", r.user_id}, {"readSeq", r.read_seq}, {"deliveredSeq", r.delivered_seq}};
}

Json receipt_change_json(const ReceiptChange& r) {
  Json out = receipt_json(r.receipt);
  out["conversationId"] = r.conversation_id;
  return out;
}

Json read_by_json(const ReadBy& r) { return {{"read", r.read}, {"delivered", r.delivered}}; }

Json recovery_json(const StoreRecovery& r) {
  return {{"cacheRebuilt", r.cache_rebuilt},
          {"outboxRebuilt", r.outbox_rebuilt},
          {"outboxRowsSalvaged", r.outbox_rows_salvaged},
          {"detail", r.detail}};
}

Json upload_json(const UploadProgress& p) {
  return {{"localId", p.local_id},
          {"index", p.index},
          {"name", p.name},
          {"sentBytes", p.sent_bytes},
          {"totalBytes", p.total_bytes},
          {"state", name(to_string(p.state))},
          {"error", p.error ? error_json(*p.error) : Json(nullptr)}};
}

Json download_json(const DownloadProgress& p) {
  return {{"attachmentId", p.attachment_id},
          {"receivedBytes", p.received_bytes},
          {"totalBytes", p.total_bytes},
          {"state", name(to_string(p.state))},
          {"error", p.error ? error_json(*p.error) : Json(nullptr)}};
}

// ---- What the app hands in -------------------------------------------------------------------

namespace {

// Reads the optional field `key` of `object` into `target` when it is there and not null;
// false when it holds another type than T's.
template <class T>
bool read_field(const Json& object, const char* key, T& target) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return true;
  if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) return false;
  } else {
    if (!it->is_number_integer()) return false;
  }
  target = it->get<T>();
  return true;
}

}  // namespace

std::optional<std::string> attachment_from_json(std::string_view text, Attachment& out) {
  Json object = Json::parse(text, nullptr, false);
  if (object.is_discarded()) return "not JSON";
  if (!object.is_object()) return "not a JSON object";
  for (auto [key, ok] : {std::pair{"attachmentId", read_field(object, "attachmentId", out.attachment_id)},
                         std::pair{"name", read_field(object, "name", out.name)},
                         std::pair{"contentType", read_field(object, "contentType", out.content_type)},
                         std::pair{"size", read_field(object, "size", out.size)},
                         std::pair{"sha256", read_field(object, "sha256", out.sha256)},
                         std::pair{"width", read_field(object, "width", out.width)},
                         std::pair{"height", read_field(object, "height", out.height)},
                         std::pair{"preview", read_field(object, "preview", out.preview)}}) {
    if (!ok) return std::string("\"") + key + "\" is not of its type (Attachment in docs/c-api.md)";
  }
  return std::nullopt;
}

std::optional<std::string> files_from_json(std::string_view text, std::vector<FileToSend>& out) {
  Json files = Json::parse(text, nullptr, false);
  if (files.is_discarded()) return "not JSON";
  if (!files.is_array()) return "not a JSON array";
  for (std::size_t i = 0; i < files.size(); ++i) {
    const Json& file = files[i];
    std::string at = "[" + std::to_string(i) + "]";
    if (!file.is_object()) return at + " is not an object";
    FileToSend to_send;
    std::string path;
    std::string base64;
    if (!read_field(file, "path", path) || !read_field(file, "bytesBase64", base64) ||
        !read_field(file, "name", to_send.name) || !read_field(file, "contentType", to_send.content_type)) {
      return at + " has a field that is not a string";
    }
    bool has_path = file.contains("path") && !file["path"].is_null();
    bool has_bytes = file.contains("bytesBase64") && !file["bytesBase64"].is_null();
    if (has_path == has_bytes) return at + " needs either \"path\" or \"bytesBase64\"";
    if (has_path) {
      to_send.path = path_of(path);
    } else {
      auto bytes = decode_base64(base64);
      if (!bytes) return at + ".bytesBase64 is not base64";
      to_send.bytes = std::move(*bytes);
    }
    out.push_back(std::move(to_send));
  }
  return std::nullopt;
}

std::optional<std::string> decode_base64(std::string_view text) {
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == '=') --end;
  if (text.size() - end > 2 || (end != text.size() && text.size() % 4 != 0)) return std::nullopt;
  std::string out;
  out.reserve(end / 4 * 3 + 2);
  std::uint32_t bits = 0;
  int pending = 0;  // bits read and not yet written out
  for (std::size_t i = 0; i < end; ++i) {
    auto value = kAlphabet.find(text[i]);
    if (value == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    pending += 6;
    if (pending >= 8) {
      pending -= 8;
      out.push_back(static_cast<char>((bits >> pending) & 0xff));
    }
  }
  if (pending >= 6) return std::nullopt;  // one character alone cannot end a group
  return out;
}

}  // namespace confab::c
