// Reads a conversation's log straight from the reference server's database, to check what
// the server holds independently of what any client saw.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace confab::test {

struct LoggedMessage {
  std::int64_t seq = 0;
  std::string sender_id;
  std::string client_message_id;
  std::string text;
};

// The conversation's events in seq order. The server may be running (WAL readers do not
// block it).
std::vector<LoggedMessage> read_server_log(const std::filesystem::path& database, const std::string& conversation_id);

// The texts of a log, in its order; and read_server_log's texts.
std::vector<std::string> texts_of(const std::vector<LoggedMessage>& log);
std::vector<std::string> read_server_texts(const std::filesystem::path& database, const std::string& conversation_id);

}  // namespace confab::test
