// The chaos run's verdict: what the devices said they sent, what the server committed and
// what each device stored, compared after the faults stop and the system heals. In the
// manner of Jepsen's queue checks, every anomaly is counted, and each count must be 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace confab::chaos {

// One send() as its device reported it. Texts are unique in a run. `returned` is false
// when the device was killed between starting the call and hearing it return: such a
// message may or may not exist, but it must not be lost once it does. `with_file`: the
// message carries one file, whose bytes are file_bytes(text) (chaos_files.h).
struct Attempt {
  std::string device;
  std::string conversation;
  std::string text;
  bool returned = false;
  bool with_file = false;
};

// A message's file as the server recorded it (its size and SHA-256 are the server's).
struct StoredFile {
  std::string attachment_id;
  std::int64_t size = 0;
  std::string sha256;

  bool operator==(const StoredFile&) const = default;
};

struct StoredMessage {
  std::int64_t seq = 0;
  std::string client_message_id;
  std::string sender;
  std::string text;
  std::optional<StoredFile> file = std::nullopt;  // none: sent without a file

  bool operator==(const StoredMessage&) const = default;
};

// A file a device downloaded (Client::download()) after healing, and what it read back.
struct Download {
  std::string text;       // the message that carries it
  bool ok = false;        // false: the download failed (`error` says why)
  std::int64_t size = 0;  // the bytes read from the file download() gave
  std::string sha256;     // their SHA-256, computed by the device
  std::string error;
};

// conversation id -> its messages, in seq order.
using Timeline = std::map<std::string, std::vector<StoredMessage>>;

struct DeviceReport {
  std::string device;
  std::string user;
  bool reported = false;  // false: it never caught up to the server's heads in time
  std::size_t unsent = 0;  // outbox rows left after healing
  // What the app heard through on_message during the device's last run: an event heard
  // again, or one whose seq is below one heard before in its conversation.
  std::size_t heard_twice = 0;
  std::size_t heard_out_of_order = 0;
  Timeline stored;
  std::vector<Download> downloads;
};

struct ServerState {
  Timeline committed;
  std::map<std::string, std::set<std::string>> members;  // conversation -> user ids
};

struct Counts {
  std::size_t lost = 0;
  std::size_t duplicated = 0;
  std::size_t unexpected = 0;
  std::size_t reordered = 0;
  std::size_t divergent = 0;
  std::size_t stuck = 0;
  std::size_t corrupted = 0;
  std::vector<std::string> examples;  // the first few anomalies, described

  bool clean() const { return lost + duplicated + unexpected + reordered + divergent + stuck + corrupted == 0; }
};

// lost: a returned send() whose message is not on the server, or not on every device of
// every member. duplicated: a text twice on the server or in a device's conversation, a
// seq twice on a device, or an event the app heard twice. unexpected: a message no device
// tried to send, or a device's message the server does not have. reordered: a device's
// message at another seq than the server's, or heard out of order. divergent: two
// devices' stores of a conversation that differ. stuck: outbox rows left after healing,
// and devices that never caught up. corrupted: a message sent with a file that the server
// or a device holds without it, or whose size or SHA-256 differs from the file sent, or
// whose downloaded bytes do. A download that fails counts as lost; a file on a message
// sent without one, as unexpected.
Counts check_history(const std::vector<Attempt>& attempts, const ServerState& server,
                     const std::vector<DeviceReport>& devices);

}  // namespace confab::chaos
