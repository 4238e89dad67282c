// The HTTP front on its own, over loopback, with handlers the test scripts: a handler
// that has not answered yet holds nothing but its own connection.
#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "http_client.h"
#include "http_front.h"
#include "recorder.h"

namespace confab::test {
namespace {

using namespace std::chrono_literals;
using server::BodyPlan;
using server::HttpRequest;
using server::HttpResponse;

// Answers /wait only when the test says so (as a handler waiting on a busy committer
// would), everything else at once.
class HeldHandler final : public server::HttpHandler {
 public:
  BodyPlan plan(const HttpRequest&) override {
    BodyPlan plan;
    plan.limit = 1024;
    return plan;
  }

  void handle(HttpRequest request, Respond respond) override {
    if (request.path() == "/wait") {
      std::lock_guard lock(mutex_);
      held_.push_back(std::move(respond));
      waiting_.add(held_.size());
      return;
    }
    HttpResponse res;
    res.body = R"({"fast":true})";
    respond(std::move(res));
  }

  // Answers every request held so far.
  void release() {
    std::vector<Respond> held;
    {
      std::lock_guard lock(mutex_);
      held.swap(held_);
    }
    for (auto& respond : held) {
      HttpResponse res;
      res.body = R"({"waited":true})";
      respond(std::move(res));
    }
  }

  Recorder<std::size_t>& waiting() { return waiting_; }

 private:
  std::mutex mutex_;
  std::vector<Respond> held_;
  Recorder<std::size_t> waiting_;
};

TEST(HttpFront, HandlersThatHaveNotAnsweredHoldUpNoOtherRequest) {
  server::ServerConfig config;
  config.http_port = 0;
  config.http_max_connections_per_address = 1000;  // all of them come from 127.0.0.1
  HeldHandler handler;
  server::HttpFront front(config, handler);
  ASSERT_TRUE(front.bind().ok());
  front.start();

  // Far more requests waiting for their handler than any pool of workers would have.
  constexpr int kHeld = 100;
  std::vector<RawHttpConnection> held;
  for (int i = 0; i < kHeld; ++i) {
    held.emplace_back(front.port());
    ASSERT_TRUE(held.back().write("GET /wait HTTP/1.1\r\nHost: h\r\n\r\n"));
  }
  ASSERT_TRUE(handler.waiting().wait_for_count(kHeld, 20s)) << "every request reached its handler";

  HttpClient http(front.port(), 2000ms);
  for (int i = 0; i < 10; ++i) {
    std::string error;
    auto fast = http.get("/fast", {}, &error);
    ASSERT_TRUE(fast) << error;
    EXPECT_EQ(fast->status, 200);
    EXPECT_EQ(fast->body, R"({"fast":true})");
  }

  handler.release();
  for (auto& connection : held) {
    auto answer = connection.read_reply();
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 200);
    EXPECT_EQ(answer->body, R"({"waited":true})");
  }
  front.stop();
}

}  // namespace
}  // namespace confab::test
