/* <guiddef.h> for widl's headers on non-Windows systems: see idlgen_windows.h. */
#ifndef IDLGEN_STUB_GUIDDEF_H
#define IDLGEN_STUB_GUIDDEF_H
#include "idlgen_windows.h"
#endif
