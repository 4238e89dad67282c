#include "tokens.h"

#include <array>
#include <chrono>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

namespace confab::server {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

Error refused(std::string why) { return Error::make(ErrorCode::unauthorized, "the token was not accepted: " + why); }

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 0x3f]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3f]);
  return out;
}

bool base64url_decode(std::string_view text, std::string& out) {
  out.clear();
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    auto index = kAlphabet.find(c);
    if (index == std::string_view::npos) return false;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(index);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return bits < 6;  // a lone trailing character cannot be valid
}

TokenAuthority::TokenAuthority(const ServerConfig& config)
    : secret_(config.session_secret),
      ttl_ms_(std::chrono::duration_cast<std::chrono::milliseconds>(config.session_ttl).count()) {
  if (secret_.empty()) {
    std::array<unsigned char, 32> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
      throw std::runtime_error("no random bytes for the session secret");
    }
    secret_.assign(reinterpret_cast<const char*>(random.data()), random.size());
  }
  for (const auto& user : config.users) {
    for (const auto& token : user.tokens) user_by_token_.emplace(token, user.id);
    active_by_user_.emplace(user.id, user.active);
  }
}

Result<void> TokenAuthority::check_active(const std::string& user_id) const {
  auto user = active_by_user_.find(user_id);
  if (user == active_by_user_.end()) return refused("no such user");
  if (!user->second) return refused("the user is deactivated");
  return {};
}

std::string TokenAuthority::sign(std::string_view data) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length);
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

std::string TokenAuthority::issue(const std::string& user_id, const std::string& device_id,
                                  std::int64_t now_ms) const {
  static const std::string header = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  nlohmann::json claims{{"sub", user_id}, {"dev", device_id}, {"iat", now_ms / 1000},
                        {"exp", expiry_ms(now_ms) / 1000}};
  std::string unsigned_token = header + "." + base64url_encode(claims.dump());
  return unsigned_token + "." + sign(unsigned_token);
}

Result<TokenClaims> TokenAuthority::verify(std::string_view token, std::int64_t now_ms) const {
  if (auto dev = user_by_token_.find(std::string(token)); dev != user_by_token_.end()) {
    if (auto active = check_active(dev->second); !active) return active.error();
    return TokenClaims{dev->second, {}, 0};
  }
  auto first = token.find('.');
  auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return refused("not a development token or a session token");
  }
  std::string expected = sign(token.substr(0, second));
  std::string_view signature = token.substr(second + 1);
  if (signature.size() != expected.size() || CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return refused("bad signature");
  }
  std::string header_text;
  std::string claims_text;
  if (!base64url_decode(token.substr(0, first), header_text) ||
      !base64url_decode(token.substr(first + 1, second - first - 1), claims_text)) {
    return refused("malformed");
  }
  try {
    auto header = nlohmann::json::parse(header_text);
    if (header.value("alg", "") != "HS256") return refused("unexpected algorithm");
    auto claims = nlohmann::json::parse(claims_text);
    TokenClaims out{claims.at("sub").get<std::string>(), claims.at("dev").get<std::string>(),
                    claims.at("exp").get<std::int64_t>() * 1000};
    if (now_ms >= out.expires_at_ms) return Error::make(ErrorCode::token_expired, "the session token has expired");
    // Signed by this server, but perhaps for a user since removed or deactivated (or, with
    // a leaked secret, for anyone): only the directory says who may connect.
    if (auto active = check_active(out.user_id); !active) return active.error();
    return out;
  } catch (const nlohmann::json::exception&) {
    return refused("malformed claims");
  }
}

Result<std::string> TokenAuthority::verify_development(std::string_view token) const {
  auto it = user_by_token_.find(std::string(token));
  if (it == user_by_token_.end()) return refused("unknown bearer token");
  if (auto active = check_active(it->second); !active) return active.error();
  return it->second;
}

}  // namespace confab::server
