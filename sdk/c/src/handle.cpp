#include "handle.h"

namespace confab::c {

namespace {
thread_local const confab_client* t_in_callback_of = nullptr;
}  // namespace

int ErrorSlot::record(int status, std::string_view message, std::string_view detail) noexcept {
  std::lock_guard lock(mutex_);
  code_ = status;
  try {
    message_.assign(message);
    message_.append(detail);
    fixed_ = nullptr;
  } catch (...) {
    fixed_ = "internal: out of memory while recording an error";
  }
  return status;
}

const char* ErrorSlot::message() const noexcept {
  std::lock_guard lock(mutex_);
  return fixed_ ? fixed_ : message_.c_str();
}

int ErrorSlot::code() const noexcept {
  std::lock_guard lock(mutex_);
  return code_;
}

ErrorSlot& thread_errors() noexcept {
  thread_local ErrorSlot slot;
  return slot;
}

int status_of(const Error& error) noexcept {
  switch (error.code) {
    case ErrorCode::invalid_argument: return CONFAB_E_INVALID_ARGUMENT;
    case ErrorCode::storage: return CONFAB_E_STORAGE;
    case ErrorCode::offline: return CONFAB_E_OFFLINE;
    case ErrorCode::timeout: return CONFAB_E_TIMEOUT;
    case ErrorCode::closed: return CONFAB_E_CLOSED;
    case ErrorCode::not_found: return CONFAB_E_NOT_FOUND;
    default: return CONFAB_E_REFUSED;
  }
}

InCallback::InCallback(const confab_client* client) noexcept : previous_(t_in_callback_of) { t_in_callback_of = client; }

InCallback::~InCallback() { t_in_callback_of = previous_; }

bool InCallback::inside(const confab_client* client) noexcept { return t_in_callback_of == client; }

char* copy_out(std::string_view text) {
  auto* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) throw std::bad_alloc();
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

}  // namespace confab::c

int confab_client::fail(const confab::Error& error) noexcept {
  int status = confab::c::status_of(error);
  try {
    return errors.record(status, confab::describe(error));  // "not_member: ..."
  } catch (...) {
    return errors.record(status, confab::to_string(error.code), ": (no memory for the message)");
  }
}
