// Reads typed fields out of a parsed JSON object, checking each against its limits.
// The first problem throws FieldError, which the codec turns into a DecodeError; the
// exception never leaves the codec.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "confab/error.h"

namespace confab::protocol::detail {

using Json = nlohmann::json;

struct FieldError {
  ErrorCode code;
  std::string field;
  std::string message;
};

class JsonReader {
 public:
  // `path` prefixes field names in errors ("body." for fields of `body`).
  JsonReader(const Json& object, std::string path = {}) : object_(object), path_(std::move(path)) {}

  // Required non-empty string of at most max_bytes.
  std::string string(std::string_view name, std::size_t max_bytes) const;
  // Required identifier: 1..max_bytes characters from [A-Za-z0-9._:-].
  std::string identifier(std::string_view name, std::size_t max_bytes) const;
  // Optional identifier; empty when absent.
  std::string optional_identifier(std::string_view name, std::size_t max_bytes) const;
  // Optional string of at most max_bytes; empty when absent.
  std::string optional_string(std::string_view name, std::size_t max_bytes) const;
  // Required integer in [min, max].
  std::int64_t integer(std::string_view name, std::int64_t min, std::int64_t max) const;
  // Optional integer in [min, max]; `fallback` when absent.
  std::int64_t optional_integer(std::string_view name, std::int64_t min, std::int64_t max,
                                std::int64_t fallback) const;
  bool boolean(std::string_view name) const;
  bool optional_boolean(std::string_view name, bool fallback) const;
  // Whether the field is present (null counts as present).
  bool has(std::string_view name) const { return find(name) != nullptr; }
  // Optional text of 0..max_bytes without control characters; nullopt when absent.
  std::optional<std::string> optional_text(std::string_view name, std::size_t max_bytes) const;
  // Required array of at most max_items identifiers.
  std::vector<std::string> identifiers(std::string_view name, std::size_t max_items, std::size_t max_bytes) const;
  // Whether the field is the empty string.
  bool is_empty_string(std::string_view name) const;
  // Whether the field is a non-empty array whose first item is a string.
  bool is_array_of_strings(std::string_view name) const;
  // Required nested object.
  JsonReader object(std::string_view name) const;
  // Required array of at most max_items objects.
  std::vector<JsonReader> objects(std::string_view name, std::size_t max_items) const;

  [[noreturn]] void fail(std::string_view name, std::string message) const;
  std::string field_path(std::string_view name) const;

 private:
  const Json& require(std::string_view name, Json::value_t expected, const char* kind) const;
  const Json* find(std::string_view name) const;

  const Json& object_;
  std::string path_;
};

}  // namespace confab::protocol::detail
