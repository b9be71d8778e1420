/*
 * idlgen_windows.h - the Windows types, with their Windows x64 sizes, that the C headers widl
 * writes (widl -h) expect from <windows.h>, <rpc.h> and <rpcndr.h>, so that C code using those
 * headers can be compiled by the host C compiler on Linux (x86-64 or another LP64 target).
 *
 * Part of idlgen (MIT licence).  Put this folder first on the include path:
 *
 *     gcc -I "$(python -c 'import idlgen, pathlib; \
 *             print(pathlib.Path(idlgen.__file__).parent / "runtime/native/include")')" \
 *         -I <folder of widl's headers> ...
 *
 * It stands in for <windows.h>, <rpc.h>, <rpcndr.h>, <ole2.h>, <objbase.h>, <basetsd.h>,
 * <guiddef.h> and <winapifamily.h> (small headers in this folder that include this one).
 * widl's headers for the system IDL (unknwn.h, wtypes.h, objidl.h, oaidl.h ...) are not here:
 * generate them with widl from the IDL files, like your own; they then define BSTR (OLECHAR *),
 * VARIANT, SAFEARRAY, DECIMAL, CY ... with their Windows layout on top of the types below.
 *
 * Sizes are Windows' (LLP64): LONG/ULONG/DWORD/BOOL/HRESULT are 32-bit, WCHAR/OLECHAR 16-bit,
 * pointers and the *_PTR types 64-bit.  C's own `long` and `wchar_t` keep the host's sizes:
 * use the Windows names in shared declarations (widl writes LONG for IDL `long`).  Compile with
 * -fms-extensions (widl's `struct tag {...} DUMMYUNIONNAME;` members are anonymous only with
 * it, as MinGW-w64's GCC has it), -mms-bitfields (x86: MSVC's layout of bit-fields of mixed
 * types) and, when an IDL type holds a `wchar_t` by value or C code needs L"..." as WCHAR
 * strings, -fshort-wchar.  README.md in this folder says more.
 *
 * Calling conventions: STDMETHODCALLTYPE, WINAPI, STDAPICALLTYPE, CALLBACK, __stdcall,
 * __cdecl, __RPC_USER ... are the platform's default convention, or with -DIDLGEN_MS_ABI the
 * Microsoft x64 convention (__attribute__((ms_abi)), what Wine-derived libraries such as vkd3d
 * use on x86-64 Linux).  IDLGEN_CALL is that convention, for your own declarations.
 */

#ifndef IDLGEN_WINDOWS_H
#define IDLGEN_WINDOWS_H

#if defined(_WIN32)
#error "idlgen_windows.h stands in for the Windows headers on other systems; on Windows use <windows.h>"
#endif

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if !defined(__LP64__) && !defined(_LP64)
#error "idlgen_windows.h needs a 64-bit (LP64) target: Windows x64 sizes are assumed"
#endif

/* ------------------------------------------------------------------ calling conventions */

#ifdef IDLGEN_MS_ABI
#define IDLGEN_CALL __attribute__((ms_abi))
#else
#define IDLGEN_CALL
#endif

#define __stdcall IDLGEN_CALL
#define __cdecl IDLGEN_CALL
#define _stdcall IDLGEN_CALL
#define _cdecl IDLGEN_CALL
#define WINAPI IDLGEN_CALL
#define WINAPIV IDLGEN_CALL
#define APIENTRY IDLGEN_CALL
#define CALLBACK IDLGEN_CALL
#define STDMETHODCALLTYPE IDLGEN_CALL
#define STDMETHODVCALLTYPE IDLGEN_CALL
#define STDAPICALLTYPE IDLGEN_CALL
#define STDAPIVCALLTYPE IDLGEN_CALL
#define RPC_ENTRY IDLGEN_CALL
#define __RPC_API IDLGEN_CALL
#define __RPC_USER IDLGEN_CALL
#define __RPC_STUB IDLGEN_CALL
#define __RPC_FAR
#define __RPC_CALLEE IDLGEN_CALL

#define STDAPI EXTERN_C HRESULT STDAPICALLTYPE
#define STDAPI_(type) EXTERN_C type STDAPICALLTYPE
#define STDAPIV EXTERN_C HRESULT STDAPIVCALLTYPE
#define STDAPIV_(type) EXTERN_C type STDAPIVCALLTYPE
#define STDMETHODIMP HRESULT STDMETHODCALLTYPE
#define STDMETHODIMP_(type) type STDMETHODCALLTYPE
#define WINOLEAPI STDAPI
#define WINOLEAPI_(type) STDAPI_(type)
#define WINOLEAUTAPI STDAPI
#define WINOLEAUTAPI_(type) STDAPI_(type)
#define DECLSPEC_IMPORT
#define DECLSPEC_EXPORT
#define WINBASEAPI DECLSPEC_IMPORT
#define WINUSERAPI DECLSPEC_IMPORT
#define WINGDIAPI DECLSPEC_IMPORT
#define WINADVAPI DECLSPEC_IMPORT

/* ------------------------------------------------------------------ language glue */

#ifdef __cplusplus
#define EXTERN_C extern "C"
#else
#define EXTERN_C extern
#endif
#define DECLSPEC_HIDDEN
#define DECLSPEC_NOTHROW
#define DECLSPEC_UUID(x)
#define DECLSPEC_NOVTABLE
#define DECLSPEC_SELECTANY __attribute__((weak))
#define DECLSPEC_ALIGN(x) __attribute__((aligned(x)))
#define __forceinline inline __attribute__((always_inline))
#define FORCEINLINE __forceinline
#define CONST const
#define VOID void

#define interface struct
#define BEGIN_INTERFACE
#define END_INTERFACE
#define CONST_VTBL const
#define MIDL_INTERFACE(x) struct
#define __CRT_UUID_DECL(type, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8)
#define DEFINE_ENUM_FLAG_OPERATORS(type)

/* widl writes nameless unions/structs with these (C11 anonymous members) */
#define __C89_NAMELESS
#define __C89_NAMELESSUNIONNAME
#define __C89_NAMELESSUNIONNAME1
#define __C89_NAMELESSUNIONNAME2
#define __C89_NAMELESSUNIONNAME3
#define __C89_NAMELESSUNIONNAME4
#define __C89_NAMELESSUNIONNAME5
#define __C89_NAMELESSSTRUCTNAME
#define __C89_NAMELESSSTRUCTNAME1
#define __C89_NAMELESSSTRUCTNAME2
#define __C89_NAMELESSSTRUCTNAME3
#define __C89_NAMELESSSTRUCTNAME4
#define __C89_NAMELESSSTRUCTNAME5
#define DUMMYUNIONNAME
#define DUMMYUNIONNAME1
#define DUMMYUNIONNAME2
#define DUMMYUNIONNAME3
#define DUMMYUNIONNAME4
#define DUMMYUNIONNAME5
#define DUMMYSTRUCTNAME
#define DUMMYSTRUCTNAME1
#define DUMMYSTRUCTNAME2
#define DUMMYSTRUCTNAME3
#define DUMMYSTRUCTNAME4
#define DUMMYSTRUCTNAME5

/* what <windows.h> defines (widl headers test these) */
#define _WINDEF_
#define _MINWINDEF_

/* <winapifamily.h>: every API partition is available (a desktop application) */
#define WINAPI_PARTITION_DESKTOP 0x1
#define WINAPI_PARTITION_APP 0x2
#define WINAPI_PARTITION_PC_APP 0x4
#define WINAPI_PARTITION_PHONE_APP 0x8
#define WINAPI_PARTITION_SYSTEM 0x10
#define WINAPI_PARTITION_GAMES 0x20
#define WINAPI_PARTITION_PHONE WINAPI_PARTITION_PHONE_APP
#define WINAPI_FAMILY_DESKTOP_APP 0x3f
#define WINAPI_FAMILY WINAPI_FAMILY_DESKTOP_APP
#define WINAPI_FAMILY_PARTITION(partitions) ((WINAPI_FAMILY & (partitions)) != 0)
#define WINAPI_FAMILY_ONE_PARTITION(family, partition) (((family) & (partition)) != 0)

/* mingw-w64's spelling of a 32-bit `long` */
#define __LONG32 int

/* the IDL basic types widl writes as such (<rpcndr.h> on Windows) */
#define __int8 char
#define __int16 short
#define __int32 int
#define __int64 long long
#define __int3264 long long
typedef unsigned char byte;
typedef unsigned char boolean;
typedef signed char small;
typedef long long hyper;
typedef unsigned long long MIDL_uhyper;
typedef double DOUBLE;

/* ------------------------------------------------------------------ basic types (LLP64) */

typedef void *PVOID, *LPVOID;
typedef const void *LPCVOID;
typedef char CHAR;
typedef unsigned char UCHAR, *PUCHAR;
typedef signed char INT8;
typedef unsigned char BYTE, UINT8, *PBYTE, *LPBYTE;
typedef uint16_t WCHAR, *PWCHAR;
typedef short SHORT, INT16;
typedef unsigned short USHORT, WORD, UINT16, *PWORD, *LPWORD;
typedef int32_t INT, LONG, INT32, LONG32, BOOL, WINBOOL, *PINT, *PLONG, *LPLONG, *PBOOL, *LPBOOL;
typedef uint32_t UINT, ULONG, DWORD, UINT32, ULONG32, DWORD32;
typedef uint32_t *PUINT, *PULONG, *LPDWORD, *PDWORD;
typedef unsigned char BOOLEAN, *PBOOLEAN;
typedef float FLOAT;
typedef int64_t LONGLONG, INT64, LONG64, *PLONGLONG;
typedef uint64_t ULONGLONG, UINT64, ULONG64, DWORD64, DWORDLONG, *PULONGLONG;
typedef int64_t INT_PTR, LONG_PTR, SSIZE_T, SHANDLE_PTR, *PINT_PTR, *PLONG_PTR;
typedef uint64_t UINT_PTR, ULONG_PTR, DWORD_PTR, SIZE_T, HANDLE_PTR, *PUINT_PTR, *PULONG_PTR;
typedef int32_t HALF_PTR;
typedef uint32_t UHALF_PTR;
typedef SIZE_T *PSIZE_T;
typedef CHAR *LPSTR, *PSTR;
typedef const CHAR *LPCSTR, *PCSTR;
typedef WCHAR *LPWSTR, *PWSTR;
typedef const WCHAR *LPCWSTR, *PCWSTR;
typedef LONG HRESULT;
typedef LONG SCODE;
typedef LONG NTSTATUS;
typedef DWORD LCID;
typedef WORD LANGID;
typedef DWORD ACCESS_MASK;
typedef ULONG_PTR KAFFINITY;
typedef UINT_PTR WPARAM;
typedef LONG_PTR LPARAM;
typedef LONG_PTR LRESULT;
typedef DWORD COLORREF, *LPCOLORREF;
typedef WORD ATOM;
typedef INT HFILE;

#define TRUE 1
#define FALSE 0
#ifndef NULL
#define NULL ((void *)0)
#endif

/* handles */
typedef void *HANDLE, **LPHANDLE, **PHANDLE;
#define DECLARE_HANDLE(name) typedef struct name##__ { int unused; } *name
DECLARE_HANDLE(HWND);
DECLARE_HANDLE(HINSTANCE);
DECLARE_HANDLE(HKEY);
DECLARE_HANDLE(HDC);
DECLARE_HANDLE(HGLRC);
DECLARE_HANDLE(HMENU);
DECLARE_HANDLE(HICON);
DECLARE_HANDLE(HACCEL);
DECLARE_HANDLE(HBRUSH);
DECLARE_HANDLE(HFONT);
DECLARE_HANDLE(HRGN);
DECLARE_HANDLE(HMONITOR);
DECLARE_HANDLE(HBITMAP);
DECLARE_HANDLE(HPALETTE);
DECLARE_HANDLE(HPEN);
DECLARE_HANDLE(HENHMETAFILE);
DECLARE_HANDLE(HMETAFILE);
DECLARE_HANDLE(HTASK);
DECLARE_HANDLE(HDESK);
DECLARE_HANDLE(HRSRC);
DECLARE_HANDLE(HSTR);
DECLARE_HANDLE(HWINSTA);
DECLARE_HANDLE(HKL);
DECLARE_HANDLE(HCOLORSPACE);
typedef HINSTANCE HMODULE;
typedef HICON HCURSOR;
typedef HANDLE HGLOBAL, HLOCAL, HGDIOBJ, HDWP, HMF, HEMF;
typedef HANDLE RPC_BINDING_HANDLE;
typedef void *RPC_IF_HANDLE;
typedef LONG RPC_STATUS;

/* ------------------------------------------------------------------ HRESULTs */

#define _HRESULT_TYPEDEF_(x) ((HRESULT)(x))
#define SUCCEEDED(hr) (((HRESULT)(hr)) >= 0)
#define FAILED(hr) (((HRESULT)(hr)) < 0)
#define MAKE_HRESULT(sev, fac, code) \
    ((HRESULT)(((unsigned long)(sev) << 31) | ((unsigned long)(fac) << 16) | ((unsigned long)(code))))
#define S_OK _HRESULT_TYPEDEF_(0)
#define S_FALSE _HRESULT_TYPEDEF_(1)
#define E_NOTIMPL _HRESULT_TYPEDEF_(0x80004001)
#define E_NOINTERFACE _HRESULT_TYPEDEF_(0x80004002)
#define E_POINTER _HRESULT_TYPEDEF_(0x80004003)
#define E_ABORT _HRESULT_TYPEDEF_(0x80004004)
#define E_FAIL _HRESULT_TYPEDEF_(0x80004005)
#define E_UNEXPECTED _HRESULT_TYPEDEF_(0x8000FFFF)
#define E_ACCESSDENIED _HRESULT_TYPEDEF_(0x80070005)
#define E_HANDLE _HRESULT_TYPEDEF_(0x80070006)
#define E_OUTOFMEMORY _HRESULT_TYPEDEF_(0x8007000E)
#define E_INVALIDARG _HRESULT_TYPEDEF_(0x80070057)
#define CLASS_E_NOAGGREGATION _HRESULT_TYPEDEF_(0x80040110)
#define CLASS_E_CLASSNOTAVAILABLE _HRESULT_TYPEDEF_(0x80040111)
#define DISP_E_MEMBERNOTFOUND _HRESULT_TYPEDEF_(0x80020003)
#define DISP_E_TYPEMISMATCH _HRESULT_TYPEDEF_(0x80020005)
#define DISP_E_BADINDEX _HRESULT_TYPEDEF_(0x8002000B)

/* ------------------------------------------------------------------ structures of windef.h,
 * winnt.h and winbase.h that widl's headers of the system IDL leave to <windows.h>
 * (the IDL declares them inside cpp_quote("#if 0")) */

typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    };
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    LONGLONG QuadPart;
} LARGE_INTEGER, *PLARGE_INTEGER;

typedef union _ULARGE_INTEGER {
    struct {
        DWORD LowPart;
        DWORD HighPart;
    };
    struct {
        DWORD LowPart;
        DWORD HighPart;
    } u;
    ULONGLONG QuadPart;
} ULARGE_INTEGER, *PULARGE_INTEGER;

typedef struct _LUID {
    DWORD LowPart;
    LONG HighPart;
} LUID, *PLUID;

typedef struct _RECTL {
    LONG left;
    LONG top;
    LONG right;
    LONG bottom;
} RECTL, *PRECTL, *LPRECTL;
typedef const RECTL *LPCRECTL;

typedef struct tagRECT {
    LONG left;
    LONG top;
    LONG right;
    LONG bottom;
} RECT, *PRECT, *LPRECT;
typedef const RECT *LPCRECT;

typedef struct tagPOINT {
    LONG x;
    LONG y;
} POINT, *PPOINT, *LPPOINT;

typedef struct _POINTL {
    LONG x;
    LONG y;
} POINTL, *PPOINTL;

typedef struct tagSIZE {
    LONG cx;
    LONG cy;
} SIZE, *PSIZE, *LPSIZE;
typedef SIZE SIZEL, *PSIZEL, *LPSIZEL;

typedef struct tagMSG {
    HWND hwnd;
    UINT message;
    WPARAM wParam;
    LPARAM lParam;
    DWORD time;
    POINT pt;
} MSG, *PMSG, *NPMSG, *LPMSG;

typedef struct _FILETIME {
    DWORD dwLowDateTime;
    DWORD dwHighDateTime;
} FILETIME, *PFILETIME, *LPFILETIME;
#define _FILETIME_

typedef struct _SYSTEMTIME {
    WORD wYear;
    WORD wMonth;
    WORD wDayOfWeek;
    WORD wDay;
    WORD wHour;
    WORD wMinute;
    WORD wSecond;
    WORD wMilliseconds;
} SYSTEMTIME, *PSYSTEMTIME, *LPSYSTEMTIME;
#define _SYSTEMTIME_

typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    WINBOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;
#define _SECURITY_ATTRIBUTES_

typedef PVOID PSECURITY_DESCRIPTOR;
typedef PVOID PSID;
typedef struct _RPC_MESSAGE *PRPC_MESSAGE;
typedef struct _MIDL_STUB_MESSAGE *PMIDL_STUB_MESSAGE;

/* ------------------------------------------------------------------ GUIDs (<guiddef.h>) */

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;
#endif
typedef GUID *LPGUID;
typedef const GUID *LPCGUID;
typedef GUID IID, *LPIID;
typedef GUID CLSID, *LPCLSID;
typedef GUID FMTID, *LPFMTID;
typedef GUID UUID;
#define REFGUID const GUID *const
#define REFIID const IID *const
#define REFCLSID const IID *const
#define REFFMTID const IID *const
#define __REFGUID_DEFINED__
#define __REFIID_DEFINED__
#define __REFCLSID_DEFINED__
#define __REFFMTID_DEFINED__
#define __LPGUID_DEFINED__
#define __IID_DEFINED__
#define CLSID_DEFINED
#define FMTID_DEFINED
#define _REFGUID_DEFINED
#define _REFIID_DEFINED
#define _REFCLSID_DEFINED
#define _REFFMTID_DEFINED

#ifdef INITGUID
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) \
    const GUID name = {l, w1, w2, {b1, b2, b3, b4, b5, b6, b7, b8}}
#else
#define DEFINE_GUID(name, l, w1, w2, b1, b2, b3, b4, b5, b6, b7, b8) extern const GUID name
#endif
#define DEFINE_OLEGUID(name, l, w1, w2) \
    DEFINE_GUID(name, l, w1, w2, 0xC0, 0, 0, 0, 0, 0, 0, 0x46)
#define IsEqualGUID(a, b) (!memcmp((a), (b), sizeof(GUID)))
#define IsEqualIID(a, b) IsEqualGUID(a, b)
#define IsEqualCLSID(a, b) IsEqualGUID(a, b)

#endif /* IDLGEN_WINDOWS_H */
