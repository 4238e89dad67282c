/* confab/confab.h: the C API of the Confab team-chat client SDK (C11; also C++).
 *
 * For apps and bindings that cannot call C++ (Swift, Kotlin/JNI, Dart FFI, Python
 * ctypes). It is a thin layer over confab::Client (confab/client.h), which documents what
 * each operation guarantees; this header states how the operations cross into C.
 * docs/c-api.md has the JSON schemas in full and an example.
 *
 * ---- Conventions (after libgit2) ------------------------------------------------------
 *
 * - Every function that can fail returns an int status: CONFAB_OK (0), or a negative
 *   confab_status. Output parameters come first; callback payloads (`void *payload`) last.
 * - Types are opaque (confab_client) or plain structs with a `version` field, filled
 *   with their _INIT macro (or confab_client_options_init() where macros are out of
 *   reach, as in FFI) before the fields the caller cares about are set. A later version
 *   of a struct only adds fields at its end, and the library still takes the structs of
 *   every earlier version, reading only the fields that version has (the others keep
 *   their defaults): an app built against an older header keeps working.
 * - Simple values cross as C types. Structured values (messages, conversations, changes,
 *   events) cross as UTF-8 JSON text, one object or array per string, with the schemas
 *   listed next to each call and in docs/c-api.md. Field names are camelCase; fields may
 *   be added in later versions, so readers must ignore fields they do not know.
 * - Strings going in are NUL-terminated UTF-8 and are copied before the call returns.
 *
 * ---- Who owns what -------------------------------------------------------------------
 *
 * - A string the library returns through a `char **out` parameter belongs to the caller,
 *   who frees it with confab_free() (never with free(): the library's allocator is its
 *   own). On failure *out is set to NULL. An `out` parameter that says "may be NULL" can
 *   be NULL when the caller does not want that value.
 * - The `event_json` passed to an event callback belongs to the library and is valid only
 *   until the callback returns; copy it to keep it.
 * - confab_errmsg() and confab_version() return strings the library keeps (see each).
 *
 * ---- Errors --------------------------------------------------------------------------
 *
 * Each client keeps the message of the last call on it that failed (SQLite's errmsg):
 * confab_errmsg(client) and confab_errcode(client) read it, and it stays until the next
 * failure. The message starts with the SDK's error code name ("invalid_argument: ...").
 * Calls with no client (confab_client_new(), and any call given a NULL client) keep it
 * per thread instead: confab_errmsg(NULL) reads the calling thread's.
 *
 * No C++ exception ever leaves this library. Every entry point catches everything (an
 * allocation failure included) and returns CONFAB_E_INTERNAL with the exception's text as
 * the message. A callback of the app that throws (when the app is C++) is caught the same
 * way: see confab_event_cb and confab_secret_cb.
 *
 * ---- Threads -------------------------------------------------------------------------
 *
 * - Every function may be called from any thread, concurrently, as long as the client is
 *   not being freed. None of them waits on the network; the store reads wait at most for
 *   the local database.
 * - Event callbacks run on the client's callback thread, one at a time, in the order the
 *   events happened. They may call any function of this API on the same client except
 *   confab_client_free() (which fails there with CONFAB_E_INVALID_ARGUMENT).
 * - confab_poll_event() may be called from any thread; with several pollers each event
 *   goes to one of them.
 * - Secret providers (token, credential) run on a thread of their own (never the callback
 *   thread) and may block; confab_client_free() waits for one that is running.
 * - confab_client_free() must not run while another thread is inside a call on that
 *   client (a poller included: give confab_poll_event() a bounded timeout and stop
 *   polling first). Once it returns, no callback of that client runs, nor will any: the
 *   payloads given to it may be released.
 */
#ifndef CONFAB_CONFAB_H
#define CONFAB_CONFAB_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define CONFAB_C_API __attribute__((visibility("default")))
#else
#define CONFAB_C_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Status codes ------------------------------------------------------------------- */

typedef enum confab_status {
  CONFAB_OK = 0,
  CONFAB_E_INVALID_ARGUMENT = -1, /* a NULL pointer, a bad options version, a value the SDK refuses */
  CONFAB_E_INTERNAL = -2,         /* a failure inside the library (an exception caught at its wall) */
  CONFAB_E_STORAGE = -3,          /* the device's database could not be opened, read or written */
  CONFAB_E_OFFLINE = -4,          /* needs the server, and the client is not connected */
  CONFAB_E_TIMEOUT = -5,          /* not in time; from confab_poll_event(): no event came */
  CONFAB_E_CLOSED = -6,           /* the client is shutting down */
  CONFAB_E_NOT_FOUND = -7,        /* confab_user(): no such user in the directory; confab_cached_file(): not cached */
  CONFAB_E_REFUSED = -8           /* another SDK error (the message names its code) */
} confab_status;

/* The name of a status, e.g. "CONFAB_E_OFFLINE" (a static string; "unknown" for others). */
CONFAB_C_API const char *confab_status_name(int status);

/* The version of the library at run time, "MAJOR.MINOR.PATCH" (a static string). */
CONFAB_C_API const char *confab_version(void);

/* Frees what the library returned through a `char **out` parameter. NULL is ignored. */
CONFAB_C_API void confab_free(void *ptr);

typedef struct confab_client confab_client;

/* The message of the last failed call on `client` (NULL: of the last failed call without
 * a client on this thread); "" when none failed. Owned by the library: valid until the
 * next failure recorded there, or until the client is freed. Never NULL. */
CONFAB_C_API const char *confab_errmsg(const confab_client *client);
/* The status of that failure; CONFAB_OK when none failed. */
CONFAB_C_API int confab_errcode(const confab_client *client);

/* ---- Creating a client -------------------------------------------------------------- */

/* 2 added the files_ fields; version 1's struct (up to poll_queue_capacity) is still taken. */
#define CONFAB_CLIENT_OPTIONS_VERSION 2

typedef enum confab_durability {
  CONFAB_DURABILITY_NORMAL = 0, /* survives the app crashing or being killed */
  CONFAB_DURABILITY_FULL = 1    /* also survives the device losing power; slower send() */
} confab_durability;

/* confab::ClientOptions in C. Zero is the default for every field but `version`: a time
 * of 0 takes the SDK's default (confab/client.h), a NULL string is empty. */
typedef struct confab_client_options {
  unsigned int version; /* CONFAB_CLIENT_OPTIONS_VERSION */

  const char *device_id;     /* required: 1-128 characters from [A-Za-z0-9._:-] */
  const char *database_path; /* required: the outbox database (":memory:" for tests) */
  const char *cache_path;    /* the local store; NULL: "<database_path>.cache" */
  int durability;            /* a confab_durability */
  int allow_insecure_transport; /* nonzero: allow ws:// and http:// */
  const char *tls_ca_pem;    /* PEM text replacing the system's trust store; NULL: the system's */
  const char *platform;      /* named at bootstrap, e.g. "ios"; NULL: the system built for */
  int64_t connect_step_timeout_ms;
  int64_t request_timeout_ms;

  /* The outbox (OutboxOptions). */
  int64_t outbox_window; /* messages in flight per conversation */
  int64_t outbox_ack_timeout_ms;
  int64_t outbox_max_age_ms;
  int64_t outbox_retry_base_ms;
  int64_t outbox_retry_cap_ms;

  /* The connection (ConnectionOptions). */
  int no_reconnect; /* nonzero: one attempt per connect call, no reconnecting by itself */
  int64_t reconnect_retry_base_ms;
  int64_t reconnect_retry_cap_ms;
  int64_t ping_interval_ms;
  int64_t ping_timeout_ms;
  int disconnect_in_background;

  /* Typing and presence (LiveOptions). */
  int64_t heartbeat_interval_ms;
  int64_t typing_renew_ms;
  int64_t typing_idle_ms;
  int64_t typing_ttl_ms;

  /* The poll queue's capacity in events (see confab_poll_event()); 0: 1024. */
  int64_t poll_queue_capacity;

  /* Files (FileOptions), from version 2. Sizes and counts of 0 take the SDK's default. */
  const char *files_http_url;  /* the server's HTTP API (http(s)://host[:port][/prefix]);
                                  NULL: the bootstrap URL of confab_connect_with_credential() */
  const char *files_directory; /* the SDK's file area; NULL: "<database_path>.files" */
  int64_t files_parallel_uploads;   /* uploads at once; 0: 2 */
  int64_t files_parallel_downloads; /* downloads at once; 0: 2 */
  int64_t files_cache_bytes;        /* downloaded files kept, in bytes; 0: 512 MiB */
  int64_t files_chunk_bytes;        /* bytes per upload request; 0: 8 MiB */
  int64_t files_retry_base_ms;
  int64_t files_retry_cap_ms;
} confab_client_options;

/* Every field listed, so that compilers warning about missing initializers stay quiet. */
#define CONFAB_CLIENT_OPTIONS_INIT                                                  \
  {CONFAB_CLIENT_OPTIONS_VERSION, NULL, NULL, NULL, 0, 0, NULL, NULL, 0, 0, /* */ \
   0, 0, 0, 0, 0,                                           /* outbox */        \
   0, 0, 0, 0, 0, 0,                                        /* connection */    \
   0, 0, 0, 0,                                              /* live */          \
   0,                                                                           \
   NULL, NULL, 0, 0, 0, 0, 0, 0                             /* files */}

/* Fills `options` with the defaults of `version` (for bindings that cannot use the macro),
 * writing only the fields that version has: 1 or 2 (CONFAB_CLIENT_OPTIONS_VERSION).
 * CONFAB_E_INVALID_ARGUMENT for NULL or a version this library does not know. */
CONFAB_C_API int confab_client_options_init(confab_client_options *options, unsigned int version);

/* Opens a client (confab::Client::open()): checks the options, opens or creates the
 * databases, starts the client's threads. *out is the new client, or NULL on failure:
 * CONFAB_E_INVALID_ARGUMENT (NULL out or options, an unknown options version, a
 * required field missing, an option the SDK refuses), CONFAB_E_STORAGE (the database
 * cannot be opened, or is in use). The message is read with confab_errmsg(NULL). */
CONFAB_C_API int confab_client_new(confab_client **out, const confab_client_options *options);

/* Stops the client and frees it: unsent messages stay in the database for the next
 * confab_client_new(). Waits for a callback or a secret provider that is running, and once
 * it returns no callback of this client runs. NULL is ignored (CONFAB_OK). Called from one
 * of the client's own callbacks or providers it frees nothing and fails with
 * CONFAB_E_INVALID_ARGUMENT (it would wait for itself). */
CONFAB_C_API int confab_client_free(confab_client *client);

/* What the client found damaged in its databases and repaired when it opened:
 * {"cacheRebuilt": bool, "outboxRebuilt": bool, "outboxRowsSalvaged": int, "detail": string} */
CONFAB_C_API int confab_recovery(char **out_json, confab_client *client);

/* ---- Connecting --------------------------------------------------------------------- */

/* Where a secret provider puts the secret it was asked for (see confab_secret_cb). */
typedef struct confab_secret confab_secret;
/* Copies `secret` (NUL-terminated, not empty) into the answer. CONFAB_E_INVALID_ARGUMENT
 * for NULL or an empty string. */
CONFAB_C_API int confab_secret_set(confab_secret *out, const char *secret);

/* Asked for a token (confab_connect_with_token_provider()) or a credential
 * (confab_connect_with_credential_provider()) whenever the client needs one. On success
 * it calls confab_secret_set(out, ...) and returns CONFAB_OK. To fail it returns a
 * negative status: CONFAB_E_OFFLINE or CONFAB_E_TIMEOUT when trying later may help (the
 * app's backend is unreachable: the client retries with its backoff), anything else when
 * it cannot (the client goes to `failed`). Returning CONFAB_OK without setting the secret,
 * or throwing (C++), is an internal error: the client goes to `failed`. Runs on the
 * client's token thread and may block; it must not call confab_client_free(). */
typedef int (*confab_secret_cb)(confab_secret *out, void *payload);

/* Connects to `url` (wss://host[:port]/path, or ws:// with allow_insecure_transport) with a
 * session token, and keeps the connection up (Client::connect()). Returns at once; the
 * progress comes as `connection` events. CONFAB_E_INVALID_ARGUMENT for a malformed or
 * disallowed URL or an empty token. */
CONFAB_C_API int confab_connect(confab_client *client, const char *url, const char *token);
/* The same, asking `provider` for each token. `payload` must stay valid until the client
 * is freed. */
CONFAB_C_API int confab_connect_with_token_provider(confab_client *client, const char *url,
                                                    confab_secret_cb provider, void *payload);
/* Connects through the server's bootstrap (Client::connect_with_credential()): POSTs to
 * `bootstrap_url`/v1/sessions/bootstrap (https://, or http:// when allowed) with the app's
 * long-lived credential, then connects with the session token it answers, bootstrapping
 * again before the token expires. */
CONFAB_C_API int confab_connect_with_credential(confab_client *client, const char *bootstrap_url,
                                                const char *credential);
/* The same, asking `provider` for the credential at each bootstrap. `payload` must stay
 * valid until the client is freed. */
CONFAB_C_API int confab_connect_with_credential_provider(confab_client *client, const char *bootstrap_url,
                                                         confab_secret_cb provider, void *payload);
/* Closes the connection and stops reconnecting; unacknowledged messages wait for the next
 * connect. */
CONFAB_C_API int confab_disconnect(confab_client *client);

/* The connection's states, as confab::ConnectionState (confab/connection.h) says them. */
typedef enum confab_state {
  CONFAB_STATE_INITIALIZED = 0,
  CONFAB_STATE_CONNECTING = 1,
  CONFAB_STATE_CONNECTED = 2,
  CONFAB_STATE_DISCONNECTED = 3,
  CONFAB_STATE_SUSPENDED = 4,
  CONFAB_STATE_CLOSING = 5,
  CONFAB_STATE_CLOSED = 6,
  CONFAB_STATE_FAILED = 7
} confab_state;

/* *out_state: a confab_state. */
CONFAB_C_API int confab_connection_state(int *out_state, confab_client *client);
/* The last connection change: {"state": "connected", "error": Error|null, "retryInMs": int|null} */
CONFAB_C_API int confab_connection(char **out_json, confab_client *client);

/* Platform hints (Client::set_network_available(), app_moved_to_background/foreground()). */
CONFAB_C_API int confab_set_network_available(confab_client *client, int available);
CONFAB_C_API int confab_app_moved_to_background(confab_client *client);
CONFAB_C_API int confab_app_moved_to_foreground(confab_client *client);

/* ---- Sending ------------------------------------------------------------------------ */

/* Names a message: by the server's id (conversation_id and message_id), or by the local id
 * of a message this device sent (local_id, nonzero; the ids are then ignored). */
typedef struct confab_message_ref {
  const char *conversation_id;
  const char *message_id;
  int64_t local_id;
} confab_message_ref;

/* 2 added attachments_json; version 1's struct is still taken. */
#define CONFAB_SEND_OPTIONS_VERSION 2
typedef struct confab_send_options {
  unsigned int version;                  /* CONFAB_SEND_OPTIONS_VERSION */
  const confab_message_ref *reply_to;    /* NULL: not a reply; else quote this message */
  const confab_message_ref *thread_root; /* NULL: main timeline; else reply in this thread */
  /* From version 2. NULL: no files; else 1-10 files to send with the message, a JSON array
   * of {"path": string} (a file on the device) or {"bytesBase64": string} (its bytes,
   * standard base64), each with an optional "name" and "contentType" (FileToSend). */
  const char *attachments_json;
} confab_send_options;
#define CONFAB_SEND_OPTIONS_INIT {CONFAB_SEND_OPTIONS_VERSION, NULL, NULL, NULL}

/* Queues a text message durably and answers its local echo (a LocalMessage, state
 * "pending") once it is committed; it never waits for the network (Client::send()).
 * `options` may be NULL. `out_json` may be NULL. With attachments (the text may then be
 * ""), each file is copied into the SDK's file area before this returns, and the message
 * goes once their uploads are done (`upload` events); the echo lists them as Attachments
 * with no attachmentId yet. CONFAB_E_INVALID_ARGUMENT for attachments_json that is not
 * such an array, and for the files the SDK refuses (more than 10, over 25 MiB, empty,
 * unreadable, a bad name or media type); CONFAB_E_STORAGE when a copy cannot be written. */
CONFAB_C_API int confab_send(char **out_json, confab_client *client, const char *conversation_id, const char *text,
                             const confab_send_options *options);
/* Changes to a message, queued like send(); each answers its own outbox row (LocalMessage). */
CONFAB_C_API int confab_edit(char **out_json, confab_client *client, const confab_message_ref *target,
                             const char *text);
CONFAB_C_API int confab_react(char **out_json, confab_client *client, const confab_message_ref *target,
                              const char *emoji);
CONFAB_C_API int confab_unreact(char **out_json, confab_client *client, const confab_message_ref *target,
                                const char *emoji);
CONFAB_C_API int confab_remove(char **out_json, confab_client *client, const confab_message_ref *target);
/* Sends a failed message again, or drops a pending or failed one (Client::retry/discard). */
CONFAB_C_API int confab_retry(confab_client *client, int64_t local_id);
CONFAB_C_API int confab_discard(confab_client *client, int64_t local_id);
/* The unsent messages, in send() order: [LocalMessage] */
CONFAB_C_API int confab_unsent_messages(char **out_json, confab_client *client);

/* ---- The local store ---------------------------------------------------------------- */

/* [ConversationInfo], newest activity first. */
CONFAB_C_API int confab_conversations(char **out_json, confab_client *client);
/* One ConversationInfo; CONFAB_E_INVALID_ARGUMENT for one the store does not hold. */
CONFAB_C_API int confab_conversation(char **out_json, confab_client *client, const char *conversation_id);
/* A page of the main timeline, oldest first: up to `limit` (1-500) messages before
 * `before_seq` (0: the newest). {"messages": [TimelineMessage], "moreOnServer": bool} */
CONFAB_C_API int confab_messages(char **out_json, confab_client *client, const char *conversation_id,
                                 int64_t before_seq, int limit);
/* A thread's replies, oldest first: [TimelineMessage] */
CONFAB_C_API int confab_thread(char **out_json, confab_client *client, const char *root_message_id, int limit);
/* Asks the server for older history; *out_requested is 0 when the store already reaches
 * the conversation's start (out_requested may be NULL). */
CONFAB_C_API int confab_load_older(int *out_requested, confab_client *client, const char *conversation_id,
                                   int limit);
CONFAB_C_API int confab_mark_read(confab_client *client, const char *conversation_id, int64_t seq);
/* Full-text search of the stored messages, newest first; `conversation_id` NULL or "":
 * every conversation. [TimelineMessage] */
CONFAB_C_API int confab_search(char **out_json, confab_client *client, const char *query,
                               const char *conversation_id, int limit);

/* ---- Identity ----------------------------------------------------------------------- */

/* The user's id as a plain string ("" before the first authentication ever). */
CONFAB_C_API int confab_user_id(char **out_user_id, confab_client *client);
/* [Workspace] */
CONFAB_C_API int confab_workspaces(char **out_json, confab_client *client);
/* [User]; `workspace_id` NULL or "": every user of the directory. */
CONFAB_C_API int confab_users(char **out_json, confab_client *client, const char *workspace_id);
/* One User; CONFAB_E_NOT_FOUND for a user the directory never listed. */
CONFAB_C_API int confab_user(char **out_json, confab_client *client, const char *user_id);

/* ---- Conversations: requests to the server ------------------------------------------
 *
 * Each call returns at once. CONFAB_OK means the request is under way and exactly one
 * `request` event will answer it, carrying `request_id` (chosen by the caller; values up
 * to 2^53 survive every JSON reader) and either the conversation as it now is or the
 * error, even when the SDK refuses the arguments at once. Any other status means no event
 * will come. A list of user ids is an array of `count` strings. */
CONFAB_C_API int confab_create_channel(confab_client *client, const char *workspace_id, const char *name,
                                       const char *topic, int is_private, int64_t request_id);
CONFAB_C_API int confab_open_dm(confab_client *client, const char *user_id, int64_t request_id);
CONFAB_C_API int confab_create_group_dm(confab_client *client, const char *const *user_ids, size_t count,
                                        int64_t request_id);
CONFAB_C_API int confab_join(confab_client *client, const char *conversation_id, int64_t request_id);
CONFAB_C_API int confab_leave(confab_client *client, const char *conversation_id, int64_t request_id);
CONFAB_C_API int confab_invite(confab_client *client, const char *conversation_id, const char *const *user_ids,
                               size_t count, int64_t request_id);
CONFAB_C_API int confab_rename(confab_client *client, const char *conversation_id, const char *name,
                               int64_t request_id);
CONFAB_C_API int confab_set_topic(confab_client *client, const char *conversation_id, const char *topic,
                                  int64_t request_id);
/* The present members of a stored conversation: [Member] */
CONFAB_C_API int confab_members(char **out_json, confab_client *client, const char *conversation_id);

/* ---- Typing, presence, receipts ----------------------------------------------------- */

/* A keystroke in the compose box; CONFAB_E_OFFLINE while not connected (nothing queued). */
CONFAB_C_API int confab_typing(confab_client *client, const char *conversation_id);
CONFAB_C_API int confab_stop_typing(confab_client *client, const char *conversation_id);
/* Who is typing there now: [string] (user ids) */
CONFAB_C_API int confab_typing_users(char **out_json, confab_client *client, const char *conversation_id);

typedef enum confab_presence_status {
  CONFAB_PRESENCE_OFFLINE = 0,
  CONFAB_PRESENCE_IDLE = 1,
  CONFAB_PRESENCE_ONLINE = 2
} confab_presence_status;

CONFAB_C_API int confab_set_idle(confab_client *client, int idle);
/* *out_status: a confab_presence_status. */
CONFAB_C_API int confab_presence(int *out_status, confab_client *client, const char *user_id);
/* Asks the server for the presence of 1-100 users; answered by a `request` event as above
 * (its data: [{"userId", "status"}]). */
CONFAB_C_API int confab_query_presence(confab_client *client, const char *const *user_ids, size_t count,
                                       int64_t request_id);
/* The other members' cursors: [Receipt] */
CONFAB_C_API int confab_receipts(char **out_json, confab_client *client, const char *conversation_id);
/* Who has read the message at `seq`: {"read": [string], "delivered": [string]} */
CONFAB_C_API int confab_read_by(char **out_json, confab_client *client, const char *conversation_id, int64_t seq);

/* ---- Files ---------------------------------------------------------------------------
 *
 * Files go with a message (confab_send_options.attachments_json) and come back as the
 * Attachments of its Message, TimelineMessage and LocalMessage:
 *   {"attachmentId": string|null, "name", "contentType", "size", "sha256", "width",
 *    "height", "preview": string (a base64 JPEG, "" when none)}
 * Calls that take an attachment take that JSON object (as an event or a read gave it;
 * only attachmentId is required, and fields it does not know are ignored).
 * Progress comes as `upload` and `download` events (below). */

/* The uploads of an outgoing message as they are now: [UploadProgress] (empty when it has
 * none, before they are scheduled (the client not yet connected), or once it is sent), each {"localId", "index", "name", "sentBytes", "totalBytes",
 * "state": "queued"|"running"|"done"|"failed"|"cancelled", "error": Error|null}. */
CONFAB_C_API int confab_uploads(char **out_json, confab_client *client, int64_t local_id);
/* Stops the uploads of a message not yet sent and discards it (Client::cancel_upload()).
 * CONFAB_E_INVALID_ARGUMENT when the message is not waiting for an upload. */
CONFAB_C_API int confab_cancel_upload(confab_client *client, int64_t local_id);

/* Downloads an attachment into the device's file cache and, when `destination` is neither
 * NULL nor "", copies it there (Client::download()). Answered like the requests above: on
 * CONFAB_OK exactly one `request` event ("request": "download") carries `request_id` and
 * {"path": string} (the destination, or the cached copy) once the file's size and SHA-256
 * are checked, or the error: `not_found`, `forbidden`, `invalid_field` (the bytes do not
 * match), `cancelled` (confab_cancel_download()), `offline`, `closed`, `invalid_argument`
 * (no attachmentId). CONFAB_E_INVALID_ARGUMENT, and no event, for `attachment_json` that
 * is not an Attachment object. */
CONFAB_C_API int confab_download(confab_client *client, const char *attachment_json, const char *destination,
                                 int64_t request_id);
/* Stops the download of that attachment: its requests are answered with `cancelled`.
 * CONFAB_E_INVALID_ARGUMENT when none is running. */
CONFAB_C_API int confab_cancel_download(confab_client *client, const char *attachment_id);
/* The path of the attachment's cached copy, when the cache holds it whole; never waits on
 * the network. CONFAB_E_NOT_FOUND when it does not. */
CONFAB_C_API int confab_cached_file(char **out_path, confab_client *client, const char *attachment_json);

/* ---- Events ----------------------------------------------------------------------------
 *
 * Every event is one JSON object, {"kind": "<name>", "data": ...}, whose data is:
 *   connection    {"state", "error", "retryInMs"}       (as confab_connection())
 *   message       Message: an event of a conversation's log, once stored
 *   outbox        LocalMessage: a state change of a message this device sent
 *   conversation  ConversationChange: what changed in a conversation's stored state
 *   sync          {"behind", "caughtUp", "finished"}: the catch-up after connecting
 *   directory     {}: the directory or the workspaces were stored (read them again)
 *   typing        {"conversationId", "userIds"}
 *   presence      {"userId", "status"}
 *   receipts      {"conversationId", "userId", "readSeq", "deliveredSeq"}
 *   request       the answer to a request; instead of "data" alone it has
 *                 {"kind": "request", "requestId": int, "request": "create_channel", ...,
 *                  "ok": true, "data": ConversationInfo | [presence] | {"path"}} or
 *                 {..., "ok": false, "error": Error}
 *   overflow      poll mode only: {"dropped": int, "kinds": [name]} (see below)
 *   upload        UploadProgress (as confab_uploads()): an attachment of an outgoing message
 *   download      {"attachmentId", "receivedBytes", "totalBytes", "state", "error"}
 * When the callback thread falls behind, only an upload's or a download's newest progress
 * is delivered (a change of state is never lost: the newest says it).
 *
 * The app hears events in either way, or both (each event goes to every way that asked
 * for its kind):
 * 1. A callback, on the client's callback thread. One registration for every kind, with a
 *    mask of the kinds wanted: a binding writes one trampoline, and the kind arrives as an
 *    int so that an app can ignore events without parsing them. Events of kinds nobody
 *    asked for (by callback or poll) are not even produced.
 * 2. Polling, from the app's own loop (a Dart isolate, Swift's main actor): events of the
 *    kinds asked for wait in a bounded queue (options.poll_queue_capacity) until
 *    confab_poll_event() takes them, oldest first.
 *    When the queue is full, a new event is dropped instead of queued (a request's answer
 *    excepted: it is always queued, and there is at most one per request the app made).
 *    The first dropped event queues an `overflow` event behind the full queue, which then
 *    counts every event dropped until the app takes it: it says how many were dropped and
 *    of which kinds. Nothing is lost for good by a drop: everything an event reports is in
 *    the store or the client's memory, so on `overflow` the app reads again what it shows
 *    of those kinds (confab_connection(), confab_conversations(), confab_messages(),
 *    confab_unsent_messages(), confab_typing_users(), confab_presence(), confab_receipts(),
 *    confab_users(), confab_uploads(); a download's end still comes as its `request`
 *    event). */

typedef enum confab_event_kind {
  CONFAB_EVENT_CONNECTION = 1 << 0,
  CONFAB_EVENT_MESSAGE = 1 << 1,
  CONFAB_EVENT_OUTBOX = 1 << 2,
  CONFAB_EVENT_CONVERSATION = 1 << 3,
  CONFAB_EVENT_SYNC = 1 << 4,
  CONFAB_EVENT_DIRECTORY = 1 << 5,
  CONFAB_EVENT_TYPING = 1 << 6,
  CONFAB_EVENT_PRESENCE = 1 << 7,
  CONFAB_EVENT_RECEIPTS = 1 << 8,
  CONFAB_EVENT_REQUEST = 1 << 9,
  CONFAB_EVENT_OVERFLOW = 1 << 10, /* poll mode only */
  CONFAB_EVENT_UPLOAD = 1 << 11,
  CONFAB_EVENT_DOWNLOAD = 1 << 12,
  CONFAB_EVENT_ALL = (1 << 13) - 1
} confab_event_kind;

/* An event for the callback: `kind` is one confab_event_kind bit; `event_json` is the
 * event (owned by the library, valid until the callback returns). A callback that throws
 * (C++) has the exception caught and dropped: it cannot reach the SDK's thread. */
typedef void (*confab_event_cb)(int kind, const char *event_json, void *payload);

/* Sets the callback for the kinds in the mask `kinds` (a confab_event_kind or'ed), in place
 * of the one before; NULL `callback` (or `kinds` 0) removes it. Once this returns, the
 * callback set before is not running (unless this is called from inside it) and is not
 * called again, so its payload may be released. */
CONFAB_C_API int confab_set_event_callback(confab_client *client, unsigned int kinds, confab_event_cb callback,
                                           void *payload);

/* Which kinds the poll queue receives from now on (0, the default: none, and the events
 * waiting are dropped). An `overflow` event is produced whatever the mask. */
CONFAB_C_API int confab_set_poll_kinds(confab_client *client, unsigned int kinds);

/* Takes the oldest waiting event, waiting up to `timeout_ms` (0: do not wait; negative:
 * CONFAB_E_INVALID_ARGUMENT) for one to come. *out_event_json is the event, freed with
 * confab_free(); on CONFAB_E_TIMEOUT (none came) it is NULL, and errmsg is left alone. */
CONFAB_C_API int confab_poll_event(char **out_event_json, confab_client *client, int timeout_ms);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* CONFAB_CONFAB_H */
