/* Native code that uses Python objects: the other half of tests/native's C test library.
 *
 * Linked with testobj.c into one library (its memory functions and object counter are
 * shared).  Compiled with the project's Windows-types shim (idlgen/runtime/native/include,
 * <windows.h>), and with -DIDLGEN_MS_ABI for the __attribute__((ms_abi)) build; the OLE
 * Automation types are declared here with their Windows layout.
 *
 *   TestSource   an event source: IConnectionPointContainer, a connection point for the
 *                dispinterface DTestEvents (fired through IDispatch::Invoke) and one for the
 *                vtable interface ITestEvents; ITestSource fires them.
 *   TestSink     an event sink of both (IDispatch and ITestEvents); ITestSink tells what came.
 *   DriveObject / DriveDispatch
 *                call a Python implementation of ITestObject by vtable, of ITestDual by
 *                GetIDsOfNames/Invoke, and check every result: 0, or the number of the first
 *                check that failed.
 *   ConnectSink / DisconnectSink, CountRefs, Hold / Drop / CallDropped
 *                connection points of any source, reference counts, a call after the last
 *                Release.
 */
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))
#define METHOD(type) type STDMETHODCALLTYPE

typedef WCHAR OLECHAR;
typedef OLECHAR *BSTR;
typedef short VARIANT_BOOL;
typedef LONG DISPID;
typedef double DATE;
typedef int64_t CY;

#define VARIANT_TRUE ((VARIANT_BOOL)-1)
#define VARIANT_FALSE ((VARIANT_BOOL)0)
#define DISPID_PROPERTYPUT (-3)
#define DISPID_UNKNOWN (-1)
#define DISP_E_UNKNOWNINTERFACE ((HRESULT)0x80020001)
#define DISP_E_PARAMNOTFOUND ((HRESULT)0x80020004)
#define DISP_E_UNKNOWNNAME ((HRESULT)0x80020006)
#define DISP_E_EXCEPTION ((HRESULT)0x80020009)
#define DISP_E_BADPARAMCOUNT ((HRESULT)0x8002000E)
#define CONNECT_E_NOCONNECTION ((HRESULT)0x80040200)
#define CONNECT_E_ADVISELIMIT ((HRESULT)0x80040201)
#define CONNECT_E_CANNOTCONNECT ((HRESULT)0x80040202)

#include "testtypes.h"

/* testobj.c */
BSTR STDMETHODCALLTYPE SysAllocStringLen(const WCHAR *text, ULONG length);
void STDMETHODCALLTYPE SysFreeString(BSTR text);
void STDMETHODCALLTYPE CoTaskMemFree(void *memory);
SAFEARRAY *STDMETHODCALLTYPE SafeArrayCreateVector(USHORT vt, LONG lbound, ULONG count);
HRESULT STDMETHODCALLTYPE SafeArrayDestroyData(SAFEARRAY *sa);
HRESULT STDMETHODCALLTYPE SafeArrayDestroyDescriptor(SAFEARRAY *sa);
void testobj_count_object(LONG delta);

static const GUID IID_NULL_ = {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}};
static const GUID IID_IUnknown_ = {0x00000000, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_IDispatch_ = {0x00020400, 0, 0, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_IConnectionPointContainer_ = {0xB196B284, 0xBAB4, 0x101A,
                                                    {0xB6, 0x9C, 0x00, 0xAA, 0x00, 0x34, 0x1D, 0x07}};
static const GUID IID_IConnectionPoint_ = {0xB196B286, 0xBAB4, 0x101A,
                                           {0xB6, 0x9C, 0x00, 0xAA, 0x00, 0x34, 0x1D, 0x07}};
#define TEST_GUID(last) {0x6f9a3c1e, 0x0d7b, 0x4b7e, {0x9c, 0x55, 0x1b, 0x0f, 0x0a, 0x9e, 0x2c, last}}
static const GUID IID_ITestObject_ = TEST_GUID(0x01);
static const GUID IID_ITestDual_ = TEST_GUID(0x02);
static const GUID DIID_DTestEvents_ = TEST_GUID(0x04);
static const GUID IID_ITestEvents_ = TEST_GUID(0x05);
static const GUID IID_ITestSource_ = TEST_GUID(0x06);
static const GUID IID_ITestSink_ = TEST_GUID(0x07);

/* ------------------------------------------------------------------ interfaces */

typedef struct Object { const void *const *lpVtbl; } Object; /* any interface pointer */

typedef struct IUnknownVtbl {
    HRESULT (STDMETHODCALLTYPE *QueryInterface)(void *, REFIID, void **);
    ULONG (STDMETHODCALLTYPE *AddRef)(void *);
    ULONG (STDMETHODCALLTYPE *Release)(void *);
} IUnknownVtbl;

typedef struct IDispatchVtbl {
    IUnknownVtbl unknown;
    HRESULT (STDMETHODCALLTYPE *GetTypeInfoCount)(void *, UINT *);
    HRESULT (STDMETHODCALLTYPE *GetTypeInfo)(void *, UINT, LCID, void **);
    HRESULT (STDMETHODCALLTYPE *GetIDsOfNames)(void *, REFIID, OLECHAR **, UINT, LCID, DISPID *);
    HRESULT (STDMETHODCALLTYPE *Invoke)(void *, DISPID, REFIID, LCID, WORD, DISPPARAMS *,
                                        VARIANT *, EXCEPINFO *, UINT *);
} IDispatchVtbl;

typedef struct ITestDualVtbl {
    IDispatchVtbl dispatch;
    HRESULT (STDMETHODCALLTYPE *get_Value)(void *, LONG *);
    HRESULT (STDMETHODCALLTYPE *put_Value)(void *, LONG);
    HRESULT (STDMETHODCALLTYPE *Twice)(void *, LONG, LONG *);
} ITestDualVtbl;

typedef struct IConnectionPointContainerVtbl {
    IUnknownVtbl unknown;
    HRESULT (STDMETHODCALLTYPE *EnumConnectionPoints)(void *, void **);
    HRESULT (STDMETHODCALLTYPE *FindConnectionPoint)(void *, REFIID, void **);
} IConnectionPointContainerVtbl;

typedef struct IConnectionPointVtbl {
    IUnknownVtbl unknown;
    HRESULT (STDMETHODCALLTYPE *GetConnectionInterface)(void *, IID *);
    HRESULT (STDMETHODCALLTYPE *GetConnectionPointContainer)(void *, void **);
    HRESULT (STDMETHODCALLTYPE *Advise)(void *, void *, DWORD *);
    HRESULT (STDMETHODCALLTYPE *Unadvise)(void *, DWORD);
    HRESULT (STDMETHODCALLTYPE *EnumConnections)(void *, void **);
} IConnectionPointVtbl;

typedef struct ITestEventsVtbl {
    IUnknownVtbl unknown;
    HRESULT (STDMETHODCALLTYPE *OnTick)(void *, LONG, BSTR, LONG *);
} ITestEventsVtbl;

typedef struct ITestSourceVtbl {
    IUnknownVtbl unknown;
    HRESULT (STDMETHODCALLTYPE *Fire)(void *, LONG, BSTR, LONG *);
    HRESULT (STDMETHODCALLTYPE *Tick)(void *, LONG, BSTR, LONG *);
    HRESULT (STDMETHODCALLTYPE *Ping)(void *, void *);
    HRESULT (STDMETHODCALLTYPE *SinkCount)(void *, LONG *);
} ITestSourceVtbl;

typedef struct ITestSinkVtbl {
    IUnknownVtbl unknown;
    HRESULT (STDMETHODCALLTYPE *Received)(void *, LONG *, LONG *, BSTR *);
} ITestSinkVtbl;

typedef struct ITestObjectVtbl {
    IUnknownVtbl unknown;
    HRESULT (STDMETHODCALLTYPE *EchoInts)(void *, signed char, BYTE, SHORT, USHORT, LONG, ULONG,
                                          LONGLONG, ULONGLONG, signed char *, BYTE *, SHORT *,
                                          USHORT *, LONG *, ULONG *, LONGLONG *, ULONGLONG *);
    HRESULT (STDMETHODCALLTYPE *Floats)(void *, float, double, float *, double *);
    HRESULT (STDMETHODCALLTYPE *Bools)(void *, BOOL, boolean, VARIANT_BOOL, BOOL *, boolean *,
                                       VARIANT_BOOL *);
    HRESULT (STDMETHODCALLTYPE *Fail)(void *, HRESULT);
    LONG (STDMETHODCALLTYPE *Increment)(void *, LONG);
    double (STDMETHODCALLTYPE *Half)(void *, double);
    HRESULT (STDMETHODCALLTYPE *Guids)(void *, REFIID, GUID, GUID *);
    HRESULT (STDMETHODCALLTYPE *Strings)(void *, const WCHAR *, const char *, const WCHAR *,
                                         WCHAR **, char **);
    HRESULT (STDMETHODCALLTYPE *Bstrs)(void *, BSTR, BSTR *, BSTR *, LONG *);
    HRESULT (STDMETHODCALLTYPE *Variants)(void *, VARIANT, VARIANT *, VARIANT *, VARIANT *);
    HRESULT (STDMETHODCALLTYPE *SafeArrays)(void *, SAFEARRAY *, SAFEARRAY *, SAFEARRAY **,
                                            SAFEARRAY **);
    HRESULT (STDMETHODCALLTYPE *Structs)(void *, TPoint, TRect, const TRect *, TRect *, TPoint *,
                                         TMixed *);
    HRESULT (STDMETHODCALLTYPE *Named)(void *, const TNamed *, LONG *);
    TRect *(STDMETHODCALLTYPE *Bounds)(void *, TRect *, LONG);
    TPoint *(STDMETHODCALLTYPE *Origin)(void *, TPoint *, LONG);
    HRESULT (STDMETHODCALLTYPE *Unions)(void *, LONG, TValue, double *);
    HRESULT (STDMETHODCALLTYPE *Arrays)(void *, LONG *, ULONG, const LONG *, LONG *, ULONG *);
    HRESULT (STDMETHODCALLTYPE *Interfaces)(void *, void *, void **, REFIID, void **);
    HRESULT (STDMETHODCALLTYPE *Swap)(void *, void **);
    HRESULT (STDMETHODCALLTYPE *RefCount)(void *, LONG *);
    HRESULT (STDMETHODCALLTYPE *get_Name)(void *, BSTR *);
    HRESULT (STDMETHODCALLTYPE *put_Name)(void *, BSTR);
    HRESULT (STDMETHODCALLTYPE *get_Item)(void *, LONG, LONG *);
    HRESULT (STDMETHODCALLTYPE *put_Item)(void *, LONG, LONG);
    HRESULT (STDMETHODCALLTYPE *Optional)(void *, LONG, VARIANT, LONG, LONG *);
    HRESULT (STDMETHODCALLTYPE *Money)(void *, DATE, CY, DECIMAL, DATE *, CY *, DECIMAL *);
} ITestObjectVtbl;

#define VT(obj, type) ((const type *)((Object *)(obj))->lpVtbl)
#define UNK(obj) VT(obj, IUnknownVtbl)

static int same(const GUID *a, const GUID *b) { return IsEqualGUID(a, b); }

static BSTR bstr(const char *text)
{
    size_t n = strlen(text);
    BSTR out = SysAllocStringLen(NULL, (ULONG)n);
    for (size_t i = 0; i < n; i++) out[i] = (WCHAR)(unsigned char)text[i];
    return out;
}

static ULONG bstr_len(BSTR text) { return text ? ((uint32_t *)text)[-1] / 2 : 0; }

static int wide_equals(const WCHAR *text, const char *expected)
{
    if (!text) return 0;
    size_t i = 0;
    for (; expected[i]; i++)
        if (text[i] != (WCHAR)(unsigned char)expected[i]) return 0;
    return text[i] == 0;
}

static int bstr_equals(BSTR text, const char *expected)
{
    return bstr_len(text) == strlen(expected) && wide_equals(text, expected);
}

static void variant_clear(VARIANT *v)
{
    if (v->vt == VT_BSTR) SysFreeString(v->bstrVal);
    else if ((v->vt == VT_UNKNOWN || v->vt == VT_DISPATCH) && v->punkVal)
        UNK(v->punkVal)->Release(v->punkVal);
    memset(v, 0, sizeof *v);
}

static void destroy_array(SAFEARRAY *sa, USHORT vt)
{
    if (!sa) return;
    for (ULONG i = 0; i < sa->rgsabound[0].cElements; i++) {
        if (vt == VT_BSTR) SysFreeString(((BSTR *)sa->pvData)[i]);
        if (vt == VT_VARIANT) variant_clear(&((VARIANT *)sa->pvData)[i]);
    }
    SafeArrayDestroyData(sa);
    SafeArrayDestroyDescriptor(sa);
}

static void free_excepinfo(EXCEPINFO *info)
{
    SysFreeString(info->bstrSource);
    SysFreeString(info->bstrDescription);
    SysFreeString(info->bstrHelpFile);
    memset(info, 0, sizeof *info);
}

/* ------------------------------------------------------------------ TestSource */

#define MAX_SINKS 4

typedef struct Source Source;
typedef struct Point {
    const IConnectionPointVtbl *lpVtbl;
    Source *owner;
    const GUID *iid;
    void *sinks[MAX_SINKS];
} Point;

struct Source {
    const ITestSourceVtbl *lpVtbl;
    const IConnectionPointContainerVtbl *container;
    Point points[2]; /* DTestEvents, ITestEvents */
    LONG refs;
};

static Source *source_of_container(void *iface)
{
    return (Source *)((char *)iface - offsetof(Source, container));
}

static HRESULT source_query(Source *s, REFIID riid, void **out)
{
    if (!out) return E_POINTER;
    *out = NULL;
    if (same(riid, &IID_IUnknown_) || same(riid, &IID_ITestSource_)) *out = s;
    else if (same(riid, &IID_IConnectionPointContainer_)) *out = &s->container;
    else return E_NOINTERFACE;
    s->refs++;
    return S_OK;
}

static ULONG source_release(Source *s)
{
    LONG refs = --s->refs;
    if (!refs) {
        for (int p = 0; p < 2; p++)
            for (int i = 0; i < MAX_SINKS; i++)
                if (s->points[p].sinks[i]) UNK(s->points[p].sinks[i])->Release(s->points[p].sinks[i]);
        free(s);
        testobj_count_object(-1);
    }
    return (ULONG)refs;
}

static METHOD(HRESULT) src_QueryInterface(void *self, REFIID riid, void **out)
{
    return source_query(self, riid, out);
}
static METHOD(ULONG) src_AddRef(void *self) { return (ULONG)++((Source *)self)->refs; }
static METHOD(ULONG) src_Release(void *self) { return source_release(self); }

/* OnValue(value, text, &handled) to every DTestEvents sink */
static METHOD(HRESULT) src_Fire(void *self, LONG value, BSTR text, LONG *handled)
{
    Point *point = &((Source *)self)->points[0];
    LONG count = 0;
    for (int i = 0; i < MAX_SINKS; i++) {
        void *sink = point->sinks[i];
        if (!sink) continue;
        VARIANT_BOOL flag = VARIANT_FALSE;
        VARIANT args[3];
        memset(args, 0, sizeof args);
        args[2].vt = VT_I4;
        args[2].lVal = value;
        args[1].vt = VT_BSTR;
        args[1].bstrVal = text;
        args[0].vt = VT_BYREF | VT_BOOL;
        args[0].byref = &flag;
        DISPPARAMS params = {args, NULL, 3, 0};
        HRESULT hr = VT(sink, IDispatchVtbl)->Invoke(sink, 1, &IID_NULL_, 0, DISPATCH_METHOD,
                                                     &params, NULL, NULL, NULL);
        if (FAILED(hr)) return hr;
        if (flag == VARIANT_TRUE) count++;
    }
    *handled = count;
    return S_OK;
}

/* OnTick(n, label, &doubled) to every ITestEvents sink */
static METHOD(HRESULT) src_Tick(void *self, LONG n, BSTR label, LONG *total)
{
    Point *point = &((Source *)self)->points[1];
    LONG sum = 0;
    for (int i = 0; i < MAX_SINKS; i++) {
        void *sink = point->sinks[i];
        if (!sink) continue;
        LONG doubled = -1;
        HRESULT hr = VT(sink, ITestEventsVtbl)->OnTick(sink, n, label, &doubled);
        if (FAILED(hr)) return hr;
        sum += doubled;
    }
    *total = sum;
    return S_OK;
}

/* OnObject(sender) and OnNothing() to every DTestEvents sink; a failure's EXCEPINFO scode */
static METHOD(HRESULT) src_Ping(void *self, void *sender)
{
    Point *point = &((Source *)self)->points[0];
    for (int i = 0; i < MAX_SINKS; i++) {
        void *sink = point->sinks[i];
        if (!sink) continue;
        VARIANT arg, result;
        memset(&arg, 0, sizeof arg);
        memset(&result, 0, sizeof result);
        arg.vt = VT_DISPATCH;
        arg.punkVal = sender;
        DISPPARAMS one = {&arg, NULL, 1, 0}, none = {NULL, NULL, 0, 0};
        EXCEPINFO info;
        memset(&info, 0, sizeof info);
        UINT bad = 99;
        HRESULT hr = VT(sink, IDispatchVtbl)->Invoke(sink, 2, &IID_NULL_, 0, DISPATCH_METHOD, &one,
                                                     &result, &info, &bad);
        if (hr == DISP_E_EXCEPTION) {
            hr = info.scode;
            int described = bstr_len(info.bstrDescription) > 0;
            free_excepinfo(&info);
            return described ? hr : E_UNEXPECTED;
        }
        if (FAILED(hr)) return hr;
        if (result.vt != VT_EMPTY) return E_UNEXPECTED;
        hr = VT(sink, IDispatchVtbl)->Invoke(sink, 3, &IID_NULL_, 0, DISPATCH_METHOD, &none, NULL,
                                             NULL, NULL);
        if (FAILED(hr)) return hr;
    }
    return S_OK;
}

static METHOD(HRESULT) src_SinkCount(void *self, LONG *count)
{
    Source *s = self;
    LONG n = 0;
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < MAX_SINKS; i++) n += s->points[p].sinks[i] != NULL;
    *count = n;
    return S_OK;
}

static const ITestSourceVtbl source_vtbl = {
    {src_QueryInterface, src_AddRef, src_Release}, src_Fire, src_Tick, src_Ping, src_SinkCount,
};

static METHOD(HRESULT) cpc_QueryInterface(void *self, REFIID riid, void **out)
{
    return source_query(source_of_container(self), riid, out);
}
static METHOD(ULONG) cpc_AddRef(void *self) { return (ULONG)++source_of_container(self)->refs; }
static METHOD(ULONG) cpc_Release(void *self) { return source_release(source_of_container(self)); }
static METHOD(HRESULT) cpc_EnumConnectionPoints(void *self, void **out)
{
    *out = NULL;
    return E_NOTIMPL;
}
static METHOD(HRESULT) cpc_FindConnectionPoint(void *self, REFIID riid, void **out)
{
    Source *s = source_of_container(self);
    if (!out) return E_POINTER;
    *out = NULL;
    for (int p = 0; p < 2; p++)
        if (same(riid, s->points[p].iid)) {
            *out = &s->points[p];
            s->refs++;
            return S_OK;
        }
    return CONNECT_E_NOCONNECTION;
}

static const IConnectionPointContainerVtbl container_vtbl = {
    {cpc_QueryInterface, cpc_AddRef, cpc_Release}, cpc_EnumConnectionPoints,
    cpc_FindConnectionPoint,
};

static METHOD(HRESULT) cp_QueryInterface(void *self, REFIID riid, void **out)
{
    Point *point = self;
    if (!out) return E_POINTER;
    *out = NULL;
    if (!same(riid, &IID_IUnknown_) && !same(riid, &IID_IConnectionPoint_)) return E_NOINTERFACE;
    *out = point;
    point->owner->refs++;
    return S_OK;
}
static METHOD(ULONG) cp_AddRef(void *self) { return (ULONG)++((Point *)self)->owner->refs; }
static METHOD(ULONG) cp_Release(void *self) { return source_release(((Point *)self)->owner); }
static METHOD(HRESULT) cp_GetConnectionInterface(void *self, IID *iid)
{
    *iid = *((Point *)self)->iid;
    return S_OK;
}
static METHOD(HRESULT) cp_GetConnectionPointContainer(void *self, void **out)
{
    Source *s = ((Point *)self)->owner;
    *out = &s->container;
    s->refs++;
    return S_OK;
}
static METHOD(HRESULT) cp_Advise(void *self, void *unknown, DWORD *cookie)
{
    Point *point = self;
    void *sink = NULL;
    *cookie = 0;
    if (!unknown) return E_POINTER;
    if (FAILED(UNK(unknown)->QueryInterface(unknown, point->iid, &sink)) || !sink)
        return CONNECT_E_CANNOTCONNECT;
    for (int i = 0; i < MAX_SINKS; i++)
        if (!point->sinks[i]) {
            point->sinks[i] = sink;
            *cookie = (DWORD)i + 1;
            return S_OK;
        }
    UNK(sink)->Release(sink);
    return CONNECT_E_ADVISELIMIT;
}
static METHOD(HRESULT) cp_Unadvise(void *self, DWORD cookie)
{
    Point *point = self;
    if (cookie < 1 || cookie > MAX_SINKS || !point->sinks[cookie - 1]) return CONNECT_E_NOCONNECTION;
    void *sink = point->sinks[cookie - 1];
    point->sinks[cookie - 1] = NULL;
    UNK(sink)->Release(sink);
    return S_OK;
}
static METHOD(HRESULT) cp_EnumConnections(void *self, void **out)
{
    *out = NULL;
    return E_NOTIMPL;
}

static const IConnectionPointVtbl point_vtbl = {
    {cp_QueryInterface, cp_AddRef, cp_Release}, cp_GetConnectionInterface,
    cp_GetConnectionPointContainer, cp_Advise, cp_Unadvise, cp_EnumConnections,
};

EXPORT HRESULT WINAPI CreateTestSource(REFIID riid, void **out)
{
    Source *s = calloc(1, sizeof *s);
    s->lpVtbl = &source_vtbl;
    s->container = &container_vtbl;
    for (int p = 0; p < 2; p++) {
        s->points[p].lpVtbl = &point_vtbl;
        s->points[p].owner = s;
    }
    s->points[0].iid = &DIID_DTestEvents_;
    s->points[1].iid = &IID_ITestEvents_;
    s->refs = 1;
    testobj_count_object(1);
    HRESULT hr = source_query(s, riid, out);
    source_release(s);
    return hr;
}

/* ------------------------------------------------------------------ TestSink */

typedef struct Sink {
    const ITestSinkVtbl *lpVtbl;
    const IDispatchVtbl *dispatch;
    const ITestEventsVtbl *events;
    LONG refs, count, last_value;
    BSTR last_text;
} Sink;

static Sink *sink_of_dispatch(void *iface)
{
    return (Sink *)((char *)iface - offsetof(Sink, dispatch));
}
static Sink *sink_of_events(void *iface) { return (Sink *)((char *)iface - offsetof(Sink, events)); }

static HRESULT sink_query(Sink *s, REFIID riid, void **out)
{
    if (!out) return E_POINTER;
    *out = NULL;
    if (same(riid, &IID_IUnknown_) || same(riid, &IID_ITestSink_)) *out = s;
    else if (same(riid, &IID_IDispatch_) || same(riid, &DIID_DTestEvents_)) *out = &s->dispatch;
    else if (same(riid, &IID_ITestEvents_)) *out = &s->events;
    else return E_NOINTERFACE;
    s->refs++;
    return S_OK;
}

static ULONG sink_release(Sink *s)
{
    LONG refs = --s->refs;
    if (!refs) {
        SysFreeString(s->last_text);
        free(s);
        testobj_count_object(-1);
    }
    return (ULONG)refs;
}

static void sink_record(Sink *s, LONG value, BSTR text)
{
    s->count++;
    s->last_value = value;
    SysFreeString(s->last_text);
    s->last_text = text ? SysAllocStringLen(text, bstr_len(text)) : NULL;
}

static METHOD(HRESULT) snk_QueryInterface(void *self, REFIID riid, void **out)
{
    return sink_query(self, riid, out);
}
static METHOD(ULONG) snk_AddRef(void *self) { return (ULONG)++((Sink *)self)->refs; }
static METHOD(ULONG) snk_Release(void *self) { return sink_release(self); }
static METHOD(HRESULT) snk_Received(void *self, LONG *events, LONG *last_value, BSTR *last_text)
{
    Sink *s = self;
    *events = s->count;
    *last_value = s->last_value;
    *last_text = SysAllocStringLen(s->last_text, bstr_len(s->last_text));
    return S_OK;
}

static const ITestSinkVtbl sink_vtbl = {{snk_QueryInterface, snk_AddRef, snk_Release}, snk_Received};

static METHOD(HRESULT) sd_QueryInterface(void *self, REFIID riid, void **out)
{
    return sink_query(sink_of_dispatch(self), riid, out);
}
static METHOD(ULONG) sd_AddRef(void *self) { return (ULONG)++sink_of_dispatch(self)->refs; }
static METHOD(ULONG) sd_Release(void *self) { return sink_release(sink_of_dispatch(self)); }
static METHOD(HRESULT) sd_GetTypeInfoCount(void *self, UINT *count)
{
    *count = 0;
    return S_OK;
}
static METHOD(HRESULT) sd_GetTypeInfo(void *self, UINT index, LCID lcid, void **info)
{
    *info = NULL;
    return E_NOTIMPL;
}
static METHOD(HRESULT) sd_GetIDsOfNames(void *self, REFIID riid, OLECHAR **names, UINT count,
                                        LCID lcid, DISPID *ids)
{
    HRESULT hr = S_OK;
    for (UINT i = 0; i < count; i++) {
        ids[i] = wide_equals(names[i], "OnValue")    ? 1
                 : wide_equals(names[i], "OnObject") ? 2
                 : wide_equals(names[i], "OnNothing") ? 3
                                                      : DISPID_UNKNOWN;
        if (ids[i] == DISPID_UNKNOWN) hr = DISP_E_UNKNOWNNAME;
    }
    return hr;
}
/* DTestEvents by Invoke: OnValue sets *handled for an even value */
static METHOD(HRESULT) sd_Invoke(void *self, DISPID id, REFIID riid, LCID lcid, WORD flags,
                                 DISPPARAMS *params, VARIANT *result, EXCEPINFO *info, UINT *bad)
{
    Sink *s = sink_of_dispatch(self);
    if (!same(riid, &IID_NULL_)) return DISP_E_UNKNOWNINTERFACE;
    if (id == 1) {
        if (params->cArgs != 3) return DISP_E_BADPARAMCOUNT;
        VARIANT *args = params->rgvarg;
        if (args[2].vt != VT_I4 || args[1].vt != VT_BSTR || args[0].vt != (VT_BYREF | VT_BOOL)) {
            *bad = args[2].vt != VT_I4 ? 2 : args[1].vt != VT_BSTR ? 1 : 0;
            return 0x80020005; /* DISP_E_TYPEMISMATCH */
        }
        sink_record(s, args[2].lVal, args[1].bstrVal);
        if (args[2].lVal % 2 == 0) *(VARIANT_BOOL *)args[0].byref = VARIANT_TRUE;
        return S_OK;
    }
    if (id == 2 || id == 3) {
        if (params->cArgs != (id == 2 ? 1u : 0u)) return DISP_E_BADPARAMCOUNT;
        sink_record(s, id == 2 ? (params->rgvarg[0].vt == VT_DISPATCH) : -1, NULL);
        return S_OK;
    }
    return 0x80020003; /* DISP_E_MEMBERNOTFOUND */
}

static const IDispatchVtbl sink_dispatch_vtbl = {
    {sd_QueryInterface, sd_AddRef, sd_Release}, sd_GetTypeInfoCount, sd_GetTypeInfo,
    sd_GetIDsOfNames, sd_Invoke,
};

static METHOD(HRESULT) se_QueryInterface(void *self, REFIID riid, void **out)
{
    return sink_query(sink_of_events(self), riid, out);
}
static METHOD(ULONG) se_AddRef(void *self) { return (ULONG)++sink_of_events(self)->refs; }
static METHOD(ULONG) se_Release(void *self) { return sink_release(sink_of_events(self)); }
static METHOD(HRESULT) se_OnTick(void *self, LONG n, BSTR label, LONG *doubled)
{
    sink_record(sink_of_events(self), n, label);
    *doubled = 2 * n;
    return n < 0 ? E_INVALIDARG : S_OK;
}

static const ITestEventsVtbl sink_events_vtbl = {{se_QueryInterface, se_AddRef, se_Release},
                                                 se_OnTick};

EXPORT HRESULT WINAPI CreateTestSink(REFIID riid, void **out)
{
    Sink *s = calloc(1, sizeof *s);
    s->lpVtbl = &sink_vtbl;
    s->dispatch = &sink_dispatch_vtbl;
    s->events = &sink_events_vtbl;
    s->refs = 1;
    testobj_count_object(1);
    HRESULT hr = sink_query(s, riid, out);
    sink_release(s);
    return hr;
}

/* ------------------------------------------------------------------ driving Python objects */

#define CHECK(n, condition) do { if (!(condition)) { failed = (n); goto done; } } while (0)

/* Every method of a Python ITestObject that behaves like testobj.c's (implementations.py) */
EXPORT LONG WINAPI DriveObject(void *o)
{
    const ITestObjectVtbl *v = VT(o, ITestObjectVtbl);
    LONG failed = 0;
    BSTR b1 = NULL, b2 = NULL, b3 = NULL;
    WCHAR *w = NULL;
    char *n = NULL;
    SAFEARRAY *numbers = NULL, *words = NULL, *doubled = NULL, *mixed = NULL;
    VARIANT value, by_ref, described, twice;
    void *clone = NULL, *asked = NULL, *swapped = NULL;
    memset(&described, 0, sizeof described);
    memset(&twice, 0, sizeof twice);

    /* 1: integers of every width, out */
    {
        signed char oa; BYTE ob; SHORT oc; USHORT od; LONG oe; ULONG of; LONGLONG og; ULONGLONG oh;
        CHECK(1, v->EchoInts(o, -5, 250, -300, 60000, -70000, 4000000000u, -5000000000000LL,
                             10000000000000000000ULL, &oa, &ob, &oc, &od, &oe, &of, &og, &oh) == S_OK);
        CHECK(2, oa == -5 && ob == 250 && oc == -300 && od == 60000 && oe == -70000 &&
                     of == 4000000000u && og == -5000000000000LL && oh == 10000000000000000000ULL);
    }
    /* 3: floats, and a [retval] */
    {
        float tf = 0; double td = 0;
        CHECK(3, v->Floats(o, 1.5f, 2.25, &tf, &td) == S_OK && tf == 3.0f && td == 4.5);
    }
    /* 4: BOOL, boolean, VARIANT_BOOL */
    {
        BOOL na = 7; boolean nb = 7; VARIANT_BOOL nc = 7;
        CHECK(4, v->Bools(o, TRUE, 0, VARIANT_TRUE, &na, &nb, &nc) == S_OK && na == 0 && nb == 1 &&
                     nc == VARIANT_FALSE);
    }
    /* 5: a COMError is its HRESULT; 6: other exceptions E_FAIL */
    CHECK(5, v->Fail(o, E_INVALIDARG) == E_INVALIDARG && v->Fail(o, S_OK) == S_OK);
    CHECK(6, v->Fail(o, 1) == E_FAIL);
    /* 7: results that are no HRESULT */
    CHECK(7, v->Increment(o, 41) == 42 && v->Half(o, 5.0) == 2.5);
    /* 8: REFIID and GUID by value */
    {
        GUID xored;
        memset(&xored, 0xAA, sizeof xored);
        CHECK(8, v->Guids(o, &IID_ITestObject_, IID_ITestDual_, &xored) == S_OK);
        const BYTE *x = (const BYTE *)&xored;
        for (int i = 0; i < 16; i++)
            CHECK(8, x[i] == (((const BYTE *)&IID_ITestObject_)[i] ^ ((const BYTE *)&IID_ITestDual_)[i]));
    }
    /* 9: strings in, CoTaskMemAlloc'ed strings out */
    {
        static const WCHAR abc[] = {'a', 'b', 'c', 0}, ole[] = {'O', 'l', 'e', 0};
        CHECK(9, v->Strings(o, abc, "xyz", ole, &w, &n) == S_OK);
        CHECK(10, wide_equals(w, "ABC|Ole") && n && !strcmp(n, "XYZ"));
    }
    /* 11: BSTR in, out, in-out (the old one freed by the callee), retval */
    {
        LONG length = 0;
        b1 = bstr("hello");
        b3 = bstr("abc");
        CHECK(11, v->Bstrs(o, b1, &b2, &b3, &length) == S_OK);
        CHECK(12, bstr_equals(b2, "hello!") && bstr_equals(b3, "cba") && length == 5);
    }
    /* 13: VARIANT by value and by pointer in, out, retval */
    memset(&value, 0, sizeof value);
    memset(&by_ref, 0, sizeof by_ref);
    value.vt = VT_I4; value.lVal = 21;
    by_ref.vt = VT_I4; by_ref.lVal = 1;
    CHECK(13, v->Variants(o, value, &by_ref, &described, &twice) == S_OK);
    CHECK(14, described.vt == VT_BSTR && bstr_equals(described.bstrVal, "I4:21") &&
                  twice.vt == VT_I4 && twice.lVal == 43);
    /* 15: SAFEARRAYs in, out (made with this library's SafeArrayCreateVector) */
    {
        numbers = SafeArrayCreateVector(VT_I4, 0, 3);
        for (LONG i = 0; i < 3; i++) ((LONG *)numbers->pvData)[i] = i + 1;
        words = SafeArrayCreateVector(VT_BSTR, 0, 2);
        ((BSTR *)words->pvData)[0] = bstr("a");
        ((BSTR *)words->pvData)[1] = bstr("b");
        CHECK(15, v->SafeArrays(o, numbers, words, &doubled, &mixed) == S_OK && doubled && mixed);
        const LONG *d = doubled->pvData;
        const VARIANT *m = mixed->pvData;
        CHECK(16, doubled->rgsabound[0].cElements == 3 && d[0] == 2 && d[1] == 4 && d[2] == 6);
        CHECK(17, mixed->rgsabound[0].cElements == 3 && m[0].vt == VT_I4 && m[0].lVal == 6 &&
                      m[1].vt == VT_BSTR && bstr_equals(m[1].bstrVal, "a b") && m[2].vt == VT_R8 &&
                      m[2].dblVal == 3.0);
    }
    /* 18: structures by value, by pointer, out, in-out, retval */
    {
        TPoint point = {1, 2}, moved = {10, 20};
        TRect rect = {{1, 1}, {2, 2}}, prect = {{10, 10}, {20, 20}}, sum;
        TMixed mix;
        memset(&sum, 0, sizeof sum);
        memset(&mix, 0, sizeof mix);
        CHECK(18, v->Structs(o, point, rect, &prect, &sum, &moved, &mix) == S_OK);
        CHECK(19, sum.topLeft.x == 11 && sum.bottomRight.y == 22 && moved.x == 11 && moved.y == 22);
        CHECK(20, mix.b == 7 && mix.d == 1.5 && mix.s == -3 && wide_equals(mix.tag, "mixed") &&
                      mix.f == 1.5f);
    }
    /* 21: a structure pointing to strings and arrays */
    {
        TPoint points[2] = {{1, 2}, {3, 4}};
        TNamed named = {"abc", 2, points};
        LONG total = 0;
        CHECK(21, v->Named(o, &named, &total) == S_OK && total == 13);
    }
    /* 22: structures returned by value (the hidden result pointer) */
    {
        TRect r;
        TPoint p;
        memset(&r, 0, sizeof r);
        CHECK(22, v->Bounds(o, &r, 3) == &r && r.topLeft.x == 3 && r.topLeft.y == 6 &&
                      r.bottomRight.x == 9 && r.bottomRight.y == 12);
        CHECK(23, v->Origin(o, &p, 5) == &p && p.x == 5 && p.y == -5);
    }
    /* 24: a union by value */
    {
        TValue u;
        double out = 0;
        u.f = 2.5;
        CHECK(24, v->Unions(o, 1, u, &out) == S_OK && out == 2.5);
    }
    /* 25: fixed, size_is and length_is arrays */
    {
        LONG fixed[4] = {1, 2, 3, 4}, items[5] = {1, 2, 3, 4, 6}, evens[5] = {0};
        ULONG written = 0;
        CHECK(25, v->Arrays(o, fixed, 5, items, evens, &written) == S_OK);
        CHECK(26, written == 3 && evens[0] == 2 && evens[1] == 4 && evens[2] == 6);
        fixed[0] = 0;
        CHECK(27, v->Arrays(o, fixed, 5, items, evens, &written) == E_INVALIDARG);
    }
    /* 28: interfaces in, out, iid_is: the same object gives the same pointer */
    {
        CHECK(28, v->Interfaces(o, o, &clone, &IID_ITestObject_, &asked) == S_OK && clone && asked);
        CHECK(29, asked == o && clone != o);
        void *unknown1 = NULL, *unknown2 = NULL;
        UNK(o)->QueryInterface(o, &IID_IUnknown_, &unknown1);
        UNK(asked)->QueryInterface(asked, &IID_IUnknown_, &unknown2);
        int identical = unknown1 && unknown1 == unknown2;
        if (unknown1) UNK(unknown1)->Release(unknown1);
        if (unknown2) UNK(unknown2)->Release(unknown2);
        CHECK(30, identical);
        UNK(clone)->Release(clone);
        UNK(asked)->Release(asked);
        clone = asked = NULL;
        CHECK(31, v->Interfaces(o, NULL, &clone, &IID_ITestSink_, &asked) == E_NOINTERFACE &&
                      asked == NULL);
    }
    /* 32: an interface in-out: the callee releases the old one and gives another */
    {
        CHECK(32, UNK(o)->QueryInterface(o, &IID_IUnknown_, &swapped) == S_OK);
        CHECK(33, v->Swap(o, &swapped) == S_OK && swapped && swapped != o);
    }
    /* 34: properties, indexed ones too */
    {
        BSTR name = NULL, set = bstr("renamed");
        HRESULT hr = v->put_Name(o, set);
        SysFreeString(set);
        CHECK(34, hr == S_OK && v->get_Name(o, &name) == S_OK);
        int right = bstr_equals(name, "renamed");
        SysFreeString(name);
        CHECK(35, right);
        LONG item = 0;
        CHECK(36, v->put_Item(o, 2, 77) == S_OK && v->get_Item(o, 2, &item) == S_OK && item == 77);
        CHECK(37, v->get_Item(o, 9, &item) == E_INVALIDARG && item == 0);
    }
    /* 38: an [optional] VARIANT and a [defaultvalue] */
    {
        VARIANT b;
        LONG sum = 0;
        memset(&b, 0, sizeof b);
        b.vt = VT_I4;
        b.lVal = 5;
        CHECK(38, v->Optional(o, 1, b, 7, &sum) == S_OK && sum == 13);
    }
    /* 39: DATE, CY, DECIMAL */
    {
        DATE next = 0;
        CY twice_cy = 0;
        DECIMAL exact, negated;
        memset(&exact, 0, sizeof exact);
        exact.scale = 2;
        exact.Lo64 = 12345; /* 123.45 */
        memset(&negated, 0, sizeof negated);
        CHECK(39, v->Money(o, 45000.5, 15000, exact, &next, &twice_cy, &negated) == S_OK);
        CHECK(40, next == 45001.5 && twice_cy == 30000 && negated.sign == 0x80 &&
                      negated.Lo64 == 12345 && negated.scale == 2);
    }
    /* 41: a failure leaves [out] pointers NULL */
    {
        WCHAR *w2 = (WCHAR *)1;
        char *n2 = (char *)1;
        static const WCHAR fail[] = {'f', 'a', 'i', 'l', 0}, empty[] = {0};
        CHECK(41, v->Strings(o, fail, "", empty, &w2, &n2) == E_ACCESSDENIED && !w2 && !n2);
    }
    /* 42: a NULL [out] pointer is E_POINTER, the Python method not called */
    {
        double td = 0;
        CHECK(42, v->Floats(o, 1.0f, 2.0, NULL, &td) == E_POINTER && td == 0);
    }
    /* 43: a failed call leaves an [in, out] value as it was (and frees what it made) */
    {
        BSTR text = bstr("fail"), kept = bstr("kept"), out = (BSTR)1;
        LONG length = 9;
        HRESULT hr = v->Bstrs(o, text, &out, &kept, &length);
        int right = hr == E_FAIL && out == NULL && bstr_equals(kept, "kept");
        SysFreeString(text);
        SysFreeString(kept);
        CHECK(43, right);
    }
done:
    SysFreeString(b1);
    SysFreeString(b2);
    SysFreeString(b3);
    CoTaskMemFree(w);
    CoTaskMemFree(n);
    variant_clear(&described);
    variant_clear(&twice);
    destroy_array(numbers, VT_I4);
    destroy_array(words, VT_BSTR);
    destroy_array(doubled, VT_I4);
    destroy_array(mixed, VT_VARIANT);
    if (clone) UNK(clone)->Release(clone);
    if (asked) UNK(asked)->Release(asked);
    if (swapped) UNK(swapped)->Release(swapped);
    return failed;
}

static HRESULT invoke(void *d, DISPID id, WORD flags, VARIANT *args, UINT count, DISPID *named,
                      UINT named_count, VARIANT *result, EXCEPINFO *info, UINT *bad)
{
    DISPPARAMS params = {args, named, count, named_count};
    return VT(d, IDispatchVtbl)->Invoke(d, id, &IID_NULL_, 0, flags, &params, result, info, bad);
}

/* A Python ITestDual (Value: DISPID 1, Twice: DISPID 2) through IDispatch only */
EXPORT LONG WINAPI DriveDispatch(void *d)
{
    const IDispatchVtbl *v = VT(d, IDispatchVtbl);
    LONG failed = 0;
    VARIANT arg, result;
    EXCEPINFO info;
    UINT bad = 99;
    DISPID ids[2] = {0, 0}, put = DISPID_PROPERTYPUT, first = 0;
    memset(&arg, 0, sizeof arg);
    memset(&result, 0, sizeof result);
    memset(&info, 0, sizeof info);
    /* 1: names, case-insensitive, with a parameter name; unknown names */
    {
        static const WCHAR value[] = {'v', 'a', 'l', 'u', 'e', 0}, twice[] = {'T', 'w', 'i', 'c', 'e', 0},
                           x[] = {'x', 0}, nope[] = {'N', 'o', 'p', 'e', 0};
        OLECHAR *names[2] = {(OLECHAR *)value, NULL};
        CHECK(1, v->GetIDsOfNames(d, &IID_NULL_, names, 1, 0, ids) == S_OK && ids[0] == 1);
        names[0] = (OLECHAR *)twice;
        names[1] = (OLECHAR *)x;
        CHECK(2, v->GetIDsOfNames(d, &IID_NULL_, names, 2, 0, ids) == S_OK && ids[0] == 2 && ids[1] == 0);
        names[1] = (OLECHAR *)nope;
        CHECK(3, v->GetIDsOfNames(d, &IID_NULL_, names, 2, 0, ids) == DISP_E_UNKNOWNNAME &&
                     ids[0] == 2 && ids[1] == DISPID_UNKNOWN);
        names[0] = (OLECHAR *)nope;
        CHECK(4, v->GetIDsOfNames(d, &IID_NULL_, names, 1, 0, ids) == DISP_E_UNKNOWNNAME &&
                     ids[0] == DISPID_UNKNOWN);
        UINT count = 9;
        CHECK(5, v->GetTypeInfoCount(d, &count) == S_OK && count == 0);
    }
    /* 6: a property put (the named argument DISPID_PROPERTYPUT) and get */
    arg.vt = VT_I4;
    arg.lVal = 7;
    CHECK(6, invoke(d, 1, DISPATCH_PROPERTYPUT, &arg, 1, &put, 1, NULL, NULL, NULL) == S_OK);
    CHECK(7, invoke(d, 1, DISPATCH_PROPERTYGET, NULL, 0, NULL, 0, &result, NULL, NULL) == S_OK &&
                 result.vt == VT_I4 && result.lVal == 7);
    /* 8: a put without DISPID_PROPERTYPUT */
    CHECK(8, invoke(d, 1, DISPATCH_PROPERTYPUT, &arg, 1, NULL, 0, NULL, NULL, NULL) ==
                 DISP_E_PARAMNOTFOUND);
    /* 9: a method; a string coerced to the LONG parameter; a named argument */
    arg.lVal = 21;
    CHECK(9, invoke(d, 2, DISPATCH_METHOD, &arg, 1, NULL, 0, &result, NULL, NULL) == S_OK &&
                 result.vt == VT_I4 && result.lVal == 42);
    arg.vt = VT_BSTR;
    arg.bstrVal = bstr("12");
    HRESULT hr = invoke(d, 2, DISPATCH_METHOD, &arg, 1, NULL, 0, &result, NULL, NULL);
    variant_clear(&arg);
    CHECK(10, hr == S_OK && result.vt == VT_I4 && result.lVal == 24);
    arg.vt = VT_BSTR;
    arg.bstrVal = bstr("twelve");
    hr = invoke(d, 2, DISPATCH_METHOD, &arg, 1, NULL, 0, &result, NULL, &bad);
    variant_clear(&arg);
    CHECK(11, hr == (HRESULT)0x80020005 && bad == 0); /* DISP_E_TYPEMISMATCH */
    arg.vt = VT_I4;
    arg.lVal = 5;
    CHECK(12, invoke(d, 2, DISPATCH_METHOD, &arg, 1, &first, 1, &result, NULL, NULL) == S_OK &&
                  result.lVal == 10);
    /* 13: the wrong number of arguments, an unknown DISPID, a wrong riid */
    CHECK(13, invoke(d, 2, DISPATCH_METHOD, NULL, 0, NULL, 0, &result, NULL, NULL) ==
                  DISP_E_BADPARAMCOUNT);
    CHECK(14, invoke(d, 99, DISPATCH_METHOD, NULL, 0, NULL, 0, &result, NULL, NULL) ==
                  (HRESULT)0x80020003); /* DISP_E_MEMBERNOTFOUND */
    {
        DISPPARAMS none = {NULL, NULL, 0, 0};
        CHECK(15, v->Invoke(d, 1, &IID_ITestDual_, 0, DISPATCH_PROPERTYGET, &none, &result, NULL,
                            NULL) == DISP_E_UNKNOWNINTERFACE);
    }
    /* 16: an exception of the implementation: DISP_E_EXCEPTION and EXCEPINFO */
    arg.lVal = -1;
    CHECK(16, invoke(d, 2, DISPATCH_METHOD, &arg, 1, NULL, 0, &result, &info, NULL) ==
                  DISP_E_EXCEPTION);
    CHECK(17, info.scode == E_INVALIDARG && bstr_equals(info.bstrDescription, "negative") &&
                  bstr_len(info.bstrSource) > 0);
    /* 18: a by-reference argument */
    {
        LONG x = 4;
        arg.vt = VT_BYREF | VT_I4;
        arg.byref = &x;
        CHECK(18, invoke(d, 2, DISPATCH_METHOD, &arg, 1, NULL, 0, &result, NULL, NULL) == S_OK &&
                      result.lVal == 8 && x == 4);
    }
done:
    free_excepinfo(&info);
    variant_clear(&result);
    return failed;
}

/* ------------------------------------------------------------------ plumbing */

EXPORT HRESULT WINAPI ConnectSink(void *source, REFIID riid, void *sink, ULONG *cookie)
{
    void *container = NULL, *point = NULL;
    *cookie = 0;
    HRESULT hr = UNK(source)->QueryInterface(source, &IID_IConnectionPointContainer_, &container);
    if (FAILED(hr)) return hr;
    hr = VT(container, IConnectionPointContainerVtbl)->FindConnectionPoint(container, riid, &point);
    UNK(container)->Release(container);
    if (FAILED(hr)) return hr;
    DWORD value = 0;
    hr = VT(point, IConnectionPointVtbl)->Advise(point, sink, &value);
    IID iid;
    if (SUCCEEDED(hr) && (FAILED(VT(point, IConnectionPointVtbl)->GetConnectionInterface(point, &iid)) ||
                          !same(&iid, riid)))
        hr = E_UNEXPECTED;
    UNK(point)->Release(point);
    *cookie = value;
    return hr;
}

EXPORT HRESULT WINAPI DisconnectSink(void *source, REFIID riid, ULONG cookie)
{
    void *container = NULL, *point = NULL;
    HRESULT hr = UNK(source)->QueryInterface(source, &IID_IConnectionPointContainer_, &container);
    if (FAILED(hr)) return hr;
    hr = VT(container, IConnectionPointContainerVtbl)->FindConnectionPoint(container, riid, &point);
    UNK(container)->Release(container);
    if (FAILED(hr)) return hr;
    hr = VT(point, IConnectionPointVtbl)->Unadvise(point, cookie);
    UNK(point)->Release(point);
    return hr;
}

EXPORT ULONG WINAPI CountRefs(void *object)
{
    UNK(object)->AddRef(object);
    return UNK(object)->Release(object);
}

static void *held;

EXPORT HRESULT WINAPI Hold(void *object)
{
    held = object;
    UNK(object)->AddRef(object);
    return S_OK;
}

EXPORT HRESULT WINAPI Drop(void)
{
    if (!held) return E_POINTER;
    UNK(held)->Release(held);
    return S_OK;
}

EXPORT HRESULT WINAPI CallDropped(void)
{
    void *again = NULL;
    if (!held) return E_POINTER;
    HRESULT hr = UNK(held)->QueryInterface(held, &IID_IUnknown_, &again);
    held = NULL;
    return hr;
}

/* ------------------------------------------------------------------ benchmarks/native.py */

EXPORT LONG WINAPI CallIncrement(void *object, LONG times)
{
    LONG sum = 0;
    for (LONG i = 0; i < times; i++) sum += VT(object, ITestObjectVtbl)->Increment(object, i);
    return sum;
}

EXPORT LONG WINAPI CallTwice(void *object, LONG times)
{
    LONG sum = 0, y = 0;
    for (LONG i = 0; i < times; i++) {
        if (FAILED(VT(object, ITestDualVtbl)->Twice(object, i, &y))) return -1;
        sum += y;
    }
    return sum;
}

EXPORT LONG WINAPI InvokeTwice(void *object, LONG times)
{
    LONG sum = 0;
    VARIANT arg, result;
    memset(&arg, 0, sizeof arg);
    memset(&result, 0, sizeof result);
    for (LONG i = 0; i < times; i++) {
        arg.vt = VT_I4;
        arg.lVal = i;
        if (FAILED(invoke(object, 2, DISPATCH_METHOD, &arg, 1, NULL, 0, &result, NULL, NULL)) ||
            result.vt != VT_I4)
            return -1;
        sum += result.lVal;
    }
    return sum;
}

/* ------------------------------------------------------------------ threads */

#include <pthread.h>

typedef struct { void *object; LONG times, sum; } Work;

static void *work(void *arg)
{
    Work *w = arg;
    w->sum = CallIncrement(w->object, w->times);
    return NULL;
}

/* CallIncrement from two threads of its own at once: the sum of both */
EXPORT LONG WINAPI CallFromThreads(void *object, LONG times)
{
    pthread_t threads[2];
    Work works[2] = {{object, times, 0}, {object, times, 0}};
    for (int i = 0; i < 2; i++)
        if (pthread_create(&threads[i], NULL, work, &works[i])) return -1;
    for (int i = 0; i < 2; i++) pthread_join(threads[i], NULL);
    return works[0].sum + works[1].sum;
}
