// The Confab wire protocol, version 1: typed frames and their JSON codec.
//
// docs/protocol.md is the contract; this file is its executable form. The codec is pure:
// no sockets, no clocks. Decoding checks every field against the limits below and reports
// the first problem as a DecodeError that names the field and echoes the request `id`
// when one could be read, so the peer can answer with a precise `error` frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "confab/error.h"
#include "confab/message.h"
#include "confab/result.h"

namespace confab::protocol {

inline constexpr int kVersion = 1;

// Limits every peer enforces (docs/protocol.md, "Limits").
inline constexpr std::size_t kMaxFrameBytes = 64 * 1024;
// A message's text, counted as written in JSON (see json_string_bytes): so the frame of an
// event that carries the longest text stays well within kMaxFrameBytes.
inline constexpr std::size_t kMaxTextBytes = 16 * 1024;
inline constexpr std::size_t kMaxIdentifierBytes = 128;  // conversation, user, device, message ids
inline constexpr std::size_t kMaxClientMessageIdBytes = 64;
inline constexpr std::size_t kMaxRequestIdBytes = 64;
inline constexpr std::size_t kMaxTokenBytes = 4096;
inline constexpr std::size_t kMaxErrorMessageBytes = 1024;
inline constexpr std::size_t kMaxEmojiBytes = 64;
inline constexpr int kMaxConversationsPage = 200;  // conversations per `conversations` frame
inline constexpr std::size_t kMaxListedMembers = 16;  // a listed DM's or group DM's `members`
inline constexpr std::size_t kMaxNameBytes = 80;    // a conversation's name
inline constexpr std::size_t kMaxTopicBytes = 250;  // a conversation's topic
inline constexpr std::size_t kMaxUsersPerRequest = 100;  // user ids in one create or invite
inline constexpr int kMaxHistoryPage = 500;         // events per `history` frame
inline constexpr int kDefaultHistoryPage = 100;
inline constexpr std::size_t kMaxAttachments = 10;  // files one message references
inline constexpr std::int64_t kMaxAttachmentBytes = 25LL * 1024 * 1024;  // one file
inline constexpr std::size_t kMaxFileNameBytes = 255;     // an attachment's name
inline constexpr std::size_t kMaxContentTypeBytes = 255;  // an attachment's media type
inline constexpr std::size_t kMaxPreviewBytes = 1536;     // an image preview, in base64
inline constexpr int kMaxPixelSize = 65535;               // an image's width or height
inline constexpr int kMaxDirectoryPage = 500;       // users per `directory` frame
inline constexpr std::size_t kMaxWorkspacesListed = 100;  // workspaces in a `directory` frame
inline constexpr std::size_t kMaxDisplayNameBytes = 80;   // a user's or a workspace's name
inline constexpr std::size_t kMaxPresenceQuery = 100;     // user ids in one presence.query
inline constexpr int kMaxReceiptsPage = 500;        // members per `receipts` frame
inline constexpr int kMaxJsonDepth = 8;
inline constexpr std::int64_t kMaxRetryAfterMs = 24LL * 60 * 60 * 1000;  // a day

// WebSocket close codes (docs/protocol.md, "Closing").
namespace close_code {
inline constexpr std::uint16_t kNormal = 1000;
inline constexpr std::uint16_t kGoingAway = 1001;           // server shutting down
inline constexpr std::uint16_t kUnsupportedData = 1003;     // a binary frame
inline constexpr std::uint16_t kInvalidPayload = 1007;      // malformed JSON or invalid UTF-8
inline constexpr std::uint16_t kTooBig = 1009;              // frame over the size limit
inline constexpr std::uint16_t kTryAgainLater = 1013;       // slow consumer or overload
inline constexpr std::uint16_t kProtocolViolation = 4400;   // a request before auth, a bad auth frame
inline constexpr std::uint16_t kUnauthorized = 4401;        // token refused
inline constexpr std::uint16_t kAuthTimeout = 4408;         // no auth frame in time
inline constexpr std::uint16_t kUnsupportedVersion = 4426;  // no protocol version in common
}  // namespace close_code

// The bytes `s` takes inside a JSON string as the codec writes it: `"`, `\` and the
// control characters with a short escape (\b \f \n \r \t) take 2, the other characters
// below U+0020 take 6 (\u00XX), every other byte 1. A message's text is held to
// kMaxTextBytes by this count.
std::size_t json_string_bytes(std::string_view s) noexcept;

// True for 1..max_bytes characters from [A-Za-z0-9._:-].
bool is_identifier(std::string_view s, std::size_t max_bytes = kMaxIdentifierBytes) noexcept;

// Control characters, in these checks, are C0 (U+0000-U+001F), DEL (U+007F) and C1
// (U+0080-U+009F): none of them may reach another user's screen, where they could move
// the cursor or start a terminal escape sequence.

// True for 1..kMaxEmojiBytes bytes of UTF-8 with no control characters.
bool is_valid_emoji(std::string_view s) noexcept;

// True for 0..max_bytes bytes with no control characters (names and topics; UTF-8 is
// checked by the JSON parser).
bool is_printable(std::string_view s, std::size_t max_bytes) noexcept;

// A file a message references. The server fills in size, contentType and sha256 from
// its own record of the upload; name, width, height and preview are the sender's.
struct AttachmentRef {
  std::string id;            // the upload's attachment id
  std::string name;          // 0..kMaxFileNameBytes, no control characters
  std::int64_t size = 0;
  std::string content_type;  // printable ASCII, 0..kMaxContentTypeBytes
  std::string sha256;        // empty, or 64 lowercase hex digits
  int width = 0;             // images: pixels, 0..kMaxPixelSize (0: unknown)
  int height = 0;
  std::string preview;       // images: a small JPEG, base64 (0..kMaxPreviewBytes)
  friend bool operator==(const AttachmentRef&, const AttachmentRef&) = default;
};

// True for 64 lowercase hex digits.
bool is_sha256_hex(std::string_view s) noexcept;

struct Body {
  std::string text;  // kind "text" is the only kind in version 1
  std::vector<AttachmentRef> attachments;  // files the sender uploaded (at most kMaxAttachments)
  friend bool operator==(const Body&, const Body&) = default;
};

// ---- client -> server -------------------------------------------------------------

struct Auth {
  std::string id;
  std::string token;
  int protocol_version = kVersion;
  std::string device_id;
  friend bool operator==(const Auth&, const Auth&) = default;
};

struct MessageSend {
  std::string id;
  std::string conversation_id;
  std::string client_message_id;
  Body body;
  std::string reply_to;        // optional: the message this one quotes
  std::string thread_root_id;  // optional: the thread this message belongs to
  friend bool operator==(const MessageSend&, const MessageSend&) = default;
};

// A change to an existing message: message.edit, message.delete, reaction.add and
// reaction.remove. Each carries its own clientMessageId, deduplicated like a send's.
enum class ChangeKind { edit, remove, react, unreact };

struct MessageChange {
  std::string id;
  ChangeKind kind = ChangeKind::edit;
  std::string conversation_id;
  std::string client_message_id;
  std::string message_id;  // the target
  Body body;               // edit only
  std::string emoji;       // react and unreact only
  friend bool operator==(const MessageChange&, const MessageChange&) = default;
};

// message.withdraw: the client will not send this message (or change) again; it failed or
// was discarded after the server refused it with a retryable error on this connection.
// Ends the server's hold on the conversation ("Order through a refusal"). No reply.
struct MessageWithdraw {
  std::string id;
  std::string conversation_id;
  std::string client_message_id;
  friend bool operator==(const MessageWithdraw&, const MessageWithdraw&) = default;
};

struct Ping {
  std::string id;
  friend bool operator==(const Ping&, const Ping&) = default;
};

// Lists the user's conversations, a page at a time, by conversation id.
struct ConversationsList {
  std::string id;
  std::string after;  // the last id of the previous page; empty for the first page
  int limit = kMaxConversationsPage;
  friend bool operator==(const ConversationsList&, const ConversationsList&) = default;
};

// Creates a conversation or changes who is in it and what it is called:
// conversation.create, .join, .leave, .invite and .update.
enum class ConversationOp { create, join, leave, invite, update };

struct ConversationRequest {
  std::string id;
  ConversationOp op = ConversationOp::create;
  std::string conversation_id;        // every op but create
  std::string workspace_id;           // create
  std::string kind;                   // create: channel, private_channel, dm or group_dm
  std::optional<std::string> name;    // create (channels), update
  std::optional<std::string> topic;   // create, update
  std::vector<std::string> user_ids;  // create: the other members; invite: who to add
  friend bool operator==(const ConversationRequest&, const ConversationRequest&) = default;
};

// A conversation and the highest seq the client has applied in it.
struct Cursor {
  std::string conversation_id;
  Seq seq = 0;
  friend bool operator==(const Cursor&, const Cursor&) = default;
};

// Asks for the heads of the user's conversations, a page at a time in id order. With
// `cursors`, conversations whose head equals the client's cursor are left out.
struct SyncRequest {
  std::string id;
  std::string after;
  int limit = kMaxConversationsPage;
  std::vector<Cursor> cursors;
  friend bool operator==(const SyncRequest&, const SyncRequest&) = default;
};

// A page of a conversation's log: the events after `after_seq`, or the newest events
// before `before_seq` (exactly one of the two is set).
struct HistoryRequest {
  std::string id;
  std::string conversation_id;
  std::optional<Seq> after_seq;
  std::optional<Seq> before_seq;
  int limit = kDefaultHistoryPage;
  friend bool operator==(const HistoryRequest&, const HistoryRequest&) = default;
};

// Moves this device's read and/or delivered cursor forward (0: leave it as it is).
struct CursorUpdate {
  std::string id;
  std::string conversation_id;
  Seq read_seq = 0;
  Seq delivered_seq = 0;
  friend bool operator==(const CursorUpdate&, const CursorUpdate&) = default;
};

struct PresenceHeartbeat {
  std::string id;
  std::string status;  // online or idle
  friend bool operator==(const PresenceHeartbeat&, const PresenceHeartbeat&) = default;
};

// typing.start (typing = true) and typing.stop.
struct TypingUpdate {
  std::string id;
  std::string conversation_id;
  bool typing = true;
  friend bool operator==(const TypingUpdate&, const TypingUpdate&) = default;
};

// Lists the directory: the user's workspaces (on the first page) and the users who share a
// workspace with the user, a page at a time by user id.
struct DirectoryList {
  std::string id;
  std::string after;  // the last user id of the previous page; empty for the first page
  int limit = kMaxDirectoryPage;
  friend bool operator==(const DirectoryList&, const DirectoryList&) = default;
};

// Asks for the presence of up to kMaxPresenceQuery users (those whose presence is not
// pushed to this device: members of large channels).
struct PresenceQuery {
  std::string id;
  std::vector<std::string> user_ids;  // 1..kMaxPresenceQuery
  friend bool operator==(const PresenceQuery&, const PresenceQuery&) = default;
};

// Asks for every member's read and delivered cursors in a conversation, a page at a time
// by user id.
struct ReceiptsRequest {
  std::string id;
  std::string conversation_id;
  std::string after;  // the last user id of the previous page; empty for the first page
  int limit = kMaxReceiptsPage;
  friend bool operator==(const ReceiptsRequest&, const ReceiptsRequest&) = default;
};

using ClientFrame = std::variant<Auth, MessageSend, Ping, MessageChange, ConversationsList, ConversationRequest,
                                 SyncRequest, HistoryRequest, CursorUpdate, PresenceHeartbeat, TypingUpdate,
                                 MessageWithdraw, DirectoryList, PresenceQuery, ReceiptsRequest>;

// ---- server -> client -------------------------------------------------------------

struct AuthOk {
  std::string id;
  std::string user_id;
  std::string device_id;
  int protocol_version = kVersion;
  std::int64_t server_time_ms = 0;
  std::size_t max_frame_bytes = kMaxFrameBytes;
  std::size_t max_text_bytes = kMaxTextBytes;
  friend bool operator==(const AuthOk&, const AuthOk&) = default;
};

struct MessageAck {
  std::string id;
  std::string conversation_id;
  std::string client_message_id;
  std::string message_id;
  Seq conversation_seq = 0;
  friend bool operator==(const MessageAck&, const MessageAck&) = default;
};

// One entry of a conversation's log (see EventKind). `message_id` is the message created
// or changed; `body` is set for created and edited, `emoji` for reactions, `member_id` for
// member events, `name` and `topic` for conversation.updated. `sender_id` is who did it.
struct Event {
  std::string conversation_id;
  Seq conversation_seq = 0;
  std::string message_id;
  std::string sender_id;
  std::string client_message_id;
  Body body;
  std::int64_t created_at_ms = 0;
  EventKind kind = EventKind::message_created;
  std::string emoji;
  std::string member_id;
  std::string name;
  std::string topic;
  std::string reply_to;        // message.created: the message it quotes
  std::string thread_root_id;  // message.created: the thread it is in
  friend bool operator==(const Event&, const Event&) = default;
};

struct ErrorFrame {
  std::string id;     // the request's id, when the error answers one
  Error error;        // code, retryable, message
  std::string field;  // the offending field for invalid_field, else empty
  std::string code_name;  // the code as sent; differs from to_string(code) only for unknown codes
  friend bool operator==(const ErrorFrame&, const ErrorFrame&) = default;
};

struct Pong {
  std::string id;
  friend bool operator==(const Pong&, const Pong&) = default;
};

struct ConversationSummary {
  std::string conversation_id;
  std::string kind;  // channel, private_channel, dm, group_dm
  std::string workspace_id;
  std::string name;
  std::string topic;
  Seq head_seq = 0;      // the highest conversationSeq
  Seq read_seq = 0;      // the user's read cursor
  int member_count = 0;
  // In a list page, for a DM or group DM (which have no name): its members, by id.
  std::vector<std::string> members;
  friend bool operator==(const ConversationSummary&, const ConversationSummary&) = default;
};

// One page of the user's conversations, in id order. `next` is the `after` of the next
// page; empty on the last one.
struct Conversations {
  std::string id;
  std::vector<ConversationSummary> items;
  std::string next;
  friend bool operator==(const Conversations&, const Conversations&) = default;
};

// Answers a conversation request with the conversation as it now is.
struct ConversationInfo {
  std::string id;
  ConversationSummary conversation;
  std::vector<std::string> members;  // user ids, in order
  friend bool operator==(const ConversationInfo&, const ConversationInfo&) = default;
};

// Answers sync.request: one page of heads, like `conversations`.
struct SyncState {
  std::string id;
  std::vector<ConversationSummary> items;
  std::string next;
  friend bool operator==(const SyncState&, const SyncState&) = default;
};

// Answers history.request. `more` says that further events exist in the requested
// direction; `too_long` that the gap after `afterSeq` exceeds the server's limit, and no
// events are sent: the client starts again from the newest page.
struct History {
  std::string id;
  std::string conversation_id;
  Seq head_seq = 0;
  std::vector<Event> events;  // ascending
  bool more = false;
  bool too_long = false;
  friend bool operator==(const History&, const History&) = default;
};

// A member's cursors in a conversation: the answer to cursor.update, and what the other
// members' devices (and the user's other devices) receive. Values are the user's
// (the highest over their devices); `device_id` is the device that moved them.
struct CursorState {
  std::string id;
  std::string conversation_id;
  std::string user_id;
  std::string device_id;
  Seq read_seq = 0;
  Seq delivered_seq = 0;
  friend bool operator==(const CursorState&, const CursorState&) = default;
};

struct Presence {
  std::string user_id;
  std::string status;  // online, idle or offline
  friend bool operator==(const Presence&, const Presence&) = default;
};

struct Typing {
  std::string conversation_id;
  std::string user_id;
  bool typing = true;
  friend bool operator==(const Typing&, const Typing&) = default;
};

// A workspace the user belongs to, and the user's role there (owner, admin or member).
struct WorkspaceEntry {
  std::string workspace_id;
  std::string name;
  std::string role;
  friend bool operator==(const WorkspaceEntry&, const WorkspaceEntry&) = default;
};

// A user's role in one workspace the user shares with the caller.
struct UserWorkspace {
  std::string workspace_id;
  std::string role;  // owner, admin or member
  friend bool operator==(const UserWorkspace&, const UserWorkspace&) = default;
};

struct UserEntry {
  std::string user_id;
  std::string display_name;
  std::vector<UserWorkspace> workspaces;  // the workspaces shared with the caller, by id (at most kMaxWorkspacesListed)
  friend bool operator==(const UserEntry&, const UserEntry&) = default;
};

// Answers directory.list. `workspaces` is filled on the first page only; `users` come in id
// order, and `next` is the `after` of the next page (empty on the last one).
struct Directory {
  std::string id;
  std::vector<WorkspaceEntry> workspaces;
  std::vector<UserEntry> users;
  std::string next;
  friend bool operator==(const Directory&, const Directory&) = default;
};

// Answers presence.query: one item per distinct user asked about, in the order asked.
struct PresenceState {
  std::string id;
  std::vector<Presence> items;
  friend bool operator==(const PresenceState&, const PresenceState&) = default;
};

// One member's cursors: the highest over the member's devices (0: none yet).
struct ReceiptPosition {
  std::string user_id;
  Seq read_seq = 0;
  Seq delivered_seq = 0;
  friend bool operator==(const ReceiptPosition&, const ReceiptPosition&) = default;
};

// Answers receipts.request: the members in id order, `next` as in Directory.
struct Receipts {
  std::string id;
  std::string conversation_id;
  std::vector<ReceiptPosition> items;
  std::string next;
  friend bool operator==(const Receipts&, const Receipts&) = default;
};

using ServerFrame = std::variant<AuthOk, MessageAck, Event, ErrorFrame, Pong, Conversations, ConversationInfo,
                                 SyncState, History, CursorState, Presence, Typing, Directory, PresenceState,
                                 Receipts>;

// ---- codec ---------------------------------------------------------------------------

struct DecodeError {
  ErrorCode code = ErrorCode::bad_frame;  // bad_frame, unknown_type or invalid_field
  std::string message;
  std::string field;  // dotted path of the offending field, e.g. "body.text"
  std::string id;     // the frame's request id, if it could be read
};

// Builds the `error` frame that answers a frame that failed to decode.
ErrorFrame to_error_frame(const DecodeError& error);

Result<ClientFrame, DecodeError> decode_client_frame(std::string_view text);
Result<ServerFrame, DecodeError> decode_server_frame(std::string_view text);

std::string encode(const ClientFrame& frame);
std::string encode(const ServerFrame& frame);

// The `type` string of each frame, e.g. "message.send".
std::string_view type_name(const ClientFrame& frame) noexcept;
std::string_view type_name(const ServerFrame& frame) noexcept;

// A Message as the app sees it, from an `event` frame.
Message to_message(const Event& event);
// Between the wire's attachment references and the SDK's public attachments.
std::vector<Attachment> to_attachments(const std::vector<AttachmentRef>& refs);
std::vector<AttachmentRef> to_refs(const std::vector<Attachment>& attachments);
// Attachments as stored in a text column: the wire's JSON array ("" for none). Reading
// takes what an older version stored (ids one per line) too, and anything unreadable as none.
std::string attachments_text(const std::vector<AttachmentRef>& refs);
std::vector<AttachmentRef> attachments_from_text(std::string_view text);

}  // namespace confab::protocol
