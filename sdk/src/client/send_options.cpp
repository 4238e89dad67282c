#include "client/send_options.h"

#include <string>

#include "protocol/protocol.h"

namespace confab::client {
namespace {

Error invalid(std::string message) { return Error::make(ErrorCode::invalid_argument, std::move(message)); }

struct Reference {
  const std::optional<MessageRef>& ref;
  std::string& server_id;
  std::int64_t& local_id;
  const char* what;
};

}  // namespace

Result<bool> references_by_server_id(const SendOptions& options, LocalMessage& m) {
  bool by_local_id = false;
  for (Reference r : {Reference{options.reply_to, m.reply_to, m.reply_to_local_id, "reply_to"},
                      Reference{options.thread_root, m.thread_root_id, m.thread_root_local_id, "thread_root"}}) {
    if (!r.ref) continue;
    if (r.ref->local_id < 0) return invalid(std::string(r.what) + ": a local id is positive");
    if (r.ref->local_id > 0) {
      by_local_id = true;
      continue;
    }
    if (!protocol::is_identifier(r.ref->message_id)) {
      return invalid(std::string(r.what) + ": name the message by a local id, or by its message id");
    }
    if (!r.ref->conversation_id.empty() && r.ref->conversation_id != m.conversation_id) {
      return invalid(std::string(r.what) + ": the message is in another conversation");
    }
    r.server_id = r.ref->message_id;
  }
  return by_local_id;
}

Result<void> references_by_local_id(const SendOptions& options, LocalMessage& m, const FindRow& find) {
  for (Reference r : {Reference{options.reply_to, m.reply_to, m.reply_to_local_id, "reply_to"},
                      Reference{options.thread_root, m.thread_root_id, m.thread_root_local_id, "thread_root"}}) {
    if (!r.ref || r.ref->local_id == 0) continue;
    auto id = std::to_string(r.ref->local_id);
    auto row = find(r.ref->local_id);
    if (!row) {
      if (row.error().code == ErrorCode::invalid_argument) return invalid(std::string(r.what) + ": no message with local id " + id);
      return row.error();
    }
    if (row->kind != OutboxKind::message) return invalid(std::string(r.what) + ": local id " + id + " is a change, not a message");
    if (row->conversation_id != m.conversation_id) {
      return invalid(std::string(r.what) + ": local id " + id + " is a message of another conversation");
    }
    r.local_id = r.ref->local_id;
    // Sent: the server's id goes at once. Otherwise the row waits for it (core::Outbox).
    r.server_id = row->state == OutboxState::sent ? row->message_id : std::string();
  }
  return {};
}

}  // namespace confab::client
