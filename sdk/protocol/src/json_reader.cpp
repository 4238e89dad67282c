#include "json_reader.h"

#include "protocol/protocol.h"

namespace confab::protocol::detail {

std::string JsonReader::field_path(std::string_view name) const {
  return path_ + std::string(name);
}

void JsonReader::fail(std::string_view name, std::string message) const {
  throw FieldError{ErrorCode::invalid_field, field_path(name), std::move(message)};
}

const Json* JsonReader::find(std::string_view name) const {
  auto it = object_.find(name);
  return it == object_.end() ? nullptr : &*it;
}

const Json& JsonReader::require(std::string_view name, Json::value_t expected,
                                const char* kind) const {
  const Json* value = find(name);
  if (value == nullptr) fail(name, "missing field '" + field_path(name) + "'");
  bool matches = value->type() == expected ||
                 (expected == Json::value_t::number_integer && value->is_number_integer());
  if (!matches) fail(name, "field '" + field_path(name) + "' must be " + kind);
  return *value;
}

std::string JsonReader::string(std::string_view name, std::size_t max_bytes) const {
  const auto& s = require(name, Json::value_t::string, "a string").get_ref<const std::string&>();
  if (s.empty()) fail(name, "field '" + field_path(name) + "' must not be empty");
  if (s.size() > max_bytes) {
    fail(name, "field '" + field_path(name) + "' exceeds " + std::to_string(max_bytes) + " bytes");
  }
  return s;
}

std::string JsonReader::identifier(std::string_view name, std::size_t max_bytes) const {
  std::string s = string(name, max_bytes);
  if (!is_identifier(s, max_bytes)) {
    fail(name, "field '" + field_path(name) + "' may hold only A-Z a-z 0-9 . _ : -");
  }
  return s;
}

std::string JsonReader::optional_identifier(std::string_view name, std::size_t max_bytes) const {
  return find(name) == nullptr ? std::string() : identifier(name, max_bytes);
}

std::string JsonReader::optional_string(std::string_view name, std::size_t max_bytes) const {
  return find(name) == nullptr ? std::string() : string(name, max_bytes);
}

std::int64_t JsonReader::optional_integer(std::string_view name, std::int64_t min, std::int64_t max,
                                          std::int64_t fallback) const {
  return find(name) == nullptr ? fallback : integer(name, min, max);
}

std::int64_t JsonReader::integer(std::string_view name, std::int64_t min, std::int64_t max) const {
  const Json& value = require(name, Json::value_t::number_integer, "an integer");
  // A JSON integer above INT64_MAX parses as unsigned; it is out of every range we accept.
  bool in_range = false;
  std::int64_t n = 0;
  if (value.is_number_unsigned()) {
    auto u = value.get<std::uint64_t>();
    in_range = u <= static_cast<std::uint64_t>(max);
    n = in_range ? static_cast<std::int64_t>(u) : 0;
  } else {
    n = value.get<std::int64_t>();
    in_range = true;
  }
  if (!in_range || n < min || n > max) {
    fail(name, "field '" + field_path(name) + "' must be between " + std::to_string(min) +
                   " and " + std::to_string(max));
  }
  return n;
}

bool JsonReader::boolean(std::string_view name) const {
  return require(name, Json::value_t::boolean, "a boolean").get<bool>();
}

bool JsonReader::optional_boolean(std::string_view name, bool fallback) const {
  return find(name) == nullptr ? fallback : boolean(name);
}

std::optional<std::string> JsonReader::optional_text(std::string_view name, std::size_t max_bytes) const {
  if (find(name) == nullptr) return std::nullopt;
  const auto& s = require(name, Json::value_t::string, "a string").get_ref<const std::string&>();
  if (s.size() > max_bytes) {
    fail(name, "field '" + field_path(name) + "' exceeds " + std::to_string(max_bytes) + " bytes");
  }
  if (!is_printable(s, max_bytes)) fail(name, "field '" + field_path(name) + "' must not contain control characters");
  return s;
}

std::vector<std::string> JsonReader::identifiers(std::string_view name, std::size_t max_items,
                                                 std::size_t max_bytes) const {
  const Json& array = require(name, Json::value_t::array, "an array");
  if (array.size() > max_items) {
    fail(name, "field '" + field_path(name) + "' has more than " + std::to_string(max_items) + " items");
  }
  std::vector<std::string> out;
  out.reserve(array.size());
  for (const auto& item : array) {
    if (!item.is_string() || !is_identifier(item.get_ref<const std::string&>(), max_bytes)) {
      fail(name, "field '" + field_path(name) + "' must hold identifiers (A-Z a-z 0-9 . _ : -)");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

bool JsonReader::is_empty_string(std::string_view name) const {
  const Json* value = find(name);
  return value != nullptr && value->is_string() && value->get_ref<const std::string&>().empty();
}

bool JsonReader::is_array_of_strings(std::string_view name) const {
  const Json* value = find(name);
  return value != nullptr && value->is_array() && !value->empty() && value->front().is_string();
}

JsonReader JsonReader::object(std::string_view name) const {
  return JsonReader(require(name, Json::value_t::object, "an object"), field_path(name) + ".");
}

std::vector<JsonReader> JsonReader::objects(std::string_view name, std::size_t max_items) const {
  const Json& array = require(name, Json::value_t::array, "an array");
  if (array.size() > max_items) {
    fail(name, "field '" + field_path(name) + "' has more than " + std::to_string(max_items) + " items");
  }
  std::vector<JsonReader> out;
  out.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    std::string path = field_path(name) + "[" + std::to_string(i) + "]";
    if (!array[i].is_object()) fail(name, "field '" + path + "' must be an object");
    out.emplace_back(array[i], path + ".");
  }
  return out;
}

}  // namespace confab::protocol::detail
