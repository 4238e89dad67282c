// How an entry point hands a result to the caller: as JSON text the caller frees.
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

}  // namespace confab::c
