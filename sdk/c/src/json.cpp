#include "json.h"

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

Json attachments_json(const std::vector<Attachment>& attachments) {
  Json out = Json::array();
  for (const auto& a : attachments) {
    out.push_back({{"attachmentId", id_or_null(a.attachment_id)},
                   {"name", a.name},
                   {"contentType", a.content_type},
                   {"size", a.size},
                   {"sha256", a.sha256},
                   {"width", a.width},
                   {"height", a.height},
                   {"preview", a.preview}});
  }
  return out;
}

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

}  // namespace confab::c
