// The SDK's values as the JSON the C API hands out (the schemas of docs/c-api.md): field
// names in camelCase, enums as their wire names, absent values as null.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "confab/client.h"

namespace confab::c {

using Json = nlohmann::json;

// Serialises without ever throwing on text that is not UTF-8 (replaced, U+FFFD).
std::string dump(const Json& value);

Json error_json(const Error& error);
Json connection_json(const ConnectionChange& change);
Json local_message_json(const LocalMessage& message);
Json message_json(const Message& message);
Json timeline_message_json(const TimelineMessage& message);
Json page_json(const MessagePage& page);
Json conversation_json(const ConversationInfo& info);
Json conversation_change_json(const ConversationChange& change);
Json sync_json(const SyncProgress& progress);
Json workspace_json(const Workspace& workspace);
Json user_json(const User& user);
Json member_json(const Member& member);
Json typing_json(const TypingChange& change);
Json presence_json(const PresenceChange& change);
Json receipt_json(const Receipt& receipt);
Json receipt_change_json(const ReceiptChange& change);
Json read_by_json(const ReadBy& read_by);
Json recovery_json(const StoreRecovery& recovery);

// A JSON array of `items`, each through `convert`.
template <class T, class Convert>
Json array_of(const std::vector<T>& items, Convert convert) {
  Json out = Json::array();
  for (const auto& item : items) out.push_back(convert(item));
  return out;
}

// The names of the bits of MessageUpdate::flags that are set: ["text", "reactions"].
Json update_flags_json(std::uint32_t flags);

}  // namespace confab::c
