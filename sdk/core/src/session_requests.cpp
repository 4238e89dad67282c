// The session's requests to the server that the app waits for (conversation.create, join,
// leave, invite, update), with their deadlines on the monotonic clock; and the directory,
// listed page by page after each connection.
#include <algorithm>
#include <charconv>
#include <utility>

#include "core/session.h"

namespace confab::core {
namespace {

constexpr std::string_view kConversationPrefix = "conv:";
constexpr std::string_view kDirectoryPrefix = "dir:";
constexpr std::string_view kRelistId = "conversations:again";

std::string wire_id(std::uint64_t key) { return std::string(kConversationPrefix) + std::to_string(key); }

// The key of a request id of ours, or nullopt for any other id.
std::optional<std::uint64_t> key_of(std::string_view id) {
  if (!id.starts_with(kConversationPrefix)) return std::nullopt;
  id.remove_prefix(kConversationPrefix.size());
  std::uint64_t key = 0;
  auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), key);
  if (ec != std::errc() || end != id.data() + id.size()) return std::nullopt;
  return key;
}

}  // namespace

void Session::request_conversation(std::uint64_t key, protocol::ConversationRequest request, bool idempotent) {
  auto op = request.op;
  if (!trying()) {
    actions_.push_back(ConversationAnswered{
        key, op,
        Error::make(ErrorCode::offline, "the client is not connected, nor trying to connect: call connect() first")});
    return;
  }
  request.id = wire_id(key);
  Request& r = requests_[key];
  r.frame = std::move(request);
  r.idempotent = idempotent;
  r.deadline = monotonic() + options_.request_timeout_ms;
  if (connected()) send_waiting_requests();
}

void Session::answer_request(std::uint64_t key, Result<protocol::ConversationInfo> result) {
  auto found = requests_.find(key);
  if (found == requests_.end()) return;  // answered already (a late answer after a timeout)
  auto op = found->second.frame.op;
  requests_.erase(found);
  actions_.push_back(ConversationAnswered{key, op, std::move(result)});
}

void Session::send_waiting_requests() {
  for (auto& [key, r] : requests_) {
    if (r.on_wire) continue;
    r.on_wire = true;
    send_frame(protocol::encode(r.frame));
  }
}

void Session::on_conversation_answer(const protocol::ConversationInfo& answer) {
  if (auto key = key_of(answer.id)) answer_request(*key, answer);
}

bool Session::on_request_refused(const protocol::ErrorFrame& frame) {
  if (frame.id == kRelistId) {
    relisting_ = false;  // the stored list stays, until the next connection
    relisted_.clear();
    return true;
  }
  if (frame.id.starts_with(kDirectoryPrefix)) {
    // A server that cannot list the directory: the stored one stays, until the next connection.
    if (directory_request_ == frame.id) directory_request_.reset();
    return true;
  }
  auto key = key_of(frame.id);
  if (!key) return false;
  answer_request(*key, frame.error);
  return true;
}

void Session::requests_offline(const std::string& why) {
  directory_request_.reset();
  for (auto& [key, r] : std::exchange(requests_, {})) {
    actions_.push_back(ConversationAnswered{key, r.frame.op, Error::make(ErrorCode::offline, why)});
  }
}

void Session::requests_connection_lost(const Error& why) {
  directory_request_.reset();
  relisting_ = relist_again_ = false;  // the next connection lists them all
  relisted_.clear();
  for (auto it = requests_.begin(); it != requests_.end();) {
    auto& r = it->second;
    if (!r.on_wire || r.idempotent) {
      r.on_wire = false;  // goes again on the next connection
      ++it;
      continue;
    }
    // It may have been applied: asking again could apply it twice.
    auto key = it->first;
    auto op = r.frame.op;
    it = requests_.erase(it);
    actions_.push_back(ConversationAnswered{
        key, op,
        Error::make(ErrorCode::transport, "the connection was lost before the answer came (" + why.message +
                                              "); the request may have been applied")});
  }
}

void Session::expire_requests(std::int64_t now) {
  for (auto it = requests_.begin(); it != requests_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    auto key = it->first;
    auto op = it->second.frame.op;
    it = requests_.erase(it);
    actions_.push_back(ConversationAnswered{
        key, op,
        Error::make(ErrorCode::timeout,
                    "no answer within " + std::to_string(options_.request_timeout_ms) + " ms of the request")});
  }
  if (directory_request_ && directory_deadline_ <= now) directory_request_.reset();  // until the next connection
}

std::optional<std::int64_t> Session::requests_next_deadline() const {
  std::optional<std::int64_t> next;
  for (const auto& [key, r] : requests_) next = next ? std::min(*next, r.deadline) : r.deadline;
  if (directory_request_) next = next ? std::min(*next, directory_deadline_) : directory_deadline_;
  return next;
}

void Session::request_directory_page(const std::string& after) {
  protocol::DirectoryList list;
  list.id = std::string(kDirectoryPrefix) + std::to_string(next_request_++);
  list.after = after;
  list.limit = protocol::kMaxDirectoryPage;
  directory_request_ = list.id;
  directory_deadline_ = monotonic() + options_.request_timeout_ms;
  send_frame(protocol::encode(list));
}

void Session::on_directory_page(const protocol::Directory& page) {
  if (!directory_request_ || page.id != *directory_request_) return;  // not the page asked for
  directory_request_.reset();
  bool first = directory_pages_ == 0;
  ++directory_pages_;
  // Paged by user id: a page that is empty, or names no next, is the last.
  bool more = !page.next.empty() && !page.users.empty();
  bool capped = more && directory_pages_ >= options_.directory_max_pages;
  std::string next = page.next;
  actions_.push_back(DirectoryListed{page, first, !more});
  if (more && !capped) request_directory_page(next);
}

void Session::list_conversations() {
  if (!connected()) return;
  if (relisting_) {
    relist_again_ = true;
    return;
  }
  relisting_ = true;
  relisted_.clear();
  request_relist_page({});
}

void Session::request_relist_page(const std::string& after) {
  send_frame(protocol::encode(
      protocol::ConversationsList{std::string(kRelistId), after, protocol::kMaxConversationsPage}));
}

void Session::on_relist_page(const protocol::Conversations& page) {
  if (page.id != kRelistId || !relisting_ || !connected()) return;
  relisted_.insert(relisted_.end(), page.items.begin(), page.items.end());
  if (!page.next.empty() && !page.items.empty()) {
    request_relist_page(page.next);
    return;
  }
  KnownConversations known;
  known.items = std::exchange(relisted_, {});
  for (const auto& item : known.items) known.ids.push_back(item.conversation_id);
  actions_.push_back(std::move(known));
  relisting_ = false;
  if (std::exchange(relist_again_, false)) list_conversations();
}

}  // namespace confab::core
