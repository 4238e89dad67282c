// UTF-8 validation, UUIDv7 generation and URL parsing.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "protocol/ids.h"
#include "protocol/utf8.h"
#include "net/url.h"
#include "printers.h"

namespace confab {
namespace {

TEST(Utf8, AcceptsWellFormedText) {
  EXPECT_TRUE(utf8::is_valid(""));
  EXPECT_TRUE(utf8::is_valid("plain ascii"));
  EXPECT_TRUE(utf8::is_valid("héllo wörld"));
  EXPECT_TRUE(utf8::is_valid("日本語"));
  EXPECT_TRUE(utf8::is_valid("👋🏽 emoji"));
  EXPECT_TRUE(utf8::is_valid("\xF4\x8F\xBF\xBF"));  // U+10FFFF, the last code point
}

TEST(Utf8, RejectsMalformedText) {
  EXPECT_FALSE(utf8::is_valid("\x80"));                  // lone continuation byte
  EXPECT_FALSE(utf8::is_valid("\xC3"));                  // truncated sequence
  EXPECT_FALSE(utf8::is_valid("\xC3\x28"));              // bad continuation
  EXPECT_FALSE(utf8::is_valid("\xC0\x80"));              // overlong NUL
  EXPECT_FALSE(utf8::is_valid("\xE0\x80\xAF"));          // overlong '/'
  EXPECT_FALSE(utf8::is_valid("\xED\xA0\x80"));          // UTF-16 surrogate
  EXPECT_FALSE(utf8::is_valid("\xF4\x90\x80\x80"));      // past U+10FFFF
  EXPECT_FALSE(utf8::is_valid("\xFF"));                  // never valid
  EXPECT_FALSE(utf8::is_valid(std::string("ok\xE2\x82", 4)));  // cut mid-character
}

TEST(Utf8, TruncateNeverSplitsACharacter) {
  EXPECT_EQ(utf8::truncate("abc", 10), "abc");
  EXPECT_EQ(utf8::truncate("abc", 2), "ab");
  EXPECT_EQ(utf8::truncate("aé", 2), "a");   // é is two bytes
  EXPECT_EQ(utf8::truncate("a👋", 4), "a");  // the emoji is four bytes
  EXPECT_TRUE(utf8::is_valid(utf8::truncate("日本語", 7)));
}

TEST(UuidV7, HasTheRfc9562Layout) {
  ids::UuidV7Generator generator(1);
  std::string id = generator.next(0x0190A1B2C3D4);
  EXPECT_TRUE(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << id;
  EXPECT_EQ(id.substr(0, 13), "0190a1b2-c3d4");  // the timestamp leads
}

TEST(UuidV7, IncreasesWithinOneMillisecondAndWhenTheClockStepsBack) {
  ids::UuidV7Generator generator(7);
  std::string previous = generator.next(1'000'000);
  for (int i = 0; i < 10'000; ++i) {
    std::int64_t ms = i % 3 == 0 ? 999'000 : 1'000'000;  // the clock jumps back now and then
    std::string id = generator.next(ms);
    ASSERT_LT(previous, id) << "at " << i;
    previous = id;
  }
}

TEST(UuidV7, GeneratorsSeededFromTheDeviceDoNotCollide) {
  std::set<std::string> seen;
  ids::UuidV7Generator a;
  ids::UuidV7Generator b;
  for (int i = 0; i < 50'000; ++i) {
    ASSERT_TRUE(seen.insert(a.next(42)).second);
    ASSERT_TRUE(seen.insert(b.next(42)).second);
  }
}

TEST(WsUrl, ParsesHostPortAndTarget) {
  auto plain = net::parse_ws_url("ws://example.com");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->secure);
  EXPECT_EQ(plain->host, "example.com");
  EXPECT_EQ(plain->port, "80");
  EXPECT_EQ(plain->target, "/");

  auto full = net::parse_ws_url("wss://chat.example.com:8443/connect?v=1");
  ASSERT_TRUE(full.ok());
  EXPECT_TRUE(full->secure);
  EXPECT_EQ(full->port, "8443");
  EXPECT_EQ(full->target, "/connect?v=1");

  auto v6 = net::parse_ws_url("ws://[::1]:9000/");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "9000");

  auto query_only = net::parse_ws_url("ws://h?x=1");
  ASSERT_TRUE(query_only.ok());
  EXPECT_EQ(query_only->target, "/?x=1");
}

TEST(WsUrl, RefusesWhatItCannotUse) {
  for (const char* bad : {"", "http://example.com/", "ws://", "ws://:80/", "ws://host:0/", "ws://host:65536/",
                          "ws://host:8a/", "ws://host:/", "ws://user@host/", "ws://host/#frag", "ws://[::1/",
                          "ws://ho st/", "example.com"}) {
    auto parsed = net::parse_ws_url(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::invalid_argument);
  }
}

TEST(HttpUrl, ParsesHttpAndHttpsWithTheirDefaultPorts) {
  auto plain = net::parse_http_url("http://127.0.0.1:8701");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->secure);
  EXPECT_EQ(plain->port, "8701");
  EXPECT_EQ(plain->target, "/");
  auto secure = net::parse_http_url("https://chat.example.com/api");
  ASSERT_TRUE(secure.ok());
  EXPECT_TRUE(secure->secure);
  EXPECT_EQ(secure->port, "443");
  EXPECT_EQ(secure->target, "/api");
  EXPECT_EQ(net::host_header(*secure), "chat.example.com:443");
  EXPECT_EQ(net::host_header(*net::parse_http_url("http://[::1]:80/")), "[::1]:80");
  for (const char* bad : {"ws://example.com/", "wss://example.com/", "https://", "http://user@host/", "ftp://h/"}) {
    auto parsed = net::parse_http_url(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, ErrorCode::invalid_argument);
  }
}

}  // namespace
}  // namespace confab

namespace confab {
namespace {

TEST(Utf8Sanitize, ReplacesEachBadByteAndKeepsGoodText) {
  EXPECT_EQ(utf8::sanitize("ok ✓"), "ok ✓");
  EXPECT_EQ(utf8::sanitize("a\xff" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(utf8::sanitize("\xc3\x28"), "\xEF\xBF\xBD(");
  EXPECT_EQ(utf8::sanitize("\xe2\x9c"), "\xEF\xBF\xBD\xEF\xBF\xBD") << "a cut-off character";
  EXPECT_TRUE(utf8::is_valid(utf8::sanitize("\xed\xa0\x80 surrogate")));
}

}  // namespace
}  // namespace confab
