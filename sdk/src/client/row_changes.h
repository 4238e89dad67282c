// The row-level detail of stored events, as ConversationChange documents it: which rows of
// a conversation's timelines (the main one, and each thread's) they add or change.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "confab/conversation.h"
#include "core/receipts.h"
#include "protocol/protocol.h"
#include "store/cache_store.h"

namespace confab::client {

// Adds `update` to `change`: one entry per row, the flags of updates to the same row or'ed.
void add_update(ConversationChange& change, const MessageUpdate& update);

// The messages whose rows the events change (targets of edits, deletes and reactions, and
// the roots of thread replies), for CacheStore::stored_rows().
std::vector<std::string> messages_touched(std::span<const protocol::Event> events);

// The detail of one batch of events of `conversation_id`, once stored with `mode`: one
// change per timeline touched, the main timeline's first (always there: the caller adds
// its counts). `merged` are the echoes these events replaced (LocalView::events_stored()),
// by timeline; `rows`, where the touched messages are shown (CacheStore::stored_rows()).
std::vector<ConversationChange> describe_rows(const std::string& conversation_id,
                                              std::span<const protocol::Event> events, store::ApplyMode mode,
                                              std::vector<ConversationChange> merged,
                                              std::span<const store::CacheStore::StoredRow> rows);

// The rows of the main timeline whose "seen by" a member's move changes: the seqs it moved
// past, read or delivered, as `receipts` updates, the newest kMaxReceiptRows of them (a
// long jump, a first answer after connecting, leaves older rows' lines as they were
// read: Client::read_by() is exact for every seq). Empty when none.
inline constexpr Seq kMaxReceiptRows = 100;
ConversationChange receipt_rows(const core::ReceiptMoved& moved);

}  // namespace confab::client
