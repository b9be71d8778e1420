/* OLE Automation types (their Windows x64 layout) and the structures of testobj.idl, shared by
 * testobj.c and testpeer.c.  The includer defines the base types first: LONG, ULONG, SHORT,
 * USHORT, BYTE, WCHAR, BSTR, HRESULT, LONGLONG, ULONGLONG. */
#ifndef TESTTYPES_H
#define TESTTYPES_H

typedef struct DECIMAL {
    USHORT wReserved;
    BYTE scale, sign;
    ULONG Hi32;
    ULONGLONG Lo64;
} DECIMAL;

typedef struct SAFEARRAYBOUND {
    ULONG cElements;
    LONG lLbound;
} SAFEARRAYBOUND;

typedef struct SAFEARRAY {
    USHORT cDims, fFeatures;
    ULONG cbElements, cLocks;
    void *pvData;
    SAFEARRAYBOUND rgsabound[1];
} SAFEARRAY;

typedef struct VARIANT {
    USHORT vt, r1, r2, r3;
    union {
        LONGLONG llVal;
        LONG lVal;
        BYTE bVal;
        SHORT iVal;
        float fltVal;
        double dblVal;
        SHORT boolVal;
        HRESULT scode;
        BSTR bstrVal;
        void *punkVal;
        SAFEARRAY *parray;
        void *byref;
        struct { void *pvRecord, *pRecInfo; } rec;
    };
} VARIANT;

enum { VT_EMPTY = 0, VT_I4 = 3, VT_R8 = 5, VT_BSTR = 8, VT_DISPATCH = 9, VT_ERROR = 10,
       VT_BOOL = 11, VT_VARIANT = 12, VT_UNKNOWN = 13, VT_ARRAY = 0x2000, VT_BYREF = 0x4000 };

typedef struct DISPPARAMS {
    VARIANT *rgvarg;
    LONG *rgdispidNamedArgs;
    ULONG cArgs, cNamedArgs;
} DISPPARAMS;

typedef struct EXCEPINFO {
    USHORT wCode, wReserved;
    BSTR bstrSource, bstrDescription, bstrHelpFile;
    ULONG dwHelpContext;
    void *pvReserved;
    void *pfnDeferredFillIn;
    HRESULT scode;
} EXCEPINFO;

enum { DISPATCH_METHOD = 1, DISPATCH_PROPERTYGET = 2, DISPATCH_PROPERTYPUT = 4 };

typedef struct TPoint { LONG x, y; } TPoint;
typedef struct TRect { TPoint topLeft, bottomRight; } TRect;
typedef struct TMixed { BYTE b; double d; SHORT s; WCHAR tag[6]; float f; } TMixed;
typedef union TValue { LONG i; double f; } TValue;
typedef struct TNamed { const char *name; LONG count; const TPoint *points; } TNamed;

_Static_assert(sizeof(VARIANT) == 24, "VARIANT is 24 bytes on x64");
_Static_assert(sizeof(SAFEARRAY) == 32, "SAFEARRAY layout");
_Static_assert(sizeof(DISPPARAMS) == 24, "DISPPARAMS layout");
_Static_assert(sizeof(EXCEPINFO) == 64, "EXCEPINFO layout");
_Static_assert(sizeof(TMixed) == 40, "TMixed layout");

#endif
