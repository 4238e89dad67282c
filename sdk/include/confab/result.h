// Result<T>: a value or an error, never both. Errors are values in Confab's API; no
// exception crosses it.
//
// Contract:
// - ok() (or `if (result)`) says which one it holds. Check it before reading either side.
// - value(), operator* and operator-> on an error, and error() on a value, are programming
//   errors: in every build (debug or release) they print what was misused, with the error's
//   code and message, to stderr and abort the process. They never throw.
// - value_or(fallback) reads the value when there is one, and `fallback` otherwise: for
//   callers that have a sensible default and nothing to report.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

#include "confab/error.h"

namespace confab {

namespace result_detail {

// The message and the abort of a misused Result (see the contract above).
template <class E>
[[noreturn]] void misused(const char* what, const E* error) noexcept {
  std::string detail;
  if constexpr (std::is_same_v<E, Error>) {
    if (error != nullptr) detail = describe(*error);
  }
  std::fprintf(stderr, "confab::Result: %s%s%s\n", what, detail.empty() ? "" : ": ", detail.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace result_detail

template <class T, class E = Error>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Precondition: ok(). Aborts with a message otherwise (see the contract above).
  T& value() & { return *checked_value(); }
  const T& value() const& { return *checked_value(); }
  T&& value() && { return std::move(*checked_value()); }
  T* operator->() { return checked_value(); }
  const T* operator->() const { return checked_value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // The value, or `fallback` when this holds an error.
  template <class U>
  T value_or(U&& fallback) const& {
    return ok() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }
  template <class U>
  T value_or(U&& fallback) && {
    return ok() ? std::get<0>(std::move(state_)) : static_cast<T>(std::forward<U>(fallback));
  }

  // Precondition: !ok(). Aborts with a message otherwise.
  const E& error() const& { return *checked_error(); }
  E&& error() && { return std::move(*checked_error()); }

 private:
  T* checked_value() {
    if (auto* v = std::get_if<0>(&state_)) return v;
    result_detail::misused("value() called on a Result that holds an error", std::get_if<1>(&state_));
  }
  const T* checked_value() const {
    if (auto* v = std::get_if<0>(&state_)) return v;
    result_detail::misused("value() called on a Result that holds an error", std::get_if<1>(&state_));
  }
  const E* checked_error() const {
    if (auto* e = std::get_if<1>(&state_)) return e;
    result_detail::misused<E>("error() called on a Result that holds a value", nullptr);
  }
  E* checked_error() {
    if (auto* e = std::get_if<1>(&state_)) return e;
    result_detail::misused<E>("error() called on a Result that holds a value", nullptr);
  }

  std::variant<T, E> state_;
};

template <class E>
class [[nodiscard]] Result<void, E> {
 public:
  Result() = default;
  Result(E error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }

  // Precondition: !ok(). Aborts with a message otherwise.
  const E& error() const& {
    if (!error_) result_detail::misused<E>("error() called on a Result that holds no error", nullptr);
    return *error_;
  }

 private:
  std::optional<E> error_;
};

}  // namespace confab
