// The C API's files: the uploads of outgoing messages, and downloads (answered by `request`
// events) into the device's cache. Sending them is confab_send()'s (messages_api.cpp).
#include <string>

#include "confab/confab.h"
#include "answers.h"

using confab::c::answer_by_event;
using confab::c::copy_out;
using confab::c::dump;
using confab::c::guarded;
using confab::c::Json;
using confab::c::missing;

namespace {

// An attachment the app named by its JSON; false (the failure recorded) when it is none.
bool attachment_of(confab_client* client, const char* attachment_json, confab::Attachment& out) {
  if (missing(client, attachment_json, "attachment_json")) return false;
  if (auto refused = confab::c::attachment_from_json(attachment_json, out)) {
    client->fail(CONFAB_E_INVALID_ARGUMENT, "invalid_argument: attachment_json: ", *refused);
    return false;
  }
  return true;
}

}  // namespace

extern "C" {

int confab_uploads(char** out_json, confab_client* client, int64_t local_id) {
  if (out_json) *out_json = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_json, "out_json")) return CONFAB_E_INVALID_ARGUMENT;
    *out_json = copy_out(dump(confab::c::array_of(client->client->uploads(local_id), confab::c::upload_json)));
    return CONFAB_OK;
  });
}

int confab_cancel_upload(confab_client* client, int64_t local_id) {
  return guarded(client, [&]() -> int { return client->status(client->client->cancel_upload(local_id)); });
}

int confab_download(confab_client* client, const char* attachment_json, const char* destination,
                    int64_t request_id) {
  return guarded(client, [&]() -> int {
    confab::Attachment attachment;
    if (!attachment_of(client, attachment_json, attachment)) return CONFAB_E_INVALID_ARGUMENT;
    auto to = destination ? confab::c::path_of(destination) : std::filesystem::path();
    return answer_by_event(client, client->client->download(attachment, std::move(to)), "download", request_id,
                           [](const std::filesystem::path& path) { return Json{{"path", confab::c::utf8_of(path)}}; });
  });
}

int confab_cancel_download(confab_client* client, const char* attachment_id) {
  return guarded(client, [&]() -> int {
    if (missing(client, attachment_id, "attachment_id")) return CONFAB_E_INVALID_ARGUMENT;
    return client->status(client->client->cancel_download(attachment_id));
  });
}

int confab_cached_file(char** out_path, confab_client* client, const char* attachment_json) {
  if (out_path) *out_path = nullptr;
  return guarded(client, [&]() -> int {
    if (missing(client, out_path, "out_path")) return CONFAB_E_INVALID_ARGUMENT;
    confab::Attachment attachment;
    if (!attachment_of(client, attachment_json, attachment)) return CONFAB_E_INVALID_ARGUMENT;
    auto cached = client->client->cached_file(attachment);
    if (!cached) {
      return client->fail(CONFAB_E_NOT_FOUND, "not_found: the cache does not hold the attachment ",
                          attachment.attachment_id);
    }
    *out_path = copy_out(confab::c::utf8_of(*cached));
    return CONFAB_OK;
  });
}

}  // extern "C"
