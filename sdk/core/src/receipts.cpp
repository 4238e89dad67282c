#include "core/receipts.h"

#include <algorithm>

namespace confab::core {

std::optional<ReceiptMoved> ReceiptBook::learn(const std::string& conversation_id, const std::string& user_id,
                                               Seq read_seq, Seq delivered_seq) {
  if (user_id.empty() || user_id == user_id_) return std::nullopt;
  delivered_seq = std::max(delivered_seq, read_seq);  // reading implies delivery
  if (delivered_seq <= 0) return std::nullopt;        // nothing yet: not listed
  auto& known = book_[conversation_id][user_id];
  known.user_id = user_id;
  Receipt before = known;
  known.read_seq = std::max(known.read_seq, read_seq);
  known.delivered_seq = std::max(known.delivered_seq, delivered_seq);
  if (known == before) return std::nullopt;
  return ReceiptMoved{conversation_id, std::move(before), known};
}

std::vector<Receipt> ReceiptBook::of(const std::string& conversation_id) const {
  std::vector<Receipt> out;
  if (auto it = book_.find(conversation_id); it != book_.end()) {
    for (const auto& [user_id, receipt] : it->second) out.push_back(receipt);
  }
  return out;
}

ReadBy ReceiptBook::read_by(const std::string& conversation_id, Seq seq) const {
  ReadBy out;
  if (seq <= 0) return out;
  for (const auto& r : of(conversation_id)) {
    if (r.read_seq >= seq) {
      out.read.push_back(r.user_id);
    } else if (r.delivered_seq >= seq) {
      out.delivered.push_back(r.user_id);
    }
  }
  return out;
}

}  // namespace confab::core
