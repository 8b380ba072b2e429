// Placeholder: filled by the string handler group.
#include "decode.h"

namespace sy {
std::span<const BuilderEntry> string_builders() { return {}; }
}  // namespace sy
