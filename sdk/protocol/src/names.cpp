// Names of the public enums: the wire names of error codes, and display names of states.
#include <array>
#include <utility>

#include "confab/connection.h"
#include "confab/conversation.h"
#include "confab/error.h"
#include "confab/identity.h"
#include "confab/message.h"
#include "confab/presence.h"

namespace confab {
namespace {

struct CodeInfo {
  ErrorCode code;
  std::string_view name;
  bool retryable;
};

constexpr std::array<CodeInfo, 23> kCodes{{
    {ErrorCode::bad_frame, "bad_frame", false},
    {ErrorCode::unknown_type, "unknown_type", false},
    {ErrorCode::invalid_field, "invalid_field", false},
    {ErrorCode::frame_too_large, "frame_too_large", false},
    {ErrorCode::not_authenticated, "not_authenticated", false},
    {ErrorCode::unauthorized, "unauthorized", false},
    {ErrorCode::token_expired, "token_expired", false},
    {ErrorCode::unsupported_version, "unsupported_version", false},
    {ErrorCode::not_member, "not_member", false},
    {ErrorCode::not_found, "not_found", false},
    {ErrorCode::forbidden, "forbidden", false},
    {ErrorCode::internal, "internal", true},
    {ErrorCode::unavailable, "unavailable", true},
    {ErrorCode::rate_limited, "rate_limited", true},
    {ErrorCode::invalid_argument, "invalid_argument", false},
    {ErrorCode::transport, "transport", true},
    {ErrorCode::timeout, "timeout", true},
    {ErrorCode::closed, "closed", false},
    {ErrorCode::storage, "storage", false},
    {ErrorCode::too_old, "too_old", false},
    {ErrorCode::offline, "offline", true},
    {ErrorCode::cancelled, "cancelled", false},
    {ErrorCode::unknown, "unknown", false},
}};

const CodeInfo& info(ErrorCode code) {
  for (const auto& entry : kCodes) {
    if (entry.code == code) return entry;
  }
  return kCodes.back();
}

}  // namespace

std::string_view to_string(ErrorCode code) noexcept { return info(code).name; }

bool is_retryable_by_default(ErrorCode code) noexcept { return info(code).retryable; }

ErrorCode error_code_from_string(std::string_view name) noexcept {
  for (const auto& entry : kCodes) {
    if (entry.name == name) return entry.code;
  }
  return ErrorCode::unknown;
}

std::string describe(const Error& error) {
  std::string text(to_string(error.code));
  if (!error.message.empty()) text += ": " + error.message;
  if (error.retryable) text += " (retryable)";
  return text;
}

std::string_view to_string(OutboxState state) noexcept {
  switch (state) {
    case OutboxState::pending: return "pending";
    case OutboxState::sending: return "sending";
    case OutboxState::sent: return "sent";
    case OutboxState::failed: return "failed";
    case OutboxState::discarded: return "discarded";
  }
  return "unknown";
}

std::string_view to_string(OutboxKind kind) noexcept {
  switch (kind) {
    case OutboxKind::message: return "message";
    case OutboxKind::edit: return "edit";
    case OutboxKind::remove: return "remove";
    case OutboxKind::react: return "react";
    case OutboxKind::unreact: return "unreact";
  }
  return "unknown";
}

std::string_view to_string(EventKind kind) noexcept {
  switch (kind) {
    case EventKind::message_created: return "message.created";
    case EventKind::message_edited: return "message.edited";
    case EventKind::message_deleted: return "message.deleted";
    case EventKind::reaction_added: return "reaction.added";
    case EventKind::reaction_removed: return "reaction.removed";
    case EventKind::member_joined: return "member.joined";
    case EventKind::member_left: return "member.left";
    case EventKind::conversation_updated: return "conversation.updated";
  }
  return "unknown";
}

std::string_view to_string(ConnectionState state) noexcept {
  switch (state) {
    case ConnectionState::initialized: return "initialized";
    case ConnectionState::connecting: return "connecting";
    case ConnectionState::connected: return "connected";
    case ConnectionState::disconnected: return "disconnected";
    case ConnectionState::suspended: return "suspended";
    case ConnectionState::closing: return "closing";
    case ConnectionState::closed: return "closed";
    case ConnectionState::failed: return "failed";
  }
  return "unknown";
}

std::string_view to_string(PresenceStatus status) noexcept {
  switch (status) {
    case PresenceStatus::offline: return "offline";
    case PresenceStatus::idle: return "idle";
    case PresenceStatus::online: return "online";
  }
  return "offline";
}

// ---- Identity and conversations ----

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::member: return "member";
    case Role::admin: return "admin";
    case Role::owner: return "owner";
  }
  return "member";
}

std::string_view to_string(ConversationKind kind) noexcept {
  switch (kind) {
    case ConversationKind::channel: return "channel";
    case ConversationKind::private_channel: return "private_channel";
    case ConversationKind::dm: return "dm";
    case ConversationKind::group_dm: return "group_dm";
  }
  return "channel";
}

std::string_view to_string(TransferState state) noexcept {
  switch (state) {
    case TransferState::queued: return "queued";
    case TransferState::running: return "running";
    case TransferState::done: return "done";
    case TransferState::failed: return "failed";
    case TransferState::cancelled: return "cancelled";
  }
  return "queued";
}

}  // namespace confab
