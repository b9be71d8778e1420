/* <ole2.h> for widl's headers on non-Windows systems: see idlgen_windows.h.
 * Like Windows' own, it brings in the COM headers objidl.h, oaidl.h and oleidl.h (which
 * widl writes from the system IDL) when they are on the include path: widl's headers for
 * msxml.idl and the like use VARIANT and DISPPARAMS without importing oaidl.idl. */
#ifndef IDLGEN_STUB_OLE2_H
#define IDLGEN_STUB_OLE2_H
#include "idlgen_windows.h"
#if defined(__has_include)
#if __has_include(<objidl.h>)
#include <objidl.h>
#endif
#if __has_include(<oaidl.h>)
#include <oaidl.h>
#endif
#if __has_include(<oleidl.h>)
#include <oleidl.h>
#endif
#endif
#endif
