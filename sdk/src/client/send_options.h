// send()'s options: the message a new one quotes and the thread it replies in, checked and
// written into its outbox row.
#pragma once

#include <cstdint>
#include <functional>

#include "confab/client.h"
#include "confab/message.h"
#include "confab/result.h"

namespace confab::client {

// On the caller's thread: checks each reference and writes those by server id into `m`
// (whose conversation_id is set). Returns whether any names a local id, which
// references_by_local_id() resolves; invalid_argument for a malformed reference or one to
// another conversation.
Result<bool> references_by_server_id(const SendOptions& options, LocalMessage& m);

// The outbox row with a local id, whatever its state (invalid_argument when there is none).
using FindRow = std::function<Result<LocalMessage>(std::int64_t local_id)>;

// On the network thread: writes the references by local id into `m`. A message still in
// the outbox is named by its local id (the row waits for it); one the server has, by its
// server id. invalid_argument for a local id that names no message, names a change, or a
// message of another conversation.
Result<void> references_by_local_id(const SendOptions& options, LocalMessage& m, const FindRow& find);

}  // namespace confab::client
