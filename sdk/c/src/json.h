// The SDK's values as the JSON the C API hands out (the schemas of docs/c-api.md): field
// names in camelCase, enums as their wire names, absent values as null; and the few it
// takes in (attachments, files to send).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
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
Json attachment_json(const Attachment& attachment);
Json upload_json(const UploadProgress& progress);
Json download_json(const DownloadProgress& progress);

// JSON text from the app as an Attachment (attachment_json()'s shape; fields it does not
// know are ignored) or as the files of confab_send_options.attachments_json. nullopt when
// it is one; otherwise why not, for the message of an invalid_argument.
std::optional<std::string> attachment_from_json(std::string_view text, Attachment& out);
std::optional<std::string> files_from_json(std::string_view text, std::vector<FileToSend>& out);

// Standard base64 (RFC 4648, '=' padding optional); nullopt for text that is not.
std::optional<std::string> decode_base64(std::string_view text);

// Paths cross as UTF-8 text both ways (a std::filesystem::path's own narrow string is the
// system's code page on Windows).
inline std::filesystem::path path_of(std::string_view utf8) {
  return std::filesystem::path(std::u8string(utf8.begin(), utf8.end()));
}
inline std::string utf8_of(const std::filesystem::path& path) {
  auto text = path.u8string();
  return std::string(text.begin(), text.end());
}

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
