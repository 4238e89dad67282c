// The C API's lifecycle: versions and errors, options, opening and freeing a client,
// connecting, and the two ways events leave it.
#include <chrono>
#include <cstddef>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>

#include "confab/confab.h"
#include "confab/version.h"
#include "handle.h"
#include "json.h"

using confab::c::copy_out;
using confab::c::guarded;
using confab::c::missing;
using confab::c::text_or_empty;

namespace {

static_assert(static_cast<int>(confab::ConnectionState::failed) == CONFAB_STATE_FAILED &&
                  static_cast<int>(confab::ConnectionState::connected) == CONFAB_STATE_CONNECTED,
              "confab_state numbers the states as confab::ConnectionState does");

// The options of `version` with every field at its default.
constexpr confab_client_options kDefaultOptions = CONFAB_CLIENT_OPTIONS_INIT;

// Version 1 of the struct ends where version 2's files_ fields begin: an app built against
// that header passes a struct this long.
constexpr std::size_t kVersion1Size = offsetof(confab_client_options, files_http_url);

// The app's options as this version's struct: of a version 1 struct only its own fields
// are read, the others keep their defaults; of an unknown version, only `version`.
confab_client_options widened(const confab_client_options& in) {
  confab_client_options out = kDefaultOptions;
  if (in.version == 1) {
    std::memcpy(&out, &in, kVersion1Size);
  } else if (in.version == CONFAB_CLIENT_OPTIONS_VERSION) {
    out = in;
  } else {
    out.version = in.version;
  }
  return out;
}

// Fills confab::ClientOptions from the C struct (widened); a message for the first field it
// refuses.
std::optional<std::string> convert(const confab_client_options& in, confab::ClientOptions& out,
                                   std::size_t& poll_capacity) {
  if (in.version != 1 && in.version != CONFAB_CLIENT_OPTIONS_VERSION) {
    return "options.version is " + std::to_string(in.version) + "; this library knows versions 1 to " +
           std::to_string(CONFAB_CLIENT_OPTIONS_VERSION) + " (fill the struct with CONFAB_CLIENT_OPTIONS_INIT)";
  }
  if (in.device_id == nullptr) return "options.device_id is NULL";
  if (in.database_path == nullptr) return "options.database_path is NULL";
  if (in.durability != CONFAB_DURABILITY_NORMAL && in.durability != CONFAB_DURABILITY_FULL) {
    return "options.durability is not a confab_durability";
  }
  out.device_id = in.device_id;
  out.database_path = in.database_path;
  out.cache_path = text_or_empty(in.cache_path);
  out.durability = in.durability == CONFAB_DURABILITY_FULL ? confab::Durability::full : confab::Durability::normal;
  out.allow_insecure_transport = in.allow_insecure_transport != 0;
  out.tls_ca_pem = text_or_empty(in.tls_ca_pem);
  out.platform = text_or_empty(in.platform);

  // A time of 0 keeps the default; a negative one is refused with its field's name.
  std::optional<std::string> refused;
  auto time = [&refused](const char* field, std::int64_t ms, std::chrono::milliseconds& target) {
    if (ms < 0 && !refused) refused = std::string("options.") + field + " is negative";
    if (ms > 0) target = std::chrono::milliseconds(ms);
  };
  time("connect_step_timeout_ms", in.connect_step_timeout_ms, out.connect_step_timeout);
  time("request_timeout_ms", in.request_timeout_ms, out.request_timeout);
  time("outbox_ack_timeout_ms", in.outbox_ack_timeout_ms, out.outbox.ack_timeout);
  time("outbox_max_age_ms", in.outbox_max_age_ms, out.outbox.max_age);
  time("outbox_retry_base_ms", in.outbox_retry_base_ms, out.outbox.retry_base);
  time("outbox_retry_cap_ms", in.outbox_retry_cap_ms, out.outbox.retry_cap);
  time("reconnect_retry_base_ms", in.reconnect_retry_base_ms, out.connection.retry_base);
  time("reconnect_retry_cap_ms", in.reconnect_retry_cap_ms, out.connection.retry_cap);
  time("ping_interval_ms", in.ping_interval_ms, out.connection.ping_interval);
  time("ping_timeout_ms", in.ping_timeout_ms, out.connection.ping_timeout);
  time("heartbeat_interval_ms", in.heartbeat_interval_ms, out.live.heartbeat_interval);
  time("typing_renew_ms", in.typing_renew_ms, out.live.typing_renew);
  time("typing_idle_ms", in.typing_idle_ms, out.live.typing_idle);
  time("typing_ttl_ms", in.typing_ttl_ms, out.live.typing_ttl);
  time("files_retry_base_ms", in.files_retry_base_ms, out.files.retry_base);
  time("files_retry_cap_ms", in.files_retry_cap_ms, out.files.retry_cap);
  // Likewise a count or a size.
  auto amount = [&refused](const char* field, std::int64_t value, auto& target) {
    if (value < 0 && !refused) refused = std::string("options.") + field + " is negative";
    if (value > 0) target = static_cast<std::remove_reference_t<decltype(target)>>(value);
  };
  amount("files_parallel_uploads", in.files_parallel_uploads, out.files.parallel_uploads);
  amount("files_parallel_downloads", in.files_parallel_downloads, out.files.parallel_downloads);
  amount("files_cache_bytes", in.files_cache_bytes, out.files.cache_bytes);
  amount("files_chunk_bytes", in.files_chunk_bytes, out.files.chunk_bytes);
  if (refused) return refused;
  out.files.http_url = text_or_empty(in.files_http_url);
  if (in.files_directory != nullptr) out.files.directory = confab::c::path_of(in.files_directory);
  if (in.outbox_window < 0) return "options.outbox_window is negative";
  if (in.outbox_window > 0) out.outbox.window = static_cast<std::size_t>(in.outbox_window);
  out.connection.reconnect = in.no_reconnect == 0;
  out.connection.disconnect_in_background = in.disconnect_in_background != 0;
  if (in.poll_queue_capacity < 0) return "options.poll_queue_capacity is negative";
  poll_capacity = in.poll_queue_capacity > 0 ? static_cast<std::size_t>(in.poll_queue_capacity) : 1024;
  return std::nullopt;
}

// Asks the app's provider for a token or a credential, on the client's token thread.
confab::Result<std::string> ask(const confab_client* client, confab_secret_cb provider, void* payload) noexcept;

}  // namespace

struct confab_secret {
  std::optional<std::string> value;
};

namespace {

confab::Result<std::string> ask(const confab_client* client, confab_secret_cb provider, void* payload) noexcept {
  using confab::Error;
  using confab::ErrorCode;
  try {
    confab_secret secret;
    int status = CONFAB_OK;
    {
      confab::c::InCallback inside(client);
      status = provider(&secret, payload);
    }
    if (status == CONFAB_OK) {
      if (secret.value) return std::move(*secret.value);
      return Error{ErrorCode::internal, false, "the app's secret provider returned CONFAB_OK without confab_secret_set()", 0};
    }
    std::string why = std::string("the app's secret provider failed with ") + confab_status_name(status);
    if (status == CONFAB_E_OFFLINE) return Error{ErrorCode::offline, true, why, 0};
    if (status == CONFAB_E_TIMEOUT) return Error{ErrorCode::timeout, true, why, 0};
    return Error{ErrorCode::unauthorized, false, why, 0};
  } catch (const std::exception& e) {
    return Error{ErrorCode::internal, false, std::string("the app's secret provider threw: ") + e.what(), 0};
  } catch (...) {
    return Error{ErrorCode::internal, false, "the app's secret provider threw", 0};
  }
}

}  // namespace

extern "C" {

const char* confab_status_name(int status) {
  switch (status) {
    case CONFAB_OK: return "CONFAB_OK";
    case CONFAB_E_INVALID_ARGUMENT: return "CONFAB_E_INVALID_ARGUMENT";
    case CONFAB_E_INTERNAL: return "CONFAB_E_INTERNAL";
    case CONFAB_E_STORAGE: return "CONFAB_E_STORAGE";
    case CONFAB_E_OFFLINE: return "CONFAB_E_OFFLINE";
    case CONFAB_E_TIMEOUT: return "CONFAB_E_TIMEOUT";
    case CONFAB_E_CLOSED: return "CONFAB_E_CLOSED";
    case CONFAB_E_NOT_FOUND: return "CONFAB_E_NOT_FOUND";
    case CONFAB_E_REFUSED: return "CONFAB_E_REFUSED";
    default: return "unknown";
  }
}

const char* confab_version(void) { return CONFAB_VERSION_STRING; }

void confab_free(void* ptr) { std::free(ptr); }

const char* confab_errmsg(const confab_client* client) {
  return client ? client->errors.message() : confab::c::thread_errors().message();
}

int confab_errcode(const confab_client* client) {
  return client ? client->errors.code() : confab::c::thread_errors().code();
}

int confab_client_options_init(confab_client_options* options, unsigned int version) {
  auto& errors = confab::c::thread_errors();
  if (options == nullptr) return errors.record(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: options is NULL");
  if (version == 1) {
    std::memcpy(options, &kDefaultOptions, kVersion1Size);  // the app's struct may end there
    options->version = 1;
    return CONFAB_OK;
  }
  if (version != CONFAB_CLIENT_OPTIONS_VERSION) {
    return errors.record(CONFAB_E_INVALID_ARGUMENT,
                         "invalid_argument: this library knows confab_client_options versions 1 and 2");
  }
  *options = kDefaultOptions;
  return CONFAB_OK;
}

int confab_client_new(confab_client** out, const confab_client_options* options) {
  auto& errors = confab::c::thread_errors();
  if (out == nullptr) return errors.record(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: out is NULL");
  *out = nullptr;
  if (options == nullptr) return errors.record(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: options is NULL");
  try {
    confab::ClientOptions converted;
    std::size_t poll_capacity = 0;
    if (auto refused = convert(widened(*options), converted, poll_capacity)) {
      return errors.record(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: ", *refused);
    }
    auto handle = std::make_unique<confab_client>(poll_capacity);
    auto opened = confab::Client::open(std::move(converted));
    if (!opened) return errors.record(confab::c::status_of(opened.error()), confab::describe(opened.error()));
    handle->client = std::move(opened).value();
    handle->events.attach(*handle->client);
    *out = handle.release();
    return CONFAB_OK;
  } catch (const std::exception& e) {
    return errors.record(CONFAB_E_INTERNAL, "internal: ", e.what());
  } catch (...) {
    return errors.record(CONFAB_E_INTERNAL, "internal: an exception that is not a std::exception");
  }
}

int confab_client_free(confab_client* client) {
  if (client == nullptr) return CONFAB_OK;
  if (confab::c::InCallback::inside(client)) {
    return client->fail(CONFAB_E_INVALID_ARGUMENT,
                        "invalid_argument: confab_client_free() called from the client's own callback or provider");
  }
  try {
    client->events.stop();
  } catch (...) {
    // Out of memory while unsubscribing: destroying the client below ends every callback anyway.
  }
  client->client.reset();  // joins the client's threads: no callback runs after this
  delete client;
  return CONFAB_OK;
}

int confab_recovery(char** out_json, confab_client* client) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json")) return CONFAB_E_INVALID_ARGUMENT;
    *out_json = copy_out(confab::c::dump(confab::c::recovery_json(client->client->recovery())));
    return CONFAB_OK;
  });
}

// ---- Connecting ----------------------------------------------------------------------------

int confab_secret_set(confab_secret* out, const char* secret) {
  auto& errors = confab::c::thread_errors();
  if (out == nullptr || secret == nullptr) return errors.record(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: NULL secret");
  if (*secret == '\0') return errors.record(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: an empty secret");
  try {
    out->value = secret;
    return CONFAB_OK;
  } catch (...) {
    return errors.record(CONFAB_E_INTERNAL, "internal: out of memory");
  }
}

int confab_connect(confab_client* client, const char* url, const char* token) {
  return guarded(client, [&]() -> int {
    if (missing(client, url, "url") || missing(client, token, "token")) return CONFAB_E_INVALID_ARGUMENT;
    return client->status(client->client->connect(url, std::string(token)));
  });
}

int confab_connect_with_token_provider(confab_client* client, const char* url, confab_secret_cb provider,
                                       void* payload) {
  return guarded(client, [&]() -> int {
    if (missing(client, url, "url")) return CONFAB_E_INVALID_ARGUMENT;
    if (provider == nullptr) return client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: provider is NULL");
    confab::Client::TokenProvider tokens = [client, provider, payload] { return ask(client, provider, payload); };
    return client->status(client->client->connect(url, std::move(tokens)));
  });
}

int confab_connect_with_credential(confab_client* client, const char* bootstrap_url, const char* credential) {
  return guarded(client, [&]() -> int {
    if (missing(client, bootstrap_url, "bootstrap_url") || missing(client, credential, "credential")) {
      return CONFAB_E_INVALID_ARGUMENT;
    }
    if (*credential == '\0') return client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: an empty credential");
    confab::Client::CredentialProvider fixed = [value = std::string(credential)]() -> confab::Result<std::string> {
      return value;
    };
    return client->status(client->client->connect_with_credential(bootstrap_url, std::move(fixed)));
  });
}

int confab_connect_with_credential_provider(confab_client* client, const char* bootstrap_url,
                                            confab_secret_cb provider, void* payload) {
  return guarded(client, [&]() -> int {
    if (missing(client, bootstrap_url, "bootstrap_url")) return CONFAB_E_INVALID_ARGUMENT;
    if (provider == nullptr) return client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: provider is NULL");
    confab::Client::CredentialProvider credentials = [client, provider, payload] {
      return ask(client, provider, payload);
    };
    return client->status(client->client->connect_with_credential(bootstrap_url, std::move(credentials)));
  });
}

int confab_disconnect(confab_client* client) {
  return guarded(client, [&]() -> int {
    client->client->disconnect();
    return CONFAB_OK;
  });
}

int confab_connection_state(int* out_state, confab_client* client) {
  return guarded(client, [&]() -> int {
    if (missing(client, out_state, "out_state")) return CONFAB_E_INVALID_ARGUMENT;
    // confab_state numbers the states in confab::ConnectionState's order.
    *out_state = static_cast<int>(client->client->connection_state());
    return CONFAB_OK;
  });
}

int confab_connection(char** out_json, confab_client* client) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json")) return CONFAB_E_INVALID_ARGUMENT;
    *out_json = copy_out(confab::c::dump(confab::c::connection_json(client->client->connection())));
    return CONFAB_OK;
  });
}

int confab_set_network_available(confab_client* client, int available) {
  return guarded(client, [&]() -> int {
    client->client->set_network_available(available != 0);
    return CONFAB_OK;
  });
}

int confab_app_moved_to_background(confab_client* client) {
  return guarded(client, [&]() -> int {
    client->client->app_moved_to_background();
    return CONFAB_OK;
  });
}

int confab_app_moved_to_foreground(confab_client* client) {
  return guarded(client, [&]() -> int {
    client->client->app_moved_to_foreground();
    return CONFAB_OK;
  });
}

// ---- Events --------------------------------------------------------------------------------

int confab_set_event_callback(confab_client* client, unsigned int kinds, confab_event_cb callback, void* payload) {
  return guarded(client, [&]() -> int {
    if (kinds & ~static_cast<unsigned>(CONFAB_EVENT_ALL)) {
      return client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: kinds has bits that are no confab_event_kind");
    }
    client->events.set_callback(kinds, callback, payload);
    return CONFAB_OK;
  });
}

int confab_set_poll_kinds(confab_client* client, unsigned int kinds) {
  return guarded(client, [&]() -> int {
    if (kinds & ~static_cast<unsigned>(CONFAB_EVENT_ALL)) {
      return client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: kinds has bits that are no confab_event_kind");
    }
    client->events.set_poll_kinds(kinds);
    return CONFAB_OK;
  });
}

int confab_poll_event(char** out_event_json, confab_client* client, int timeout_ms) {
  if (out_event_json) *out_event_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_event_json, "out_event_json")) return CONFAB_E_INVALID_ARGUMENT;
    if (timeout_ms < 0) return client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: timeout_ms is negative");
    std::string event;
    if (!client->events.poll(event, std::chrono::milliseconds(timeout_ms))) return static_cast<int>(CONFAB_E_TIMEOUT);
    *out_event_json = copy_out(event);
    return CONFAB_OK;
  });
}

}  // extern "C"
