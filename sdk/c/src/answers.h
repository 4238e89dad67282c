// How an entry point hands a result to the caller: as JSON text the caller frees, or, for
// a request to the server, as the `request` event that answers it.
#pragma once

#include "handle.h"
#include "json.h"

namespace confab::c {

// A read's result as JSON in *out_json, or its failure recorded on the handle.
template <class T, class ToJson>
int answer(confab_client* client, char** out_json, const Result<T>& result, ToJson to_json) {
  if (!result) return client->fail(result.error());
  *out_json = copy_out(dump(to_json(*result)));
  return CONFAB_OK;
}

// Hands a request's answer to the app as a `request` event, on the client's callback
// thread: the value through `to_json`, or the error.
template <class T, class ToJson>
int answer_by_event(confab_client* client, confab::Pending<T> pending, const char* request, std::int64_t request_id,
                    ToJson to_json) {
  pending.then([client, request, request_id, to_json](const confab::Result<T>& result) {
    client->events.emit(CONFAB_EVENT_REQUEST, [&] {
      Json event{{"kind", "request"}, {"requestId", request_id}, {"request", request}, {"ok", result.ok()}};
      if (result) {
        event["data"] = to_json(*result);
      } else {
        event["error"] = confab::c::error_json(result.error());
      }
      return event;
    });
  });
  return CONFAB_OK;
}

}  // namespace confab::c
