#include "client/row_changes.h"

#include <algorithm>
#include <map>
#include <set>

namespace confab::client {

void add_update(ConversationChange& change, const MessageUpdate& update) {
  auto same = std::find_if(change.updated.begin(), change.updated.end(), [&update](const MessageUpdate& u) {
    return u.local_id == update.local_id && (update.local_id != 0 || u.seq == update.seq);
  });
  if (same == change.updated.end()) {
    change.updated.push_back(update);
    return;
  }
  same->flags |= update.flags;
  same->seq = update.seq;  // an echo's newest (its ack's seq)
  if (!update.client_message_id.empty()) same->client_message_id = update.client_message_id;
}

std::vector<std::string> messages_touched(std::span<const protocol::Event> events) {
  std::set<std::string> ids;
  for (const auto& e : events) {
    switch (e.kind) {
      case EventKind::message_created:
        if (!e.thread_root_id.empty()) ids.insert(e.thread_root_id);
        break;
      case EventKind::message_edited:
      case EventKind::message_deleted:
      case EventKind::reaction_added:
      case EventKind::reaction_removed:
        ids.insert(e.message_id);
        break;
      default:
        break;
    }
  }
  return {ids.begin(), ids.end()};
}

std::vector<ConversationChange> describe_rows(const std::string& conversation_id,
                                              std::span<const protocol::Event> events, store::ApplyMode mode,
                                              std::vector<ConversationChange> merged,
                                              std::span<const store::CacheStore::StoredRow> rows) {
  std::vector<ConversationChange> out;
  out.push_back(ConversationChange{.conversation_id = conversation_id});
  auto timeline = [&](const std::string& root) -> ConversationChange& {
    for (auto& c : out) {
      if (c.thread_root_id == root) return c;
    }
    out.push_back(ConversationChange{.conversation_id = conversation_id, .thread_root_id = root});
    return out.back();
  };
  std::set<Seq> merged_seqs;
  for (auto& m : merged) {
    auto& into = timeline(m.thread_root_id);
    for (auto& e : m.merged) {
      merged_seqs.insert(e.seq);
      into.merged.push_back(std::move(e));
    }
  }
  std::map<std::string, const store::CacheStore::StoredRow*> shown;
  for (const auto& r : rows) shown[r.message_id] = &r;
  auto row_of = [&shown](const std::string& message_id) -> const store::CacheStore::StoredRow* {
    auto found = shown.find(message_id);
    return found == shown.end() ? nullptr : found->second;
  };
  // A thread root's count and newest reply changed: its row shows them.
  auto replies_changed = [&](const std::string& root_id) {
    const auto* root = row_of(root_id);
    if (root == nullptr) return;  // not stored: no row shows it
    add_update(timeline(root->thread_root_id), MessageUpdate{.seq = root->seq,
                                                            .client_message_id = root->client_message_id,
                                                            .flags = MessageUpdate::replies});
  };

  for (const auto& e : events) {
    std::uint32_t flags = 0;
    switch (e.kind) {
      case EventKind::message_created: {
        if (!merged_seqs.contains(e.conversation_seq)) {
          auto& into = timeline(e.thread_root_id);
          (mode == store::ApplyMode::older ? into.older_stored : into.appended).push_back(e.conversation_seq);
        }
        if (!e.thread_root_id.empty()) replies_changed(e.thread_root_id);
        continue;
      }
      case EventKind::message_edited:
        flags = MessageUpdate::text;
        break;
      case EventKind::message_deleted:
        flags = MessageUpdate::deleted;
        break;
      case EventKind::reaction_added:
      case EventKind::reaction_removed:
        flags = MessageUpdate::reactions;
        break;
      default:
        continue;
    }
    const auto* target = row_of(e.message_id);
    if (target == nullptr) continue;  // its message.created is not stored: no row shows it
    add_update(timeline(target->thread_root_id),
               MessageUpdate{.seq = target->seq, .client_message_id = target->client_message_id, .flags = flags});
    // A deleted reply no longer counts in its root's replies.
    if (e.kind == EventKind::message_deleted && !target->thread_root_id.empty()) replies_changed(target->thread_root_id);
  }
  return out;
}

ConversationChange receipt_rows(const core::ReceiptMoved& moved) {
  ConversationChange change{.conversation_id = moved.conversation_id};
  // Rows in (before.read, after.read] gained a reader; rows in (before.delivered,
  // after.delivered] a delivery. Newest first, then put in seq order.
  std::set<Seq> seqs;
  auto crossed = [&seqs](Seq from, Seq to) {
    for (Seq s = to; s > from && s > to - kMaxReceiptRows; --s) seqs.insert(s);
  };
  crossed(moved.before.read_seq, moved.after.read_seq);
  crossed(moved.before.delivered_seq, moved.after.delivered_seq);
  while (static_cast<Seq>(seqs.size()) > kMaxReceiptRows) seqs.erase(seqs.begin());
  for (Seq s : seqs) change.updated.push_back(MessageUpdate{.seq = s, .flags = MessageUpdate::receipts});
  return change;
}

}  // namespace confab::client
