// The codec of the directory, presence query and receipts frames: each survives a round
// trip, the examples in docs/protocol.md decode as documented, and bad frames are refused
// with the right code and field.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "protocol/protocol.h"
#include "printers.h"

namespace confab::protocol {
namespace {

using nlohmann::json;

template <class Frame>
Frame round_trip_client(const Frame& frame) {
  auto decoded = decode_client_frame(encode(ClientFrame{frame}));
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  return std::get<Frame>(decoded.value());
}

template <class Frame>
Frame round_trip_server(const Frame& frame) {
  auto decoded = decode_server_frame(encode(ServerFrame{frame}));
  EXPECT_TRUE(decoded.ok()) << (decoded.ok() ? "" : decoded.error().message);
  return std::get<Frame>(decoded.value());
}

TEST(ProtocolQueries, RequestsSurviveRoundTrip) {
  DirectoryList first{"dir", "", 500};
  DirectoryList later{"dir", "bob", 20};
  PresenceQuery query{"q1", {"dave", "erin"}};
  ReceiptsRequest receipts{"rc1", "c_general", "", 500};
  ReceiptsRequest next_page{"rc2", "c_general", "bob", 1};
  EXPECT_EQ(round_trip_client(first), first);
  EXPECT_EQ(round_trip_client(later), later);
  EXPECT_EQ(round_trip_client(query), query);
  EXPECT_EQ(round_trip_client(receipts), receipts);
  EXPECT_EQ(round_trip_client(next_page), next_page);
  for (const auto& frame : {ClientFrame{first}, ClientFrame{query}, ClientFrame{receipts}}) {
    EXPECT_EQ(json::parse(encode(frame))["type"].get<std::string>(), type_name(frame));
  }
}

TEST(ProtocolQueries, AnswersSurviveRoundTrip) {
  Directory directory{"dir",
                      {{"w_acme", "Acme Inc.", "owner"}, {"w_ops", "Öps 🚀", "member"}},
                      {{"alice", "Alice Liddell", {{"w_acme", "owner"}, {"w_ops", "member"}}},
                       {"bob", "Bob \"the builder\"", {{"w_acme", "admin"}}}},
                      "bob"};
  Directory last_page{"dir", {}, {{"zoe", "Zoë"}}, ""};
  Directory empty{"dir", {}, {}, ""};
  PresenceState presence{"q1", {{"dave", "online"}, {"erin", "idle"}, {"frank", "offline"}}};
  Receipts receipts{"rc1", "c_general", {{"alice", 10524, 10524}, {"bob", 0, 0}}, "bob"};
  EXPECT_EQ(round_trip_server(directory), directory);
  EXPECT_EQ(round_trip_server(last_page), last_page);
  EXPECT_EQ(round_trip_server(empty), empty);
  EXPECT_EQ(round_trip_server(presence), presence);
  EXPECT_EQ(round_trip_server(receipts), receipts);
  for (const auto& frame : {ServerFrame{directory}, ServerFrame{presence}, ServerFrame{receipts}}) {
    EXPECT_EQ(json::parse(encode(frame))["type"].get<std::string>(), type_name(frame));
  }
}

TEST(ProtocolQueries, DecodesTheDocumentedExamples) {
  // The same frames appear in docs/protocol.md ("The directory", "Presence and typing",
  // "Cursors and receipts"); keep the two in step.
  auto list = decode_client_frame(R"({"type": "directory.list", "id": "dir", "limit": 500})");
  ASSERT_TRUE(list.ok()) << list.error().message;
  EXPECT_EQ(std::get<DirectoryList>(list.value()), (DirectoryList{"dir", "", 500}));
  auto directory = decode_server_frame(R"({"type": "directory", "id": "dir",
      "workspaces": [{"workspaceId": "w_acme", "name": "Acme", "role": "owner"}],
      "users": [{"userId": "alice", "displayName": "Alice", "workspaces": [{"workspaceId": "w_acme", "role": "owner"}]},
                {"userId": "bob", "displayName": "Bob", "workspaces": [{"workspaceId": "w_acme", "role": "member"}]}],
      "next": "bob"})");
  ASSERT_TRUE(directory.ok()) << directory.error().message;
  EXPECT_EQ(std::get<Directory>(directory.value()),
            (Directory{"dir",
                       {{"w_acme", "Acme", "owner"}},
                       {{"alice", "Alice", {{"w_acme", "owner"}}}, {"bob", "Bob", {{"w_acme", "member"}}}},
                       "bob"}));
  auto next = decode_client_frame(R"({"type": "directory.list", "id": "dir", "after": "bob", "limit": 500})");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(std::get<DirectoryList>(next.value()).after, "bob");

  auto query = decode_client_frame(R"({"type": "presence.query", "id": "q1", "userIds": ["dave", "erin"]})");
  ASSERT_TRUE(query.ok()) << query.error().message;
  EXPECT_EQ(std::get<PresenceQuery>(query.value()).user_ids, (std::vector<std::string>{"dave", "erin"}));
  auto state = decode_server_frame(R"({"type": "presence.state", "id": "q1",
      "items": [{"userId": "dave", "status": "online"}, {"userId": "erin", "status": "offline"}]})");
  ASSERT_TRUE(state.ok()) << state.error().message;
  EXPECT_EQ(std::get<PresenceState>(state.value()),
            (PresenceState{"q1", {{"dave", "online"}, {"erin", "offline"}}}));

  auto request = decode_client_frame(R"({"type": "receipts.request", "id": "rc1", "conversationId": "c_general"})");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(std::get<ReceiptsRequest>(request.value()), (ReceiptsRequest{"rc1", "c_general", "", 500}));
  auto receipts = decode_server_frame(R"({"type": "receipts", "id": "rc1", "conversationId": "c_general",
      "items": [{"userId": "alice", "readSeq": 10524, "deliveredSeq": 10524},
                {"userId": "bob", "readSeq": 10519, "deliveredSeq": 10524}]})");
  ASSERT_TRUE(receipts.ok()) << receipts.error().message;
  EXPECT_EQ(std::get<Receipts>(receipts.value()),
            (Receipts{"rc1", "c_general", {{"alice", 10524, 10524}, {"bob", 10519, 10524}}, ""}));
}

struct BadFrame {
  const char* name;
  std::string text;
  ErrorCode code;
  std::string field;
};

void PrintTo(const BadFrame& f, std::ostream* os) { *os << f.name; }

std::string many_ids(std::size_t n) {
  json ids = json::array();
  for (std::size_t i = 0; i < n; ++i) ids.push_back("u" + std::to_string(i));
  return json{{"type", "presence.query"}, {"id", "q"}, {"userIds", ids}}.dump();
}

class RejectsBadQuery : public testing::TestWithParam<BadFrame> {};

TEST_P(RejectsBadQuery, WithCodeAndField) {
  const auto& bad = GetParam();
  auto decoded = decode_client_frame(bad.text);
  ASSERT_FALSE(decoded.ok()) << "accepted: " << bad.text.substr(0, 200);
  EXPECT_EQ(decoded.error().code, bad.code) << decoded.error().message;
  EXPECT_EQ(decoded.error().field, bad.field) << decoded.error().message;
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, RejectsBadQuery,
    testing::Values(
        BadFrame{"directory_limit_zero", R"({"type":"directory.list","limit":0})", ErrorCode::invalid_field, "limit"},
        BadFrame{"directory_limit_over", R"({"type":"directory.list","limit":501})", ErrorCode::invalid_field, "limit"},
        BadFrame{"directory_after_bad", R"({"type":"directory.list","after":"a b"})", ErrorCode::invalid_field, "after"},
        BadFrame{"presence_nobody", R"({"type":"presence.query","userIds":[]})", ErrorCode::invalid_field, "userIds"},
        BadFrame{"presence_missing", R"({"type":"presence.query"})", ErrorCode::invalid_field, "userIds"},
        BadFrame{"presence_not_ids", R"({"type":"presence.query","userIds":["a/b"]})", ErrorCode::invalid_field,
                 "userIds"},
        BadFrame{"presence_too_many", many_ids(kMaxPresenceQuery + 1), ErrorCode::invalid_field, "userIds"},
        BadFrame{"receipts_no_conversation", R"({"type":"receipts.request","id":"r"})", ErrorCode::invalid_field,
                 "conversationId"},
        BadFrame{"receipts_limit_over", R"({"type":"receipts.request","conversationId":"c","limit":501})",
                 ErrorCode::invalid_field, "limit"}),
    [](const testing::TestParamInfo<BadFrame>& param) { return std::string(param.param.name); });

TEST(ProtocolQueries, AcceptsTheMostUserIdsAQueryMayName) {
  auto decoded = decode_client_frame(many_ids(kMaxPresenceQuery));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(std::get<PresenceQuery>(decoded.value()).user_ids.size(), kMaxPresenceQuery);
}

TEST(ProtocolQueries, RefusesAnswersOutsideTheirLimits) {
  struct Case {
    const char* text;
    const char* field;
  };
  for (const auto& c : std::initializer_list<Case>{
           {R"({"type":"directory","users":[{"userId":"a","displayName":"A\u0007"}]})", "users[0].displayName"},
           {R"({"type":"directory","users":[{"userId":"a","displayName":""}]})", "users[0].displayName"},
           {R"({"type":"directory","users":[{"userId":"a"}]})", "users[0].displayName"},
           {R"({"type":"directory","workspaces":[{"workspaceId":"w","name":"W","role":"king"}],"users":[]})",
            "workspaces[0].role"},
           {R"({"type":"directory","users":[{"userId":"a","displayName":"A","workspaces":[{"workspaceId":"w","role":"king"}]}]})",
            "users[0].workspaces[0].role"},
           {R"({"type":"directory","users":[{"userId":"a","displayName":"A","workspaces":[{"role":"member"}]}]})",
            "users[0].workspaces[0].workspaceId"},
           {R"({"type":"directory"})", "users"},
           {R"({"type":"presence.state","items":[{"userId":"a","status":"away"}]})", "items[0].status"},
           {R"({"type":"receipts","conversationId":"c","items":[{"userId":"a","readSeq":-1,"deliveredSeq":0}]})",
            "items[0].readSeq"},
           {R"({"type":"receipts","items":[]})", "conversationId"},
       }) {
    auto decoded = decode_server_frame(c.text);
    ASSERT_FALSE(decoded.ok()) << "accepted: " << c.text;
    EXPECT_EQ(decoded.error().code, ErrorCode::invalid_field) << c.text;
    EXPECT_EQ(decoded.error().field, c.field) << c.text << ": " << decoded.error().message;
  }
  std::string long_name(kMaxDisplayNameBytes + 1, 'n');
  auto too_long = decode_server_frame(R"({"type":"directory","users":[{"userId":"a","displayName":")" + long_name +
                                      R"("}]})");
  ASSERT_FALSE(too_long.ok());
  EXPECT_EQ(too_long.error().field, "users[0].displayName");
}

}  // namespace
}  // namespace confab::protocol
