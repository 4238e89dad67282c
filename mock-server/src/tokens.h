// Session tokens: JWTs signed with HMAC-SHA256 (OpenSSL), naming a user and a device and
// expiring after a set time. The server issues them at bootstrap and accepts them in
// `auth`; development tokens from the configuration are accepted as they are. Either kind
// is accepted only for an active user of the directory the server started with (listed
// in the configuration's users, not deactivated): a token outlives neither its user's
// removal nor their deactivation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "confab/result.h"
#include "config.h"

namespace confab::server {

struct TokenClaims {
  std::string user_id;
  std::string device_id;      // empty for a development token (any device)
  std::int64_t expires_at_ms = 0;  // 0 for a development token
};

class TokenAuthority {
 public:
  // Uses config.session_secret, or a random secret when it is empty (tokens then do not
  // survive a restart: clients get `unauthorized` and bootstrap again).
  explicit TokenAuthority(const ServerConfig& config);

  // A signed session token for `user_id` on `device_id`, valid for the configured time.
  std::string issue(const std::string& user_id, const std::string& device_id, std::int64_t now_ms) const;

  // The user (and device) a token names. Errors: `token_expired` for a well-signed token
  // past its expiry, `unauthorized` for anything else, including a token of a user who is
  // not (or no longer) an active user of the directory.
  Result<TokenClaims> verify(std::string_view token, std::int64_t now_ms) const;

  // The user a development bearer token belongs to (bootstrap takes only those); the same
  // `unauthorized` when that user is deactivated.
  Result<std::string> verify_development(std::string_view token) const;

  std::int64_t ttl_ms() const noexcept { return ttl_ms_; }
  // When a token issued at `now_ms` expires: its `exp` claim, whole seconds.
  std::int64_t expiry_ms(std::int64_t now_ms) const noexcept { return (now_ms + ttl_ms_) / 1000 * 1000; }

 private:
  std::string sign(std::string_view data) const;
  Result<void> check_active(const std::string& user_id) const;

  std::string secret_;
  std::int64_t ttl_ms_;
  std::unordered_map<std::string, std::string> user_by_token_;
  std::unordered_map<std::string, bool> active_by_user_;
};

// Base64url without padding (RFC 4648 §5), as JWTs use it.
std::string base64url_encode(std::string_view bytes);
// False when the text is not base64url.
bool base64url_decode(std::string_view text, std::string& out);

}  // namespace confab::server
