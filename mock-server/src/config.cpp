#include "config.h"

#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace confab::server {
namespace {

using Json = nlohmann::json;

struct ConfigError {
  std::string message;
};

Error invalid(std::string message) {
  return Error::make(ErrorCode::invalid_argument, "configuration: " + std::move(message));
}

template <class T>
T get(const Json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end()) throw ConfigError{where + ": missing '" + key + "'"};
  try {
    return it->get<T>();
  } catch (const Json::exception&) {
    throw ConfigError{where + ": '" + key + "' has the wrong type"};
  }
}

template <class T>
void get_optional(const Json& object, const char* key, T& out) {
  auto it = object.find(key);
  if (it == object.end()) return;
  try {
    out = it->get<T>();
  } catch (const Json::exception&) {
    throw ConfigError{std::string("'") + key + "' has the wrong type"};
  }
}

ConversationKind parse_kind(const std::string& kind, const std::string& where) {
  if (kind == "channel") return ConversationKind::channel;
  if (kind == "private_channel") return ConversationKind::private_channel;
  if (kind == "dm") return ConversationKind::dm;
  if (kind == "group_dm") return ConversationKind::group_dm;
  throw ConfigError{where + ": kind must be channel, private_channel, dm or group_dm"};
}

ServerConfig from_json(const Json& root) {
  if (!root.is_object()) throw ConfigError{"the top level must be an object"};
  ServerConfig config;
  get_optional(root, "listen", config.listen_address);
  get_optional(root, "port", config.port);
  std::string database;
  get_optional(root, "database", database);
  if (!database.empty()) config.database = database;
  std::string durability = "full";
  get_optional(root, "durability", durability);
  if (durability == "normal") {
    config.durability = Durability::normal;
  } else if (durability != "full") {
    throw ConfigError{"'durability' must be normal or full"};
  }
  get_optional(root, "threads", config.threads);
  std::int64_t auth_timeout_ms = config.auth_timeout.count();
  get_optional(root, "authTimeoutMs", auth_timeout_ms);
  config.auth_timeout = std::chrono::milliseconds(auth_timeout_ms);

  for (const auto& user : get<Json>(root, "users", "config")) {
    std::string where = "users[" + std::to_string(config.users.size()) + "]";
    UserConfig u;
    u.id = get<std::string>(user, "id", where);
    u.name = user.value("name", u.id);
    u.tokens = get<std::vector<std::string>>(user, "tokens", where);
    config.users.push_back(std::move(u));
  }
  for (const auto& conversation : get<Json>(root, "conversations", "config")) {
    std::string where = "conversations[" + std::to_string(config.conversations.size()) + "]";
    ConversationConfig c;
    c.id = get<std::string>(conversation, "id", where);
    c.kind = parse_kind(conversation.value("kind", std::string("channel")), where);
    c.name = conversation.value("name", c.id);
    c.members = get<std::vector<std::string>>(conversation, "members", where);
    config.conversations.push_back(std::move(c));
  }
  return config;
}

}  // namespace

Result<void> validate(const ServerConfig& config) {
  if (config.threads < 1 || config.threads > 256) return invalid("threads must be 1-256");
  if (config.max_frame_bytes < 1024) return invalid("max frame size must be at least 1024 bytes");
  if (config.max_batch < 1) return invalid("max batch must be at least 1");
  if (config.max_inflight_per_session < 1) return invalid("max in-flight sends must be at least 1");
  if (config.auth_timeout.count() < 1) return invalid("authTimeoutMs must be positive");

  std::set<std::string> user_ids;
  std::set<std::string> tokens;
  for (const auto& user : config.users) {
    if (!protocol::is_identifier(user.id)) return invalid("user id '" + user.id + "' is not a valid identifier");
    if (!user_ids.insert(user.id).second) return invalid("user '" + user.id + "' is listed twice");
    for (const auto& token : user.tokens) {
      if (token.empty() || token.size() > protocol::kMaxTokenBytes) {
        return invalid("user '" + user.id + "' has an empty or oversized token");
      }
      if (!tokens.insert(token).second) return invalid("a token is given to more than one user");
    }
  }
  std::set<std::string> conversation_ids;
  for (const auto& c : config.conversations) {
    if (!protocol::is_identifier(c.id)) return invalid("conversation id '" + c.id + "' is not a valid identifier");
    if (!conversation_ids.insert(c.id).second) return invalid("conversation '" + c.id + "' is listed twice");
    std::set<std::string> members;
    for (const auto& member : c.members) {
      if (!user_ids.contains(member)) return invalid("conversation '" + c.id + "' names unknown user '" + member + "'");
      if (!members.insert(member).second) return invalid("conversation '" + c.id + "' lists '" + member + "' twice");
    }
    if (c.kind == ConversationKind::dm && members.size() != 2) {
      return invalid("dm '" + c.id + "' must have exactly two members");
    }
  }
  return {};
}

Result<ServerConfig> parse_config(std::string_view json_text) {
  ServerConfig config;
  try {
    config = from_json(Json::parse(json_text));
  } catch (const ConfigError& e) {
    return invalid(e.message);
  } catch (const Json::exception& e) {
    return invalid(std::string("not valid JSON: ") + e.what());
  }
  if (auto ok = validate(config); !ok) return ok.error();
  return config;
}

Result<ServerConfig> load_config(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return invalid("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return parse_config(text.str());
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

}  // namespace confab::server
