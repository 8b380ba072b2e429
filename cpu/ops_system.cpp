// Placeholder: filled by the system handler group.
#include "decode.h"

namespace sy {
std::span<const BuilderEntry> system_builders() { return {}; }
}  // namespace sy
