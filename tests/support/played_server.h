// A server whose side of one connection the test plays step by step: each step() runs on
// the server's thread, in order, and may read the client's frames and send frames back.
// The test's thread waits for the client's reaction between steps, so it decides the order
// of everything the client receives (an ack before or after its event, a restart between).
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "protocol/protocol.h"
#include "scripted_server.h"

namespace confab::test {

// The server's end of the connection, for steps.
class Peer {
 public:
  explicit Peer(ScriptedServer::Socket& ws) : ws_(ws) { ws_.text(true); }

  // Reads the client's frames until one of `type` (frames of other types are kept in
  // skipped()).
  nlohmann::json read(const std::string& type) {
    for (;;) {
      boost::beast::flat_buffer buffer;
      ws_.read(buffer);
      auto frame = nlohmann::json::parse(boost::beast::buffers_to_string(buffer.data()));
      if (frame.value("type", "") == type) return frame;
      skipped_.push_back(std::move(frame));
    }
  }

  void send(protocol::ServerFrame frame) { ws_.write(boost::asio::buffer(protocol::encode(frame))); }

  // Accepts the client's auth, lists `conversation_id` with `head` as its head, and answers
  // its sync.request the same way: the client is then connected and catching up to `head`.
  void accept(const std::string& user_id, const std::string& conversation_id, Seq head) {
    read("auth");
    send(protocol::AuthOk{"auth", user_id, "device", 1, 1, 65536, 16384});
    read("conversations.list");
    protocol::ConversationSummary summary;
    summary.conversation_id = conversation_id;
    summary.kind = "channel";
    summary.head_seq = head;
    send(protocol::Conversations{"conversations", {summary}, {}});
    auto sync = read("sync.request");
    send(protocol::SyncState{sync["id"].get<std::string>(), {summary}, {}});
  }

  const std::vector<nlohmann::json>& skipped() const { return skipped_; }

 private:
  ScriptedServer::Socket& ws_;
  std::vector<nlohmann::json> skipped_;
};

class PlayedServer {
 public:
  using Step = std::function<void(Peer&)>;

  PlayedServer() : server_([this](ScriptedServer::Socket& ws) { run(ws); }) {}
  ~PlayedServer() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    changed_.notify_all();
  }  // then ~ScriptedServer cuts the connection and joins its thread

  std::string url() const { return server_.url(); }

  // Queues a step; returns at once.
  void step(Step step) {
    {
      std::lock_guard lock(mutex_);
      steps_.push_back(std::move(step));
    }
    changed_.notify_all();
  }

  // Waits until every step queued so far has run; false if the deadline passes first.
  bool wait_for_steps(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [this] { return steps_.empty() && !running_; });
  }

 private:
  void run(ScriptedServer::Socket& ws) {
    Peer peer(ws);
    for (;;) {
      Step next;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return closing_ || !steps_.empty(); });
        if (closing_) return;
        next = std::move(steps_.front());
        steps_.pop_front();
        running_ = true;
      }
      next(peer);  // an exception (the client hung up) ends the script
      {
        std::lock_guard lock(mutex_);
        running_ = false;
      }
      changed_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<Step> steps_;
  bool running_ = false;
  bool closing_ = false;
  ScriptedServer server_;  // last: its thread runs run() on the members above
};

}  // namespace confab::test
