#include "config.h"

#include <fstream>
#include <map>
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
T get_or(const Json& object, const char* key, T fallback, const std::string& where) {
  return object.contains(key) ? get<T>(object, key, where) : fallback;
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

// An optional duration in milliseconds.
void get_optional_ms(const Json& object, const char* key, std::chrono::milliseconds& out) {
  std::int64_t ms = out.count();
  get_optional(object, key, ms);
  out = std::chrono::milliseconds(ms);
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
  get_optional_ms(root, "authTimeoutMs", config.auth_timeout);
  get_optional_ms(root, "handshakeTimeoutMs", config.handshake_timeout);
  get_optional(root, "maxPendingHandshakes", config.max_pending_handshakes);

  for (const auto& user : get<Json>(root, "users", "config")) {
    std::string where = "users[" + std::to_string(config.users.size()) + "]";
    UserConfig u;
    u.id = get<std::string>(user, "id", where);
    u.name = user.value("name", u.id);
    u.tokens = get<std::vector<std::string>>(user, "tokens", where);
    u.active = get_or<bool>(user, "active", true, where);
    config.users.push_back(std::move(u));
  }
  if (auto workspaces = root.find("workspaces"); workspaces != root.end()) {
    if (!workspaces->is_array()) throw ConfigError{"'workspaces' must be an array"};
    for (const auto& workspace : *workspaces) {
      std::string where = "workspaces[" + std::to_string(config.workspaces.size()) + "]";
      WorkspaceConfig w;
      w.id = get<std::string>(workspace, "id", where);
      w.name = workspace.value("name", w.id);
      for (const auto& member : get<Json>(workspace, "members", where)) {
        WorkspaceMember m;
        m.user_id = get<std::string>(member, "userId", where + ".members");
        auto role = role_from_string(member.value("role", std::string("member")));
        if (!role) throw ConfigError{where + ".members: role must be owner, admin or member"};
        m.role = *role;
        w.members.push_back(std::move(m));
      }
      config.workspaces.push_back(std::move(w));
    }
  }
  get_optional(root, "maxDifference", config.max_difference);
  if (auto rate = root.find("rateLimit"); rate != root.end()) {
    if (!rate->is_object()) throw ConfigError{"'rateLimit' must be an object"};
    get_optional(*rate, "perSecond", config.rate_per_second);
    get_optional(*rate, "burst", config.rate_burst);
  }
  get_optional(root, "httpPort", config.http_port);
  get_optional_ms(root, "httpHeadTimeoutMs", config.http_head_timeout);
  get_optional_ms(root, "httpBodyTimeoutMs", config.http_body_timeout);
  get_optional(root, "httpBodyMinBytesPerSecond", config.http_body_min_rate);
  get_optional(root, "httpMaxConnections", config.http_max_connections);
  get_optional(root, "httpMaxConnectionsPerAddress", config.http_max_connections_per_address);
  get_optional(root, "publicWebSocketUrl", config.public_ws_url);
  get_optional(root, "sessionSecret", config.session_secret);
  std::int64_t session_ttl_s = config.session_ttl.count();
  get_optional(root, "sessionTtlSeconds", session_ttl_s);
  config.session_ttl = std::chrono::seconds(session_ttl_s);
  std::string attachments;
  get_optional(root, "attachmentsDir", attachments);
  if (!attachments.empty()) config.attachments_dir = attachments;
  get_optional_ms(root, "uploadTtlMs", config.upload_ttl);
  get_optional(root, "maxAttachmentBytes", config.max_attachment_bytes);
  get_optional(root, "faultInjection", config.fault_injection);
  std::string push_file;
  get_optional(root, "pushFile", push_file);
  if (!push_file.empty()) config.push_file = push_file;
  get_optional_ms(root, "presenceTtlMs", config.presence_ttl);
  get_optional_ms(root, "typingTtlMs", config.typing_ttl);
  get_optional(root, "presenceFanoutLimit", config.presence_fanout_limit);
  for (const auto& conversation : get<Json>(root, "conversations", "config")) {
    std::string where = "conversations[" + std::to_string(config.conversations.size()) + "]";
    ConversationConfig c;
    c.id = get<std::string>(conversation, "id", where);
    c.kind = parse_kind(conversation.value("kind", std::string("channel")), where);
    bool channel = c.kind == ConversationKind::channel || c.kind == ConversationKind::private_channel;
    c.name = conversation.value("name", channel ? c.id : std::string());  // DMs have no name
    c.members = get<std::vector<std::string>>(conversation, "members", where);
    c.workspace = conversation.value("workspace", std::string());
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
  if (config.handshake_timeout.count() < 1) return invalid("handshakeTimeoutMs must be positive");
  if (config.max_pending_handshakes < 1) return invalid("maxPendingHandshakes must be positive");
  if (config.http_head_timeout.count() < 1) return invalid("httpHeadTimeoutMs must be positive");
  if (config.http_body_timeout.count() < 1) return invalid("httpBodyTimeoutMs must be positive");
  if (config.http_body_min_rate < 1) return invalid("httpBodyMinBytesPerSecond must be positive");
  if (config.http_max_connections < 1) return invalid("httpMaxConnections must be positive");
  if (config.http_max_connections_per_address < 1) return invalid("httpMaxConnectionsPerAddress must be positive");

  std::set<std::string> user_ids;
  std::set<std::string> tokens;
  for (const auto& user : config.users) {
    if (!protocol::is_identifier(user.id)) return invalid("user id '" + user.id + "' is not a valid identifier");
    if (!user_ids.insert(user.id).second) return invalid("user '" + user.id + "' is listed twice");
    if (user.name.empty() || !protocol::is_printable(user.name, protocol::kMaxDisplayNameBytes)) {
      return invalid("user '" + user.id + "' needs a name of 1-80 bytes without control characters");
    }
    for (const auto& token : user.tokens) {
      if (token.empty() || token.size() > protocol::kMaxTokenBytes) {
        return invalid("user '" + user.id + "' has an empty or oversized token");
      }
      if (!tokens.insert(token).second) return invalid("a token is given to more than one user");
    }
  }
  if (config.max_difference < 1) return invalid("maxDifference must be positive");
  if (config.rate_per_second < 0 || config.rate_burst < 0) return invalid("rateLimit values must not be negative");
  if (config.rate_per_second > 0 && config.rate_burst < 1) return invalid("rateLimit.burst must be at least 1");
  if (config.session_ttl.count() < 1 || config.session_ttl > std::chrono::days(366)) {
    return invalid("sessionTtlSeconds must be 1 to 31622400 (366 days)");
  }
  if (!config.session_secret.empty() && config.session_secret.size() < 32) {
    return invalid("sessionSecret must be at least 32 bytes");
  }
  if (config.presence_ttl.count() < 1000) return invalid("presenceTtlMs must be at least 1000");
  if (config.typing_ttl.count() < 100) return invalid("typingTtlMs must be at least 100");
  if (config.upload_ttl.count() < 100 || config.upload_ttl > std::chrono::days(366)) {
    return invalid("uploadTtlMs must be 100 to 31622400000 (366 days)");
  }
  if (config.presence_fanout_limit > 1'000'000) return invalid("presenceFanoutLimit must be 0-1000000");
  if (config.max_attachment_bytes < 1 || config.max_attachment_bytes > 25 * 1024 * 1024) {
    return invalid("maxAttachmentBytes must be 1 to 26214400 (25 MiB)");
  }
  std::map<std::string, std::set<std::string>> workspace_members;
  for (const auto& w : workspaces_of(config)) {
    if (!protocol::is_identifier(w.id)) return invalid("workspace id '" + w.id + "' is not a valid identifier");
    if (workspace_members.contains(w.id)) return invalid("workspace '" + w.id + "' is listed twice");
    if (w.name.empty() || !protocol::is_printable(w.name, protocol::kMaxDisplayNameBytes)) {
      return invalid("workspace '" + w.id + "' needs a name of 1-80 bytes without control characters");
    }
    auto& members = workspace_members[w.id];
    for (const auto& m : w.members) {
      if (!user_ids.contains(m.user_id)) return invalid("workspace '" + w.id + "' names unknown user '" + m.user_id + "'");
      if (!members.insert(m.user_id).second) return invalid("workspace '" + w.id + "' lists '" + m.user_id + "' twice");
    }
  }
  std::set<std::string> conversation_ids;
  for (const auto& c : config.conversations) {
    if (!protocol::is_identifier(c.id)) return invalid("conversation id '" + c.id + "' is not a valid identifier");
    auto workspace = workspace_members.find(workspace_of(config, c));
    if (workspace == workspace_members.end()) {
      return invalid("conversation '" + c.id + "' names unknown workspace '" + c.workspace + "'");
    }
    if (!conversation_ids.insert(c.id).second) return invalid("conversation '" + c.id + "' is listed twice");
    std::set<std::string> members;
    for (const auto& member : c.members) {
      if (!user_ids.contains(member)) return invalid("conversation '" + c.id + "' names unknown user '" + member + "'");
      if (!members.insert(member).second) return invalid("conversation '" + c.id + "' lists '" + member + "' twice");
      if (!workspace->second.contains(member)) {
        return invalid("conversation '" + c.id + "' member '" + member + "' is not in its workspace");
      }
    }
    bool channel = c.kind == ConversationKind::channel || c.kind == ConversationKind::private_channel;
    if (channel ? c.name.empty() || !protocol::is_printable(c.name, protocol::kMaxNameBytes) : !c.name.empty()) {
      return invalid("conversation '" + c.id + "': " +
                     (channel ? "a channel's name is 1-80 bytes without control characters" : "DMs have no name"));
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

std::vector<WorkspaceConfig> workspaces_of(const ServerConfig& config) {
  if (!config.workspaces.empty()) return config.workspaces;
  WorkspaceConfig w{"default", "Default", {}};
  for (const auto& user : config.users) w.members.push_back({user.id, Role::member});
  return {std::move(w)};
}

std::string workspace_of(const ServerConfig& config, const ConversationConfig& conversation) {
  if (!conversation.workspace.empty()) return conversation.workspace;
  return config.workspaces.empty() ? "default" : config.workspaces.front().id;
}

std::string_view to_string(Role role) noexcept {
  switch (role) {
    case Role::owner: return "owner";
    case Role::admin: return "admin";
    case Role::member: return "member";
  }
  return "member";
}

std::optional<Role> role_from_string(std::string_view name) noexcept {
  for (auto role : {Role::owner, Role::admin, Role::member}) {
    if (to_string(role) == name) return role;
  }
  return std::nullopt;
}

}  // namespace confab::server
