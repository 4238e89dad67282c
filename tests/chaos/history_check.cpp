#include "history_check.h"

#include <unordered_map>
#include <unordered_set>

#include "chaos_files.h"

namespace confab::chaos {
namespace {

constexpr std::size_t kExamples = 12;

struct Placed {
  std::string conversation;
  const StoredMessage* message;
};

class Verdict {
 public:
  void lost(const std::string& why) { note(counts_.lost, "lost: " + why); }
  void duplicated(const std::string& why) { note(counts_.duplicated, "duplicated: " + why); }
  void unexpected(const std::string& why) { note(counts_.unexpected, "unexpected: " + why); }
  void reordered(const std::string& why) { note(counts_.reordered, "reordered: " + why); }
  void divergent(const std::string& why) { note(counts_.divergent, "divergent: " + why); }
  void corrupted(const std::string& why) { note(counts_.corrupted, "corrupted: " + why); }
  void stuck(std::size_t n, const std::string& why) {
    if (n == 0) return;
    counts_.stuck += n - 1;
    note(counts_.stuck, "stuck: " + why);
  }
  Counts take() { return std::move(counts_); }

 private:
  void note(std::size_t& count, std::string example) {
    ++count;
    if (counts_.examples.size() < kExamples) counts_.examples.push_back(std::move(example));
  }
  Counts counts_;
};

std::string where(const std::string& conversation, std::int64_t seq) {
  return conversation + "#" + std::to_string(seq);
}

// The same message at the same place, whatever is said of its file.
bool same_place(const StoredMessage& a, const StoredMessage& b) {
  return a.seq == b.seq && a.client_message_id == b.client_message_id && a.sender == b.sender && a.text == b.text;
}

// The size and SHA-256 that the file of the message `text` must have.
struct Expected {
  std::int64_t size;
  std::string sha256;
};

Expected expected_file(const std::string& text) {
  auto bytes = file_bytes(text);
  return {static_cast<std::int64_t>(bytes.size()), sha256_hex(bytes)};
}

// What is wrong with `file` as the file of the message `text`; empty when nothing.
std::string file_fault(const std::string& text, const std::optional<StoredFile>& file) {
  if (!file) return "has no file";
  auto want = expected_file(text);
  if (file->size != want.size) return "has a file of " + std::to_string(file->size) + " bytes, not " + std::to_string(want.size);
  if (file->sha256 != want.sha256) return "has a file whose sha256 is " + file->sha256 + ", not " + want.sha256;
  if (file->attachment_id.empty()) return "has a file with no attachment id";
  return {};
}

}  // namespace

Counts check_history(const std::vector<Attempt>& attempts, const ServerState& server,
                     const std::vector<DeviceReport>& devices) {
  Verdict verdict;
  std::unordered_map<std::string, const Attempt*> tried;
  for (const auto& a : attempts) tried.emplace(a.text, &a);

  // The server: every message tried by someone, each text once, with the file it was sent
  // with (or none).
  std::unordered_map<std::string, Placed> on_server;
  for (const auto& [conversation, messages] : server.committed) {
    for (const auto& m : messages) {
      auto attempt = tried.find(m.text);
      if (attempt == tried.end()) {
        verdict.unexpected("server " + where(conversation, m.seq) + " '" + m.text + "'");
      } else if (attempt->second->with_file) {
        if (auto fault = file_fault(m.text, m.file); !fault.empty()) {
          verdict.corrupted("server " + where(conversation, m.seq) + " '" + m.text + "' " + fault);
        }
      } else if (m.file) {
        verdict.unexpected("server " + where(conversation, m.seq) + " '" + m.text + "' has a file it was sent without");
      }
      if (!on_server.emplace(m.text, Placed{conversation, &m}).second) {
        verdict.duplicated("server " + where(conversation, m.seq) + " '" + m.text + "' committed twice");
      }
    }
  }

  // Each device: its own timeline is the server's, position by position.
  for (const auto& device : devices) {
    verdict.stuck(device.unsent, device.device + " has " + std::to_string(device.unsent) + " unsent");
    if (!device.reported) verdict.stuck(1, device.device + " never caught up");
    for (std::size_t i = 0; i < device.heard_twice; ++i) verdict.duplicated(device.device + " heard an event twice");
    for (std::size_t i = 0; i < device.heard_out_of_order; ++i) {
      verdict.reordered(device.device + " heard an event out of order");
    }
    for (const auto& [conversation, messages] : device.stored) {
      auto members = server.members.find(conversation);
      if (members == server.members.end() || !members->second.count(device.user)) {
        verdict.unexpected(device.device + " stores " + conversation + ", not its user's");
      }
      std::unordered_set<std::string> texts;
      std::int64_t previous_seq = 0;
      for (const auto& m : messages) {
        if (m.seq <= previous_seq) verdict.duplicated(device.device + " " + where(conversation, m.seq) + " stored twice");
        previous_seq = m.seq;
        if (!texts.insert(m.text).second) verdict.duplicated(device.device + " '" + m.text + "' stored twice");
        auto placed = on_server.find(m.text);
        if (placed == on_server.end()) {
          verdict.unexpected(device.device + " " + where(conversation, m.seq) + " '" + m.text + "' not on the server");
        } else if (placed->second.conversation != conversation || !same_place(*placed->second.message, m)) {
          verdict.reordered(device.device + " " + where(conversation, m.seq) + " '" + m.text + "' is at " +
                            where(placed->second.conversation, placed->second.message->seq) + " on the server");
        } else if (placed->second.message->file != m.file) {
          verdict.corrupted(device.device + " " + where(conversation, m.seq) + " '" + m.text +
                            "' has another file than the server's");
        }
      }
    }
    // What it downloaded is what was sent.
    for (const auto& d : device.downloads) {
      if (!d.ok) {
        verdict.lost("the file of '" + d.text + "' could not be downloaded by " + device.device + ": " + d.error);
        continue;
      }
      auto want = expected_file(d.text);
      if (d.size != want.size || d.sha256 != want.sha256) {
        verdict.corrupted(device.device + " downloaded " + std::to_string(d.size) + " bytes (sha256 " + d.sha256 +
                          ") for '" + d.text + "', not the " + std::to_string(want.size) + " sent");
      }
    }
  }

  // Every returned send() reached the server and every device of every member.
  for (const auto& a : attempts) {
    if (!a.returned) continue;
    auto placed = on_server.find(a.text);
    if (placed == on_server.end() || placed->second.conversation != a.conversation) {
      verdict.lost("'" + a.text + "' from " + a.device + " is not on the server in " + a.conversation);
      continue;
    }
    const auto& members = server.members.at(a.conversation);
    for (const auto& device : devices) {
      if (!members.count(device.user) || !device.reported) continue;
      auto stored = device.stored.find(a.conversation);
      bool found = false;
      if (stored != device.stored.end()) {
        for (const auto& m : stored->second) found = found || m.text == a.text;
      }
      if (!found) {
        verdict.lost("'" + a.text + "' is not on " + device.device);
        break;  // one lost message, however many devices miss it
      }
    }
  }

  // Devices of members agree on each conversation.
  std::map<std::string, const DeviceReport*> first_holder;
  for (const auto& device : devices) {
    if (!device.reported) continue;
    for (const auto& [conversation, messages] : device.stored) {
      auto [first, inserted] = first_holder.emplace(conversation, &device);
      if (inserted) continue;
      if (first->second->stored.at(conversation) != messages) {
        verdict.divergent(device.device + " and " + first->second->device + " disagree on " + conversation);
      }
    }
  }
  return verdict.take();
}

}  // namespace confab::chaos
