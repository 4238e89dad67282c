// How GoogleTest prints Confab's enums in failure messages: by name, not as raw bytes.
#pragma once

#include <ostream>

#include "confab/connection.h"
#include "confab/error.h"
#include "confab/message.h"

namespace confab {

inline void PrintTo(ErrorCode code, std::ostream* os) { *os << to_string(code); }
inline void PrintTo(ConnectionState state, std::ostream* os) { *os << to_string(state); }
inline void PrintTo(OutboxState state, std::ostream* os) { *os << to_string(state); }

}  // namespace confab
