// A list model of one timeline (a conversation's main one, or a thread's) that applies
// ConversationChange exactly as conversation.h tells a model to, with the operations of
// Qt's QAbstractListModel (insert, update, move, remove, reset) counted. It reads row data
// from the client, as a real model does; it never reads the whole timeline except at a
// reset. Tests compare it, row by row, with what the client reads.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "confab/client.h"

namespace confab::test {

class ListModel {
 public:
  struct Operations {
    int resets = 0, inserts = 0, updates = 0, moves = 0, removes = 0;
  };

  // Subscribes, then reads the timeline: the order conversation.h asks for.
  ListModel(Client& client, std::string conversation_id, std::string thread_root_id = {})
      : client_(client), conversation_id_(std::move(conversation_id)), thread_root_id_(std::move(thread_root_id)) {
    subscription_ = client_.on_conversation([this](const ConversationChange& c) { apply(c); });
    std::lock_guard lock(mutex_);
    rows_ = read_all();
  }

  std::vector<TimelineMessage> rows() const {
    std::lock_guard lock(mutex_);
    return rows_;
  }
  Operations operations() const {
    std::lock_guard lock(mutex_);
    return operations_;
  }
  std::vector<std::string> problems() const {
    std::lock_guard lock(mutex_);
    return problems_;
  }

  // Waits until the model's rows are the client's, row by row; false (with the last
  // difference in `why`) if the deadline passes first.
  bool wait_until_matches(std::string& why, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mutex_);
    for (;;) {
      why = difference(rows_, read_all());
      if (why.empty()) return true;
      // Changes come from the callback thread; wait for the next one (or look again soon:
      // the store may have committed what the next change will report).
      if (changed_.wait_until(lock, std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(50))) ==
              std::cv_status::timeout &&
          std::chrono::steady_clock::now() >= deadline) {
        why = difference(rows_, read_all());
        return why.empty();
      }
    }
  }

  // What differs between two timelines, in the fields a row shows; empty when nothing.
  static std::string difference(const std::vector<TimelineMessage>& model, const std::vector<TimelineMessage>& client) {
    std::ostringstream out;
    if (model.size() != client.size()) {
      out << "model has " << model.size() << " rows, client " << client.size() << ": model " << keys(model)
          << " client " << keys(client);
      return out.str();
    }
    for (std::size_t i = 0; i < model.size(); ++i) {
      const auto& a = model[i];
      const auto& b = client[i];
      auto row = [&](const char* field) {
        out << "row " << i << " (" << key(b) << ") differs in " << field;
        return out.str();
      };
      if (a.seq != b.seq || a.local.has_value() != b.local.has_value()) return row("key") + " " + keys(model) + " vs " + keys(client);
      if (a.local && (a.local->local_id != b.local->local_id || a.local->state != b.local->state ||
                      a.local->conversation_seq != b.local->conversation_seq)) {
        return row("local state");
      }
      if (a.client_message_id != b.client_message_id || a.message_id != b.message_id) return row("ids");
      if (a.text != b.text || a.edited != b.edited || a.deleted != b.deleted) return row("text");
      if (a.reply_count != b.reply_count || a.last_reply_at_ms != b.last_reply_at_ms) return row("replies");
      if (a.reply_to != b.reply_to || a.thread_root_id != b.thread_root_id) return row("references");
      if (a.reactions.size() != b.reactions.size()) return row("reactions");
      for (std::size_t r = 0; r < a.reactions.size(); ++r) {
        if (a.reactions[r].emoji != b.reactions[r].emoji || a.reactions[r].user_ids != b.reactions[r].user_ids) {
          return row("reactions");
        }
      }
    }
    return {};
  }

 private:
  static std::string key(const TimelineMessage& m) {
    return m.local ? "echo " + std::to_string(m.local->local_id) + "@" + std::to_string(m.seq) : std::to_string(m.seq);
  }
  static std::string keys(const std::vector<TimelineMessage>& rows) {
    std::string out = "[";
    for (const auto& m : rows) out += key(m) + " ";
    return out + "]";
  }

  // The timeline as the client reads it now.
  std::vector<TimelineMessage> read_all() const {
    if (!thread_root_id_.empty()) {
      auto replies = client_.thread(thread_root_id_, 500);
      return replies.ok() ? *replies : std::vector<TimelineMessage>{};
    }
    auto page = client_.messages(conversation_id_, 0, 500);
    return page.ok() ? page->messages : std::vector<TimelineMessage>{};
  }

  // One row's data, as a model reads it: a stored row by seq, an echo from the newest page.
  std::optional<TimelineMessage> read_stored(Seq seq) const {
    if (!thread_root_id_.empty()) {
      for (auto& m : read_all()) {
        if (!m.local && m.seq == seq) return m;
      }
      return std::nullopt;
    }
    auto page = client_.messages(conversation_id_, seq + 1, 1);
    if (!page.ok() || page->messages.empty() || page->messages.back().seq != seq || page->messages.back().local) {
      return std::nullopt;
    }
    return page->messages.back();
  }
  std::optional<TimelineMessage> read_echo(std::int64_t local_id) const {
    for (auto& m : read_all()) {
      if (m.local && m.local->local_id == local_id) return m;
    }
    return std::nullopt;
  }

  std::optional<std::size_t> find_stored(Seq seq) const {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (!rows_[i].local && rows_[i].seq == seq) return i;
    }
    return std::nullopt;
  }
  std::optional<std::size_t> find_echo(std::int64_t local_id) const {
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      if (rows_[i].local && rows_[i].local->local_id == local_id) return i;
    }
    return std::nullopt;
  }

  // Rows with a seq by seq, then the echoes waiting for their ack by local id.
  static bool before(const TimelineMessage& a, const TimelineMessage& b) {
    bool a_waits = a.seq == 0, b_waits = b.seq == 0;
    if (a_waits != b_waits) return !a_waits;
    if (!a_waits) return a.seq < b.seq;
    return a.local->local_id < b.local->local_id;
  }
  void insert(TimelineMessage row) {
    auto at = std::upper_bound(rows_.begin(), rows_.end(), row, before);
    rows_.insert(at, std::move(row));
    ++operations_.inserts;
  }
  // The row at `index` has new data: dataChanged, and a move if its place changed.
  void update(std::size_t index, TimelineMessage data) {
    rows_[index] = std::move(data);
    ++operations_.updates;
    auto row = rows_[index];
    rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(index));
    auto at = std::upper_bound(rows_.begin(), rows_.end(), row, before);
    if (at - rows_.begin() != static_cast<std::ptrdiff_t>(index)) ++operations_.moves;
    rows_.insert(at, std::move(row));
  }

  void apply(const ConversationChange& c) {
    std::lock_guard lock(mutex_);
    if (c.conversation_id != conversation_id_) return;
    if (c.thread_root_id != thread_root_id_) {
      // A thread reloads with its conversation.
      if (!thread_root_id_.empty() && c.thread_root_id.empty() && c.reset) reset();
      changed_.notify_all();
      return;
    }
    if (c.reset) reset();
    for (auto local_id : c.echoes_added) {
      if (find_echo(local_id)) continue;
      if (auto data = read_echo(local_id)) insert(std::move(*data));
    }
    for (const auto& m : c.merged) {
      auto data = read_stored(m.seq);
      if (!data) {
        problems_.push_back("merged " + std::to_string(m.local_id) + " into " + std::to_string(m.seq) +
                            ", which cannot be read");
        continue;
      }
      if (auto echo = find_echo(m.local_id)) {
        update(*echo, std::move(*data));
      } else if (!find_stored(m.seq)) {
        insert(std::move(*data));
      }
    }
    for (const auto* seqs : {&c.appended, &c.older_stored}) {
      for (auto seq : *seqs) {
        if (find_stored(seq)) continue;
        auto data = read_stored(seq);
        if (!data) {
          problems_.push_back("seq " + std::to_string(seq) + " reported stored, but cannot be read");
          continue;
        }
        insert(std::move(*data));
      }
    }
    for (const auto& u : c.updated) {
      if (u.flags == 0) problems_.push_back("an update without flags");
      auto index = u.local_id != 0 ? find_echo(u.local_id) : find_stored(u.seq);
      if (!index) continue;
      auto data = u.local_id != 0 ? read_echo(u.local_id) : read_stored(u.seq);
      if (data) update(*index, std::move(*data));
    }
    for (auto local_id : c.echoes_removed) {
      if (auto echo = find_echo(local_id)) {
        rows_.erase(rows_.begin() + static_cast<std::ptrdiff_t>(*echo));
        ++operations_.removes;
      }
    }
    changed_.notify_all();
  }

  void reset() {
    rows_ = read_all();
    ++operations_.resets;
  }

  Client& client_;
  const std::string conversation_id_;
  const std::string thread_root_id_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<TimelineMessage> rows_;
  Operations operations_;
  std::vector<std::string> problems_;
  Subscription subscription_;  // last: unsubscribed first
};

}  // namespace confab::test
