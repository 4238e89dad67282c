// confab::Client: one device's session with a Confab server.
//
// The client owns a network thread, a callback thread, and a thread for the app's token
// provider. Its methods are thread-safe and never wait on the network. Callbacks run one at
// a time, in the order their notifications were produced, on the client's callback thread;
// they may call back into the client, but must not destroy it. Another thread may destroy
// it at any time, even while a callback is inside one of its calls (see ~Client).
//
// What waits for the callbacks is bounded: when they fall behind (a slow callback, a long
// catch-up), notifications about the same thing are merged (see on_outbox(),
// on_conversation(), on_sync(), on_typing(), on_presence()) and on_message() passes on at
// most kMaxQueuedMessages waiting events. Nothing is queued for a kind of callback nobody
// subscribed to.
//
// Messages are kept in a durable outbox (SQLite) from the moment send() returns until the
// server has acknowledged them, across disconnects, restarts and crashes.
//
// The conversations themselves live in a local store (a second SQLite database): every
// event of each conversation's log, applied in the server's order with no gap and no
// duplicate, caught up after every reconnect. Reads come from the store and never wait on
// the network.
//
// What is live and never stored (typing, presence, other members' receipts) is kept in
// memory and read from there, also without waiting on the network.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "confab/connection.h"
#include "confab/conversation.h"
#include "confab/error.h"
#include "confab/export.h"
#include "confab/identity.h"
#include "confab/message.h"
#include "confab/presence.h"
#include "confab/receipts.h"
#include "confab/request.h"
#include "confab/result.h"
#include "confab/subscription.h"

namespace confab {

// How the outbox sends. The defaults suit an app; tests shorten the times.
struct OutboxOptions {
  // Messages of one conversation on the wire awaiting their ack at once (pipelining).
  std::size_t window = 32;
  // A message with no ack after this long is sent again, with the same clientMessageId.
  std::chrono::milliseconds ack_timeout{15'000};
  // A message not delivered this long after send() (or retry()) fails with `too_old`.
  std::chrono::milliseconds max_age{24 * 3600 * 1000};
  // After a retryable refusal, wait U(0, min(retry_cap, retry_base * 2^(attempts-1))),
  // or the server's retry-after when it gives one.
  std::chrono::milliseconds retry_base{1'000};
  std::chrono::milliseconds retry_cap{60'000};
};

// How the connection heals itself. The defaults follow the Ably client spec.
struct ConnectionOptions {
  // Reconnect by itself after a drop. (Off: one attempt per connect() call.)
  bool reconnect = true;
  // The first unexpected drop of a healthy connection retries at once. Later attempts wait
  // U(0, min(retry_cap, retry_base * 2^(attempt-1))) (full jitter).
  std::chrono::milliseconds retry_base{1'000};
  std::chrono::milliseconds retry_cap{30'000};
  // A connection that stays up this long counts as healthy: the attempt count resets.
  std::chrono::milliseconds healthy_after{10'000};
  // Disconnected this long: `suspended`, retrying every `suspended_retry`.
  std::chrono::milliseconds connection_state_ttl{120'000};
  std::chrono::milliseconds suspended_retry{30'000};
  // The client pings when the connection has been quiet for `ping_interval`, and drops
  // a connection on which nothing arrived for `ping_interval + ping_timeout` (half-open).
  std::chrono::milliseconds ping_interval{25'000};
  std::chrono::milliseconds ping_timeout{10'000};
  // app_moved_to_background() closes the connection until app_moved_to_foreground().
  bool disconnect_in_background = false;
};

// Typing and presence on the wire. The defaults suit the server's defaults (a presence TTL
// of 30 s, typing ended after 6 s); tests shorten them.
struct LiveOptions {
  // While connected, a heartbeat says this device is online (or idle) this often. Keep it
  // well under the server's presence TTL.
  std::chrono::milliseconds heartbeat_interval{15'000};
  // This user's typing is renewed at most this often while keystrokes go on, and ends this
  // long after the last one.
  std::chrono::milliseconds typing_renew{3'000};
  std::chrono::milliseconds typing_idle{3'000};
  // Another user's typing ends this long after their last start, even if their stop never
  // comes (their device vanished).
  std::chrono::milliseconds typing_ttl{6'000};
};

// How hard the outbox database syncs to disk when send() commits.
enum class Durability {
  normal,  // SQLite synchronous=NORMAL (WAL): survives the app crashing or being killed
  full,    // synchronous=FULL: also survives the device losing power; slower send()
};

// Where files live on the device, and how many move at once.
struct FileOptions {
  // The server's HTTP API, where files go (http(s)://host[:port][/prefix]; http:// only
  // with allow_insecure_transport). Empty: the bootstrap URL of connect_with_credential();
  // with connect() and no URL here, transfers wait (`queued`).
  std::string http_url;
  // The SDK's own file area: copies of files waiting to be uploaded (kept until the server
  // has them) and the cache of downloaded ones. Empty: `<database_path>.files` (with an
  // in-memory outbox: a fresh directory under the system's temporary one).
  std::filesystem::path directory;
  // Uploads running at once (the others wait their turn); likewise downloads.
  std::size_t parallel_uploads = 2;
  std::size_t parallel_downloads = 2;
  // Downloaded files kept in the cache, in bytes; the least recently used go first.
  std::int64_t cache_bytes = 512LL * 1024 * 1024;
  // An upload goes in requests of at most this many bytes; each one that arrives, even in
  // part, is kept by the server, so an interrupted upload resumes where it stopped.
  std::int64_t chunk_bytes = 8LL * 1024 * 1024;
  // Backoff between attempts of a transfer that failed with a retryable error (full
  // jitter, as the outbox's).
  std::chrono::milliseconds retry_base{1'000};
  std::chrono::milliseconds retry_cap{60'000};
};

struct ClientOptions {
  // Identifies this device to the server: 1-128 characters from [A-Za-z0-9._:-].
  std::string device_id;

  // The SQLite database that holds the outbox; created if missing (its directory must
  // exist). One client at a time may open it. ":memory:" keeps the outbox in memory,
  // which loses unsent messages when the client is destroyed: for tests only.
  std::filesystem::path database_path;
  // The local store of conversations and messages (a cache, rebuilt from the server if it
  // is lost or damaged). Empty: `<database_path>.cache` (":memory:" with an in-memory outbox).
  std::filesystem::path cache_path;
  Durability durability = Durability::normal;
  OutboxOptions outbox;
  ConnectionOptions connection;
  LiveOptions live;
  FileOptions files;

  // ws:// sends tokens and messages in clear text; the client refuses it unless this is
  // set. wss:// (TLS) always verifies the server's certificate and host name.
  bool allow_insecure_transport = false;

  // The certificate authorities wss:// trusts, as PEM text. Empty: the system's store.
  // Set, it replaces the system's store (pinning; and tests with their own CA).
  std::string tls_ca_pem;

  // Each step of opening a connection (resolve, TCP connect, WebSocket upgrade,
  // authentication; and each step of a bootstrap's HTTP request) must finish within this time.
  std::chrono::milliseconds connect_step_timeout{10'000};

  // The platform this device names when it bootstraps (connect_with_credential()): 1-32
  // characters from [A-Za-z0-9._:-], e.g. "ios". Empty: the system the SDK was built for
  // ("linux", "android", "ios", "macos" or "windows"; else "unknown").
  std::string platform;

  // A request that goes to the server and comes back (create_channel(), join(), ...)
  // fails with `timeout` when no answer came this long after the call.
  std::chrono::milliseconds request_timeout{15'000};
};

// Names a message to change: by the server's id, or by the local id of a message this
// device sent (which works before the server has it).
struct MessageRef {
  std::string conversation_id;  // with message_id
  std::string message_id;
  std::int64_t local_id = 0;

  static MessageRef server(std::string conversation_id, std::string message_id) {
    return MessageRef{std::move(conversation_id), std::move(message_id), 0};
  }
  static MessageRef local(std::int64_t local_id) { return MessageRef{{}, {}, local_id}; }
};

// A file to send with a message: a file on the device, or bytes in memory.
struct FileToSend {
  std::filesystem::path path;  // the file; or, when empty,
  std::string bytes;           // its bytes
  // The name the others see: 0-255 bytes of UTF-8 without control characters. Empty: the
  // path's file name (and nothing for bytes).
  std::string name;
  // The media type, printable ASCII (e.g. "image/png"). Empty: from the name's extension
  // for the common types, else application/octet-stream.
  std::string content_type;
};

// ---- Replies and threads -------------------------------------------------------------
// What send() may add to a message. A reference by local id names a message this device
// sent (Client::send()'s LocalMessage::local_id) and works before the server has it.
struct SendOptions {
  std::optional<MessageRef> reply_to;     // quote this message
  std::optional<MessageRef> thread_root;  // reply in this message's thread (left out of the main timeline)
  std::vector<FileToSend> attachments;  // files that go with it (at most 10)
};

class CONFAB_API Client {
 public:
  // Checks the options (a tls_ca_pem that is not valid PEM is invalid_argument), opens
  // (or creates, or upgrades) the outbox database and starts the client's threads. Messages left unsent by an earlier run are queued again, to go
  // out on the next connection. Fails with invalid_argument for bad options, and with
  // `storage` when the database cannot be opened (unreadable, newer than this SDK, or in
  // use by another client).
  static Result<std::unique_ptr<Client>> open(ClientOptions options);

  // Stops the threads and closes the database. Once the destructor returns, no callback
  // runs. Unsent messages stay in the database for the next open().
  // It may run while a callback (or the token provider) is inside a call to this client:
  // a call that waits for the network thread (edit(), react(), unreact(), remove(),
  // retry(), discard()) then returns `closed`, and unsent_messages() an empty list; the
  // destructor waits for the callback (and for a token provider call) to return. It must
  // not run on the callback thread itself.
  ~Client();

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Starts connecting to `url` (wss://host[:port]/path, or ws:// when allowed) and
  // authenticating with `token`,
  // and from then on keeps the connection up: after a drop it reconnects by itself
  // (see ConnectionOptions) until disconnect(), or until the server refuses the token or
  // the protocol version for good (`failed`). Returns at once; progress arrives through
  // on_connection(). Fails with invalid_argument for a malformed URL, a disallowed scheme
  // or an empty token. Calling connect() while connected replaces the connection.
  Result<void> connect(std::string_view url, std::string token);

  // Supplies tokens on demand: called for the first connection, and again, once, when
  // the server refuses the token (expired or revoked); if the fresh token is refused too,
  // or the provider fails, the client goes to `failed` with that error. It runs on a
  // thread of its own, never on the callback thread, and may block (e.g. to ask the app's
  // backend) without holding up the app's notifications; ~Client waits for a call in
  // progress.
  using TokenProvider = std::function<Result<std::string>()>;
  Result<void> connect(std::string_view url, TokenProvider provider);

  // ---- Bootstrap ----------------------------------------------------------------------
  //
  // Connects through the server's bootstrap, with the app's long-lived credential: POSTs
  // {deviceId, platform} to `bootstrap_url`/v1/sessions/bootstrap (https://host[:port][/prefix],
  // or http:// when allow_insecure_transport) with the credential as the bearer, and
  // connects to the WebSocket URL of the answer with its short-lived session token. The app
  // never handles session tokens: the client bootstraps again shortly before the token
  // expires (a quarter of its lifetime before, at most 5 min; the connection in use stays),
  // before a connection when the token in hand is due, and once when the server refuses
  // the token (token_expired, unauthorized); refused again, the client goes to `failed`.
  // HTTPS verifies the server exactly as wss:// does (tls_ca_pem, host name, SNI).
  //
  // `credential` is asked for the credential at each bootstrap. It runs on the client's
  // token thread, never on the callback thread, and may block; ~Client waits for a call in
  // progress. A bootstrap refused for good (unauthorized, forbidden, a malformed answer, a
  // WebSocket URL that is ws:// without allow_insecure_transport), or a credential error
  // that is not retryable, makes the client `failed` with that error; one that may pass
  // (the server cannot be reached, timeout, 5xx) is tried again with the connection's
  // backoff. Returns at once, like connect(); fails with invalid_argument for a malformed
  // or disallowed URL, or an empty `credential`.
  using CredentialProvider = std::function<Result<std::string>()>;
  Result<void> connect_with_credential(std::string_view bootstrap_url, CredentialProvider credential);

  // Closes the connection and stops reconnecting. Outgoing messages that were not
  // acknowledged go back to `pending` and are sent after the next connect().
  void disconnect();

  ConnectionState connection_state() const;
  // The last change: state, error, and when the next attempt starts.
  ConnectionChange connection() const;

  // Platform hints (see platform/). Network available: a disconnected or suspended client
  // tries at once. Unavailable: the connection is dropped at once (`disconnected`).
  void set_network_available(bool available);
  // Background: this device's presence becomes idle and this user's typing ends (see
  // set_idle()); the connection closes if ConnectionOptions::disconnect_in_background.
  // Foreground: online again (unless set_idle(true)); a disconnected or suspended client
  // tries at once.
  void app_moved_to_background();
  void app_moved_to_foreground();

  // Queues a text message for a conversation and returns its local echo, in state
  // `pending`, once the outbox row is committed to the database; it does not wait for the
  // network. It ends this user's typing in the conversation (see typing()). From then on the message reaches the server exactly once: it is sent when
  // the client is connected, in send() order within its conversation, and resent with the
  // same clientMessageId until the server acknowledges it or refuses it for good. State
  // changes arrive through on_outbox(). Fails, and queues nothing, with invalid_argument
  // for an invalid conversation id, a conversation that is not this user's (once the
  // server has listed them: at each connection, remembered across restarts), or a text
  // that is empty, over 16384 bytes or not UTF-8; and with `storage` when the database
  // cannot be written.
  //
  // With `options`: the message quotes `reply_to` and/or is a reply in the thread of
  // `thread_root`, each a message of the same conversation. A reference by server id goes
  // as it is (the server refuses an unknown or deleted message with `not_found`, and a
  // root that is itself a reply with `invalid_field`: the message fails). A reference by
  // the local id of a message still in the outbox makes the new message wait until the
  // server has that one (its row names it by local id meanwhile: reply_to_local_id,
  // thread_root_local_id), then go with its server id; if that message fails or is
  // discarded, so does the new one. Fails, queueing nothing, with invalid_argument for a
  // local id that names no message (or a change, not a message), or a message of another
  // conversation. A thread reply is shown by thread() (its echo too), not by messages(),
  // and once stored it counts in its root's reply_count and last_reply_at_ms.
  //
  // With `options.attachments` (1-10 files; the text may then be empty): before send()
  // returns, each file is copied into the SDK's file area (FileOptions::directory; a copy,
  // not a link, so that the app may change or delete its own file at once) with its
  // SHA-256, and the row that names them is committed. The uploads then run in the
  // background (FileOptions::parallel_uploads at once), each resumable from the last byte
  // the server holds after a drop, a server restart or the app being killed, and the
  // message goes as soon as its last upload is done, in its place in the conversation's
  // order: later messages of that conversation wait for it, other conversations do not.
  // Progress arrives through on_upload(). Images (PNG, JPEG, GIF, BMP) get their pixel
  // size and a small preview (Attachment::preview). Fails, queueing nothing and keeping no
  // copy, with invalid_argument for more than 10 files, a file over 25 MiB (26214400
  // bytes), empty, or that cannot be read, a bad name or media type; `storage` when the
  // copy cannot be written.
  Result<LocalMessage> send(std::string_view conversation_id, std::string_view text,
                            const SendOptions& options = {});

  // ---- Files ------------------------------------------------------------------------

  // Uploads: each attachment's progress, on the callback thread. When the callbacks fall
  // behind, only an attachment's newest progress is delivered (a state change is never
  // lost: the newest says it). A transient failure (the connection dropped, the server
  // unavailable) is reported `queued` with its error, and tried again with the outbox's
  // backoff (FileOptions::retry_base, retry_cap) from the last byte the server holds; a
  // refusal for good (too large, forbidden, the bytes no longer match their SHA-256)
  // fails the message with that error, which never holds up its conversation. retry() of
  // such a message starts its uploads again where they stopped.
  Subscription on_upload(std::function<void(const UploadProgress&)> callback);
  // The uploads of an outgoing message as they are now (empty when it has none, or once it
  // is sent).
  std::vector<UploadProgress> uploads(std::int64_t local_id) const;
  // Stops the uploads of a message not yet sent, frees its copies on the device and on the
  // server, and discards the message (as discard()). invalid_argument when the message is
  // not waiting for an upload.
  Result<void> cancel_upload(std::int64_t local_id);

  // Downloads an attachment into the device's file cache (FileOptions::cache_bytes, least
  // recently used first out), and, when `destination` is given, copies it there (replacing
  // a file of that name). Completes with the file's path (the destination, or the cached
  // copy, which a later eviction may remove) once its size and SHA-256 are checked. A
  // cached file answers at once; downloads of one attachment share one transfer. A drop
  // resumes with an HTTP range request from the bytes already on the device, with the
  // outbox's backoff. Fails with `not_found` or `forbidden` (only members of a conversation
  // that references the file may read it), `invalid_field` when the bytes do not match the
  // SHA-256, `cancelled` after cancel_download(), `offline` when the client is not
  // connected nor trying to, `closed` when the client is destroyed first; invalid_argument
  // at once for an attachment with no id. Progress arrives through on_download().
  Pending<std::filesystem::path> download(const Attachment& attachment, std::filesystem::path destination = {});
  Subscription on_download(std::function<void(const DownloadProgress&)> callback);
  // Stops a download: its Pendings fail with `cancelled`, and its partial bytes are freed.
  // invalid_argument when none is running for that attachment.
  Result<void> cancel_download(std::string_view attachment_id);
  // The cached copy of an attachment, when the cache holds it whole (checked when it was
  // stored); nullopt otherwise. Never waits on the network.
  std::optional<std::filesystem::path> cached_file(const Attachment& attachment) const;

  // Changes to a message, queued in the outbox like send(): each returns its own outbox
  // row (kind edit, remove, react or unreact) once committed, and reaches the server
  // exactly once, after anything queued before it in that conversation. A change to a
  // message still in the outbox waits until the server has that message; if the message
  // fails or is discarded, so does the change. Only the author may edit or delete (the
  // server refuses others with `forbidden`). Fails with invalid_argument for a bad text,
  // emoji or reference (an unknown local id, or a local id of a change, not a message).
  Result<LocalMessage> edit(const MessageRef& target, std::string_view text);
  Result<LocalMessage> react(const MessageRef& target, std::string_view emoji);
  Result<LocalMessage> unreact(const MessageRef& target, std::string_view emoji);
  // Deletes a message. A message of this device that has not gone on the wire yet is
  // simply discarded (with whatever waits for it): the returned row is that message, in
  // state `discarded`, and nothing is sent.
  Result<LocalMessage> remove(const MessageRef& target);

  // Sends a `failed` message again (or a pending one that is waiting to retry, at once),
  // with its original clientMessageId and a fresh maximum age. Fails with
  // invalid_argument for a message that is sent, being sent, or unknown.
  Result<void> retry(std::int64_t local_id);

  // Removes a pending or failed message from the outbox, durably, without sending it; an
  // on_outbox() event reports it as `discarded`. Fails with invalid_argument for a
  // message that is on the wire (it may already be committed), sent, or unknown.
  Result<void> discard(std::int64_t local_id);

  // The messages not yet sent (pending, sending and failed), in send() order. Never waits
  // for the client's network thread.
  std::vector<LocalMessage> unsent_messages() const;

  // Every change of connection state. `connected` comes once the server has accepted the
  // token and listed the user's conversations.
  Subscription on_connection(std::function<void(const ConnectionChange&)> callback);

  // Events of the conversations this user is a member of, once stored (live, caught up
  // after a reconnect, or filling a gap), including this device's own messages: in each
  // conversation's order, each at most once. Older history from load_older() is not
  // repeated here.
  // Every event is passed on while the callbacks keep up. When kMaxQueuedMessages events
  // already wait for them (a catch-up of thousands, a callback slower than the stream),
  // later events are not queued for on_message() until the backlog shrinks; they are
  // stored like the others, and on_conversation() counts them for their conversation
  // (ConversationChange::messages_skipped), so an app reads them from messages(). This
  // keeps the memory a slow callback costs bounded.
  Subscription on_message(std::function<void(const Message&)> callback);
  static constexpr std::size_t kMaxQueuedMessages = 1000;

  // The state changes of the messages this device sent, each message's in order. When the
  // callbacks fall behind, the states a message went through while it waited for them are
  // merged into its newest: its last state is always reported.
  Subscription on_outbox(std::function<void(const LocalMessage&)> callback);

  // ---- The local store ------------------------------------------------------------
  //
  // Reads (conversations(), conversation(), messages(), thread()) never wait for the
  // client storing events on its network thread: each sees the store as it was
  // committed when the call began, including what this thread wrote before it (a send()'s
  // echo, a mark_read()'s count). With an in-memory store (":memory:") they may wait for a
  // write in progress.

  // The user's conversations as stored (listed at each connection), with unread counts,
  // the user's role and each one's last message, newest activity first (then by id). An
  // app can show it before connecting: it is the list as last stored.
  // Fails with `storage` when the store cannot be read.
  Result<std::vector<ConversationInfo>> conversations() const;
  // One stored conversation; invalid_argument for one the store does not hold.
  Result<ConversationInfo> conversation(std::string_view conversation_id) const;

  // A conversation's main timeline, oldest first: up to `limit` (1-500) messages before
  // `before_seq`, or the newest ones for 0. The newest page ends with this device's
  // messages that the store does not hold yet (their local echoes). When the page comes
  // out short and `more_on_server` is set, load_older() fetches what lies before.
  Result<MessagePage> messages(std::string_view conversation_id, Seq before_seq = 0, int limit = 50) const;
  // The replies in a thread, oldest first: the stored ones (up to `limit`), then the echoes
  // of this device's replies that the store does not hold yet, in the order messages()
  // gives them. A reply waiting for a root still in the outbox shows once the root has its
  // server id.
  Result<std::vector<TimelineMessage>> thread(std::string_view root_message_id, int limit = 200) const;
  // Asks the server for up to `limit` events before the oldest stored one; once stored,
  // on_conversation() reports them (`older`). Returns false when the store already
  // reaches the start of the conversation. Sent at once, or when next connected; one
  // request per conversation at a time (asking again before it is answered adds nothing).
  Result<bool> load_older(std::string_view conversation_id, int limit = 100);

  // Moves the user's read cursor to `seq` (forward only; an older seq changes nothing).
  // Unread counts follow at once; the server hears of it debounced, with other
  // conversations' moves in one batch, and the user's other devices follow.
  Result<void> mark_read(std::string_view conversation_id, Seq seq);

  // Searches the stored messages' text (SQLite FTS5), newest first: every word must occur,
  // the last one may be a prefix. Empty `conversation_id`: every conversation. It covers
  // every message stored before the call: messages stored in pages (a catch-up) are added
  // to the search index soon after; a search that comes sooner adds them first, which
  // waits for a write in progress (the other reads do not wait for it).
  // invalid_argument for a query with no words.
  Result<std::vector<TimelineMessage>> search(std::string_view query, std::string_view conversation_id = {},
                                              int limit = 50) const;

  // A conversation's stored state changed: events applied, a reset, older history, a read
  // cursor. An empty conversation_id means the conversation list itself was updated.
  // Changes of one conversation that wait for the callbacks are merged into one (see
  // ConversationChange), which comes after every notification produced before its newest
  // part (so after the on_message() calls of the events it counts).
  Subscription on_conversation(std::function<void(const ConversationChange&)> callback);
  // Progress of the catch-up after each connection, ending with `finished`. When the
  // callbacks fall behind, only the newest progress is reported.
  Subscription on_sync(std::function<void(const SyncProgress&)> callback);

  // What open() found damaged and repaired (nothing, usually).
  StoreRecovery recovery() const;

  // ---- Identity ---------------------------------------------------------------------
  //
  // Who the user is and whom the user can see, from the local store: no call waits on the
  // network. The directory (the user's workspaces, and the users who share one with the
  // user, with their names and roles) is listed from the server in the background after
  // each connection, and kept in the store across restarts.

  // The server's id for this user: empty until the first authentication ever, then
  // remembered across restarts (and replaced if another user connects on this device).
  std::string user_id() const;
  // The user's workspaces and the user's role in each, in the server's order (empty
  // until the directory was first listed). Fails with `storage` when the store cannot be read.
  Result<std::vector<Workspace>> workspaces() const;
  // The users of the directory, by id (this user included); with a workspace id, those in
  // that workspace. A user who has left the directory is left out once a listing has
  // completed without them. Fails with `storage` when the store cannot be read.
  Result<std::vector<User>> users(std::string_view workspace_id = {}) const;
  // A user the directory has ever listed (names stay known for older messages after the
  // user leaves it); nullopt for one it never did, or when the store cannot be read.
  std::optional<User> user(std::string_view user_id) const;
  // The directory or the workspaces were stored (a page of a listing). When the callbacks
  // fall behind, at most one such call waits.
  Subscription on_directory(std::function<void()> callback);

  // ---- Conversations ------------------------------------------------------------------
  //
  // Requests that go to the server and come back. Each returns a Pending (confab/request.h)
  // that completes exactly once:
  // - with invalid_argument at once, and nothing sent, for arguments the server would
  //   refuse (checked on the caller's thread), or a conversation that is not this user's
  //   (once the server has listed them, as for send());
  // - with `offline` at once when the client is not trying to connect: connect() never
  //   called, disconnect() called, `failed`, or closed for the background
  //   (ConnectionOptions::disconnect_in_background); and for every request still
  //   unanswered when the client stops trying;
  // - otherwise the request is sent once connected (at once, if it is), and fails with
  //   `timeout` when no answer came within ClientOptions::request_timeout of the call;
  // - a request on the wire when the connection drops is sent again on the next connection
  //   if asking twice does what asking once does (open_dm(), join(), invite(), rename(),
  //   set_topic()); the others (create_channel(), create_group_dm(), leave()) fail with
  //   `transport`, since the server may have applied them;
  // - the server's refusal with its own code: `not_member` (not a member, or no such
  //   conversation; also joining a private channel), `forbidden` (e.g. leaving a DM, naming
  //   a DM, inviting to one, creating in a workspace the user is not in), `invalid_field`
  //   (e.g. a public channel's name already taken), `not_found` (a user who is not in the
  //   workspace);
  // - with the conversation as it now is. Its answer is in the local store before the
  //   Pending completes: conversations() lists it (or, after leave(), no longer does) and
  //   send() accepts it (or refuses it) from then on, when then() runs. Its log's events
  //   (member.joined, conversation.updated, ...) follow through on_conversation() as usual.
  // `closed` when the client is destroyed first. Thread-safe; never waits on the network.

  // A channel in `workspace_id` (empty: the user's first workspace); public unless
  // `is_private`. `name` 1-80 bytes, `topic` 0-250, UTF-8 without control characters.
  Pending<ConversationInfo> create_channel(std::string_view workspace_id, std::string_view name,
                                           std::string_view topic = {}, bool is_private = false);
  // The DM with `user_id`: the existing one if there is one (one per pair), else a new one.
  Pending<ConversationInfo> open_dm(std::string_view user_id);
  // A group DM of this user and `user_ids` (2-15 others; this user's own id and repeats
  // are left out of the count).
  Pending<ConversationInfo> create_group_dm(std::vector<std::string> user_ids);
  // Joins a public channel of one of the user's workspaces (joining again changes nothing).
  Pending<ConversationInfo> join(std::string_view conversation_id);
  // Leaves a channel or a group DM (a DM cannot be left: `forbidden`). The answer is the
  // conversation as it now is, without the user; it is no longer in conversations().
  Pending<ConversationInfo> leave(std::string_view conversation_id);
  // Adds 1-100 users of the workspace to a channel (those already in stay).
  Pending<ConversationInfo> invite(std::string_view conversation_id, std::vector<std::string> user_ids);
  // Renames a channel (1-80 bytes), or sets a conversation's topic (0-250 bytes; empty
  // clears it).
  Pending<ConversationInfo> rename(std::string_view conversation_id, std::string_view name);
  Pending<ConversationInfo> set_topic(std::string_view conversation_id, std::string_view topic);

  // The present members of a stored conversation, by id, with their names and roles from
  // the directory. Members are learned from the conversation's log and from the answers to
  // the requests above. Fails with `storage` when the store cannot be read.
  // Each member's `presence` is filled from memory (see presence()).
  Result<std::vector<Member>> members(std::string_view conversation_id) const;

  // ---- Typing ------------------------------------------------------------------------
  //
  // Ephemeral (confab/presence.h): kept in memory, never stored, forgotten on a disconnect.

  // A keystroke in the compose box of `conversation_id`: the other members see this user
  // typing there until stop_typing(), a send() to the conversation, LiveOptions::typing_idle
  // without a keystroke, the app going to the background, or a disconnect. Cheap: call it on
  // every keystroke (it goes on the wire at most once every LiveOptions::typing_renew); it
  // never waits. Fails with invalid_argument for a bad id or a conversation that is not this
  // user's (as send()), and with `offline` while the client is not connected: nothing is
  // sent (typing is not queued for later), and an app may ignore it. Any thread.
  Result<void> typing(std::string_view conversation_id);
  // This user stopped typing in the conversation (the compose box was cleared): the others
  // see it at once. Nothing to do when not typing there. invalid_argument as typing();
  // never `offline` (a disconnect ends typing anyway). Any thread.
  Result<void> stop_typing(std::string_view conversation_id);
  // Who is typing in the conversation now, in the order they started; never this user;
  // empty for nobody, an unknown conversation, or while not connected. From memory; any
  // thread.
  std::vector<std::string> typing_users(std::string_view conversation_id) const;
  // The typing list of a conversation changed (TypingChange: the whole list). On the
  // callback thread; when the callbacks fall behind, only a conversation's newest list is
  // delivered. A disconnect reports every list that was not empty as empty.
  Subscription on_typing(std::function<void(const TypingChange&)> callback);

  // ---- Presence ----------------------------------------------------------------------
  //
  // While connected, the client sends heartbeats by itself (LiveOptions::heartbeat_interval):
  // this device counts as `online`, or `idle` while set_idle(true) or in the background
  // (app_moved_to_background()). The server pushes the presence of the user's contacts:
  // the members of the user's DMs, group DMs, and channels of at most 100 members (its
  // presenceFanoutLimit). Others stay `offline` here until query_presence() asks for them.

  // The app says the user is idle (no input for a while) or back. Sent at once when
  // connected, and kept for the next connections. Any thread.
  void set_idle(bool idle);
  // A user's status as last pushed by the server: offline when not known, and for everyone
  // while not connected. From memory; any thread.
  PresenceStatus presence(std::string_view user_id) const;
  // A user's status changed; on a disconnect every user who was not offline is reported
  // offline. On the callback thread; when the callbacks fall behind, only a user's newest
  // status is delivered.
  Subscription on_presence(std::function<void(const PresenceChange&)> callback);
  // Asks the server for the presence of users whose presence is not pushed (members of
  // large channels): 1-100 user ids (repeats count once). Completes once (confab/request.h)
  // with one status per distinct id, in the order asked; a user who shares no conversation
  // with this user, or does not exist, is `offline`. The answer is a snapshot: later
  // changes of those users are not pushed (ask again), but its statuses show in presence()
  // and member rows (and through on_presence()) until a push, a newer answer or a
  // disconnect changes them. Fails with invalid_argument at once for a malformed id or a
  // count outside 1-100; with `offline` at once while the client is not connected (nothing
  // is queued); with `transport` when the connection drops before the answer; with
  // `timeout` after ClientOptions::request_timeout; `closed` when the client is destroyed
  // first. Any thread; never waits.
  Pending<std::vector<PresenceChange>> query_presence(std::vector<std::string> user_ids);

  // ---- Receipts ----------------------------------------------------------------------
  //
  // The other members' read and delivery cursors (confab/receipts.h), kept in the local
  // store (the highest ever learned, so they show before connecting and across restarts,
  // and never move backward): pushed by the server while connected (a member's device
  // reports delivery once it stores messages, and reading through mark_read()). This device reports delivery the same way: when it stores messages from
  // others (live or caught up), debounced with mark_read()'s cursors, so a sender sees
  // sent -> delivered -> read. A conversation asked about with receipts() or read_by() is
  // watched: its receipts are asked for at once (when connected) and again after every
  // connection, since pushes are missed while disconnected. A receipt that moves reports
  // the rows it changes through on_conversation() (MessageUpdate::receipts updates of the
  // main timeline, the newest 100 seqs of the move).

  // The other members' cursors in the conversation, in user id order, as stored (empty
  // until one is learned; a member with nothing delivered yet is not listed). Fails with
  // invalid_argument for a bad id or a conversation that is not this user's, `storage`
  // when the store cannot be read. Reads the store, never the network; any thread.
  Result<std::vector<Receipt>> receipts(std::string_view conversation_id);
  // Who among the other members has read the message at `seq`, and to whom it was
  // delivered but not yet read. Errors as receipts(), and invalid_argument for a seq < 1.
  Result<ReadBy> read_by(std::string_view conversation_id, Seq seq);
  // A member's cursors moved forward in a conversation of the user (watched or not), once
  // stored: receipts() and read_by() show it when the callback runs. On the callback
  // thread; when the callbacks fall behind, only a member's newest cursors in each
  // conversation are delivered.
  Subscription on_receipts(std::function<void(const ReceiptChange&)> callback);

 private:
  class Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace confab
