// The C API's people and conversations: the directory, requests to the server (answered by
// `request` events), members, typing, presence and receipts.
#include <string>
#include <vector>

#include "confab/confab.h"
#include "answers.h"

using confab::c::answer;
using confab::c::answer_by_event;
using confab::c::copy_out;
using confab::c::dump;
using confab::c::guarded;
using confab::c::Json;
using confab::c::missing;
using confab::c::text_or_empty;

namespace {

int conversation_answer(confab_client* client, confab::Pending<confab::ConversationInfo> pending, const char* request,
                        std::int64_t request_id) {
  return answer_by_event(client, std::move(pending), request, request_id, confab::c::conversation_json);
}

// `count` user ids from a C array; false (the failure recorded) when one is NULL.
bool ids_of(confab_client* client, const char* const* user_ids, size_t count, std::vector<std::string>& out) {
  if (count > 0 && user_ids == nullptr) {
    client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: user_ids is NULL");
    return false;
  }
  for (size_t i = 0; i < count; ++i) {
    if (user_ids[i] == nullptr) {
      client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: user_ids[", std::to_string(i) + "] is NULL");
      return false;
    }
    out.emplace_back(user_ids[i]);
  }
  return true;
}

}  // namespace

extern "C" {

// ---- Identity ------------------------------------------------------------------------------

int confab_user_id(char** out_user_id, confab_client* client) {
  if (out_user_id) *out_user_id = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_user_id, "out_user_id")) return CONFAB_E_INVALID_ARGUMENT;
    *out_user_id = copy_out(client->client->user_id());
    return CONFAB_OK;
  });
}

int confab_workspaces(char** out_json, confab_client* client) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json")) return CONFAB_E_INVALID_ARGUMENT;
    return answer(client, out_json, client->client->workspaces(),
                  [](const auto& list) { return confab::c::array_of(list, confab::c::workspace_json); });
  });
}

int confab_users(char** out_json, confab_client* client, const char* workspace_id) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json")) return CONFAB_E_INVALID_ARGUMENT;
    return answer(client, out_json, client->client->users(text_or_empty(workspace_id)),
                  [](const auto& list) { return confab::c::array_of(list, confab::c::user_json); });
  });
}

int confab_user(char** out_json, confab_client* client, const char* user_id) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json") || missing(client, user_id, "user_id")) return CONFAB_E_INVALID_ARGUMENT;
    auto user = client->client->user(user_id);
    if (!user) return client->fail(CONFAB_E_NOT_FOUND, "not_found: the directory never listed the user ", user_id);
    *out_json = copy_out(dump(confab::c::user_json(*user)));
    return CONFAB_OK;
  });
}

// ---- Conversations: requests ---------------------------------------------------------------

int confab_create_channel(confab_client* client, const char* workspace_id, const char* name, const char* topic,
                          int is_private, int64_t request_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, name, "name")) return CONFAB_E_INVALID_ARGUMENT;
    return conversation_answer(client,
                               client->client->create_channel(text_or_empty(workspace_id), name,
                                                              text_or_empty(topic), is_private != 0),
                               "create_channel", request_id);
  });
}

int confab_open_dm(confab_client* client, const char* user_id, int64_t request_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, user_id, "user_id")) return CONFAB_E_INVALID_ARGUMENT;
    return conversation_answer(client, client->client->open_dm(user_id), "open_dm", request_id);
  });
}

int confab_create_group_dm(confab_client* client, const char* const* user_ids, size_t count, int64_t request_id) {
  return guarded(client, [&]() -> int {
    std::vector<std::string> ids;
    if (!ids_of(client, user_ids, count, ids)) return CONFAB_E_INVALID_ARGUMENT;
    return conversation_answer(client, client->client->create_group_dm(std::move(ids)), "create_group_dm", request_id);
  });
}

int confab_join(confab_client* client, const char* conversation_id, int64_t request_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id")) return CONFAB_E_INVALID_ARGUMENT;
    return conversation_answer(client, client->client->join(conversation_id), "join", request_id);
  });
}

int confab_leave(confab_client* client, const char* conversation_id, int64_t request_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id")) return CONFAB_E_INVALID_ARGUMENT;
    return conversation_answer(client, client->client->leave(conversation_id), "leave", request_id);
  });
}

int confab_invite(confab_client* client, const char* conversation_id, const char* const* user_ids, size_t count,
                  int64_t request_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id")) return CONFAB_E_INVALID_ARGUMENT;
    std::vector<std::string> ids;
    if (!ids_of(client, user_ids, count, ids)) return CONFAB_E_INVALID_ARGUMENT;
    return conversation_answer(client, client->client->invite(conversation_id, std::move(ids)), "invite", request_id);
  });
}

int confab_rename(confab_client* client, const char* conversation_id, const char* name, int64_t request_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id") || missing(client, name, "name")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    return conversation_answer(client, client->client->rename(conversation_id, name), "rename", request_id);
  });
}

int confab_set_topic(confab_client* client, const char* conversation_id, const char* topic, int64_t request_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id") || missing(client, topic, "topic")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    return conversation_answer(client, client->client->set_topic(conversation_id, topic), "set_topic", request_id);
  });
}

int confab_members(char** out_json, confab_client* client, const char* conversation_id) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json") || missing(client, conversation_id, "conversation_id")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    return answer(client, out_json, client->client->members(conversation_id),
                  [](const auto& list) { return confab::c::array_of(list, confab::c::member_json); });
  });
}

// ---- Typing, presence, receipts ------------------------------------------------------------

int confab_typing(confab_client* client, const char* conversation_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id")) return CONFAB_E_INVALID_ARGUMENT;
    return client->status(client->client->typing(conversation_id));
  });
}

int confab_stop_typing(confab_client* client, const char* conversation_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, conversation_id, "conversation_id")) return CONFAB_E_INVALID_ARGUMENT;
    return client->status(client->client->stop_typing(conversation_id));
  });
}

int confab_typing_users(char** out_json, confab_client* client, const char* conversation_id) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json") || missing(client, conversation_id, "conversation_id")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    *out_json = copy_out(dump(Json(client->client->typing_users(conversation_id))));
    return CONFAB_OK;
  });
}

int confab_set_idle(confab_client* client, int idle) {
  return guarded(client, [&]() -> int {
    client->client->set_idle(idle != 0);
    return CONFAB_OK;
  });
}

int confab_presence(int* out_status, confab_client* client, const char* user_id) {
  if (out_status) *out_status = CONFAB_PRESENCE_OFFLINE;
  return guarded(client, [&]() -> int {
    if (missing(client, out_status, "out_status") || missing(client, user_id, "user_id")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    switch (client->client->presence(user_id)) {
      case confab::PresenceStatus::offline: *out_status = CONFAB_PRESENCE_OFFLINE; break;
      case confab::PresenceStatus::idle: *out_status = CONFAB_PRESENCE_IDLE; break;
      case confab::PresenceStatus::online: *out_status = CONFAB_PRESENCE_ONLINE; break;
    }
    return CONFAB_OK;
  });
}

int confab_query_presence(confab_client* client, const char* const* user_ids, size_t count, int64_t request_id) {
  return guarded(client, [&]() -> int {
    std::vector<std::string> ids;
    if (!ids_of(client, user_ids, count, ids)) return CONFAB_E_INVALID_ARGUMENT;
    return answer_by_event(client, client->client->query_presence(std::move(ids)), "query_presence", request_id,
                           [](const auto& list) { return confab::c::array_of(list, confab::c::presence_json); });
  });
}

int confab_receipts(char** out_json, confab_client* client, const char* conversation_id) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json") || missing(client, conversation_id, "conversation_id")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    return answer(client, out_json, client->client->receipts(conversation_id),
                  [](const auto& list) { return confab::c::array_of(list, confab::c::receipt_json); });
  });
}

int confab_read_by(char** out_json, confab_client* client, const char* conversation_id, int64_t seq) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json") || missing(client, conversation_id, "conversation_id")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    return answer(client, out_json, client->client->read_by(conversation_id, seq), confab::c::read_by_json);
  });
}

}  // extern "C"
