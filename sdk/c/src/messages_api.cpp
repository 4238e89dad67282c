// The C API's messages: sending and changing them through the outbox, and reading the
// local store (conversations, timelines, threads, search).
#include <optional>
#include <string>

#include "confab/confab.h"
#include "answers.h"

using confab::c::answer;
using confab::c::copy_out;
using confab::c::dump;
using confab::c::guarded;
using confab::c::Json;
using confab::c::missing;
using confab::c::text_or_empty;

namespace {

// A confab_message_ref as the SDK's MessageRef; nullopt (the failure recorded) when it
// names nothing.
std::optional<confab::MessageRef> ref_of(confab_client* client, const confab_message_ref* ref, const char* name) {
  if (ref == nullptr) {
    client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: a required argument is NULL: ", name);
    return std::nullopt;
  }
  if (ref->local_id != 0) return confab::MessageRef::local(ref->local_id);
  if (ref->conversation_id == nullptr || ref->message_id == nullptr) {
    client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: names no message (no local_id, and a NULL id): ",
                 name);
    return std::nullopt;
  }
  return confab::MessageRef::server(ref->conversation_id, ref->message_id);
}

// A queued outbox row: its JSON for the caller, when asked for.
int queued(confab_client* client, char** out_json, const confab::Result<confab::LocalMessage>& row) {
  if (!row) return client->fail(row.error());
  if (out_json) *out_json = copy_out(dump(confab::c::local_message_json(*row)));
  return CONFAB_OK;
}

}  // namespace

extern "C" {

int confab_send(char** out_json, confab_client* client, const char* conversation_id, const char* text,
                const confab_send_options* options) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id") || missing(client, text, "text")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    confab::SendOptions send_options;
    if (options != nullptr) {
      // Version 1 ends before attachments_json: that field is not read from its struct.
      if (options->version != 1 && options->version != CONFAB_SEND_OPTIONS_VERSION) {
        return client->fail(CONFAB_E_INVALID_ARGUMENT,
                            "invalid_argument: confab_send_options.version is not CONFAB_SEND_OPTIONS_VERSION "
                            "(fill it with CONFAB_SEND_OPTIONS_INIT)");
      }
      if (options->reply_to != nullptr) {
        send_options.reply_to = ref_of(client, options->reply_to, "options.reply_to");
        if (!send_options.reply_to) return CONFAB_E_INVALID_ARGUMENT;
      }
      if (options->thread_root != nullptr) {
        send_options.thread_root = ref_of(client, options->thread_root, "options.thread_root");
        if (!send_options.thread_root) return CONFAB_E_INVALID_ARGUMENT;
      }
      if (options->version >= 2 && options->attachments_json != nullptr) {
        if (auto refused = confab::c::files_from_json(options->attachments_json, send_options.attachments)) {
          return client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: options.attachments_json: ", *refused);
        }
      }
    }
    return queued(client, out_json, client->client->send(conversation_id, text, send_options));
  });
}

int confab_edit(char** out_json, confab_client* client, const confab_message_ref* target, const char* text) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    auto ref = ref_of(client, target, "target");
    if (!ref || missing(client, text, "text")) return CONFAB_E_INVALID_ARGUMENT;
    return queued(client, out_json, client->client->edit(*ref, text));
  });
}

int confab_react(char** out_json, confab_client* client, const confab_message_ref* target, const char* emoji) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    auto ref = ref_of(client, target, "target");
    if (!ref || missing(client, emoji, "emoji")) return CONFAB_E_INVALID_ARGUMENT;
    return queued(client, out_json, client->client->react(*ref, emoji));
  });
}

int confab_unreact(char** out_json, confab_client* client, const confab_message_ref* target, const char* emoji) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    auto ref = ref_of(client, target, "target");
    if (!ref || missing(client, emoji, "emoji")) return CONFAB_E_INVALID_ARGUMENT;
    return queued(client, out_json, client->client->unreact(*ref, emoji));
  });
}

int confab_remove(char** out_json, confab_client* client, const confab_message_ref* target) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    auto ref = ref_of(client, target, "target");
    if (!ref) return CONFAB_E_INVALID_ARGUMENT;
    return queued(client, out_json, client->client->remove(*ref));
  });
}

int confab_retry(confab_client* client, int64_t local_id) {
  return guarded(client, [&]() -> int { return client->status(client->client->retry(local_id)); });
}

int confab_discard(confab_client* client, int64_t local_id) {
  return guarded(client, [&]() -> int { return client->status(client->client->discard(local_id)); });
}

int confab_unsent_messages(char** out_json, confab_client* client) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json")) return CONFAB_E_INVALID_ARGUMENT;
    *out_json = copy_out(dump(confab::c::array_of(client->client->unsent_messages(), confab::c::local_message_json)));
    return CONFAB_OK;
  });
}

// ---- The local store -----------------------------------------------------------------------

int confab_conversations(char** out_json, confab_client* client) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json")) return CONFAB_E_INVALID_ARGUMENT;
    return answer(client, out_json, client->client->conversations(), [](const auto& list) {
      return confab::c::array_of(list, confab::c::conversation_json);
    });
  });
}

int confab_conversation(char** out_json, confab_client* client, const char* conversation_id) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json") || missing(client, conversation_id, "conversation_id")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    return answer(client, out_json, client->client->conversation(conversation_id), confab::c::conversation_json);
  });
}

int confab_messages(char** out_json, confab_client* client, const char* conversation_id, int64_t before_seq,
                    int limit) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json") || missing(client, conversation_id, "conversation_id")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    return answer(client, out_json, client->client->messages(conversation_id, before_seq, limit), confab::c::page_json);
  });
}

int confab_thread(char** out_json, confab_client* client, const char* root_message_id, int limit) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json") || missing(client, root_message_id, "root_message_id")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    return answer(client, out_json, client->client->thread(root_message_id, limit), [](const auto& list) {
      return confab::c::array_of(list, confab::c::timeline_message_json);
    });
  });
}

int confab_load_older(int* out_requested, confab_client* client, const char* conversation_id, int limit) {
  if (out_requested) *out_requested = 0;
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id")) return CONFAB_E_INVALID_ARGUMENT;
    auto requested = client->client->load_older(conversation_id, limit);
    if (!requested) return client->fail(requested.error());
    if (out_requested) *out_requested = *requested ? 1 : 0;
    return CONFAB_OK;
  });
}

int confab_mark_read(confab_client* client, const char* conversation_id, int64_t seq) {
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id")) return CONFAB_E_INVALID_ARGUMENT;
    return client->status(client->client->mark_read(conversation_id, seq));
  });
}

int confab_search(char** out_json, confab_client* client, const char* query, const char* conversation_id, int limit) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json") || missing(client, query, "query")) return CONFAB_E_INVALID_ARGUMENT;
    return answer(client, out_json, client->client->search(query, text_or_empty(conversation_id), limit),
                  [](const auto& list) { return confab::c::array_of(list, confab::c::timeline_message_json); });
  });
}

}  // extern "C"
