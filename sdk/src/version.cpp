#include "confab/version.h"

namespace confab {

std::string_view version() noexcept { return CONFAB_VERSION_STRING; }

}  // namespace confab
