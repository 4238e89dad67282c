#include "server_log.h"

#include <SQLiteCpp/SQLiteCpp.h>

namespace confab::test {

std::vector<LoggedMessage> read_server_log(const std::filesystem::path& database, const std::string& conversation_id) {
  SQLite::Database db(database.string(), SQLite::OPEN_READONLY);
  db.setBusyTimeout(5000);
  SQLite::Statement q(db,
                      "SELECT seq, sender_id, client_message_id, body_text FROM events "
                      "WHERE conversation_id = ?1 ORDER BY seq");
  q.bind(1, conversation_id);
  std::vector<LoggedMessage> out;
  while (q.executeStep()) {
    out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                   q.getColumn(3).getString()});
  }
  return out;
}

std::vector<std::string> texts_of(const std::vector<LoggedMessage>& log) {
  std::vector<std::string> texts;
  texts.reserve(log.size());
  for (const auto& m : log) texts.push_back(m.text);
  return texts;
}

std::vector<std::string> read_server_texts(const std::filesystem::path& database, const std::string& conversation_id) {
  return texts_of(read_server_log(database, conversation_id));
}

}  // namespace confab::test
