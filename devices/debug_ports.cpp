// The debug devices are header-only; this unit keeps their vtables in one place.
#include "debug_ports.h"
