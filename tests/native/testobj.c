/* The C test object of tests/native: implements testobj.idl.
 *
 * Built by the tests with the system C compiler, twice: with the platform's calling
 * convention, and with -DTEST_MS_ABI (every method and __stdcall export gets
 * __attribute__((ms_abi)), as Wine-derived libraries do on x86-64).  Self-contained: the
 * Windows types are declared here with their Windows (LLP64) sizes.
 *
 * Memory follows idlgen's own automation layouts (idlgen/runtime/native/automation.py):
 * BSTRs are malloc'ed with a 4-byte length prefix; a SAFEARRAY descriptor sits 16 bytes
 * into a calloc'ed block (its VARTYPE at -4) and its data is a separate calloc.  The
 * library also exports SysAllocStringLen/SysFreeString/SafeArrayCreateVector/
 * SafeArrayDestroyData/SafeArrayDestroyDescriptor/CoTaskMemFree with those layouts and
 * counts what is alive, so a test can check that nothing leaks.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef TEST_MS_ABI
#define CC __attribute__((ms_abi))
#else
#define CC
#endif
#define EXPORT __attribute__((visibility("default")))

typedef int32_t HRESULT;
typedef int32_t LONG;
typedef uint32_t ULONG;
typedef int16_t SHORT;
typedef uint16_t USHORT;
typedef uint8_t BYTE;
typedef int64_t LONGLONG;
typedef uint64_t ULONGLONG;
typedef uint16_t WCHAR;
typedef WCHAR *BSTR;
typedef int32_t BOOL;
typedef uint8_t boolean;
typedef int16_t VARIANT_BOOL;
typedef double DATE;
typedef int64_t CY;

#define S_OK ((HRESULT)0)
#define E_NOTIMPL ((HRESULT)0x80004001)
#define E_NOINTERFACE ((HRESULT)0x80004002)
#define E_POINTER ((HRESULT)0x80004003)
#define E_INVALIDARG ((HRESULT)0x80070057)
#define E_OUTOFMEMORY ((HRESULT)0x8007000E)
#define CLASS_E_NOAGGREGATION ((HRESULT)0x80040110)
#define CLASS_E_CLASSNOTAVAILABLE ((HRESULT)0x80040111)
#define DISP_E_UNKNOWNNAME ((HRESULT)0x80020006)

typedef struct GUID {
    uint32_t Data1;
    uint16_t Data2, Data3;
    uint8_t Data4[8];
} GUID;
typedef const GUID *REFIID;

#include "testtypes.h"

static const GUID IID_IUnknown = {0x00000000, 0x0000, 0x0000, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_IDispatch = {0x00020400, 0x0000, 0x0000, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_IClassFactory = {0x00000001, 0x0000, 0x0000, {0xC0, 0, 0, 0, 0, 0, 0, 0x46}};
static const GUID IID_ITestObject = {0x6f9a3c1e, 0x0d7b, 0x4b7e,
                                     {0x9c, 0x55, 0x1b, 0x0f, 0x0a, 0x9e, 0x2c, 0x01}};
static const GUID IID_ITestDual = {0x6f9a3c1e, 0x0d7b, 0x4b7e,
                                   {0x9c, 0x55, 0x1b, 0x0f, 0x0a, 0x9e, 0x2c, 0x02}};
static const GUID CLSID_TestObject = {0x6f9a3c1e, 0x0d7b, 0x4b7e,
                                      {0x9c, 0x55, 0x1b, 0x0f, 0x0a, 0x9e, 0x2c, 0x03}};

static int same_guid(const GUID *a, const GUID *b) { return memcmp(a, b, sizeof(GUID)) == 0; }

/* ------------------------------------------------------------------ memory */

static LONG live_objects, live_strings, live_arrays;

EXPORT BSTR CC SysAllocStringLen(const WCHAR *text, ULONG length)
{
    uint32_t *block = malloc(4 + (size_t)length * 2 + 2);
    if (!block) return NULL;
    block[0] = length * 2;
    WCHAR *chars = (WCHAR *)(block + 1);
    if (text) memcpy(chars, text, (size_t)length * 2);
    else memset(chars, 0, (size_t)length * 2);
    chars[length] = 0;
    live_strings++;
    return chars;
}

EXPORT void CC SysFreeString(BSTR text)
{
    if (!text) return;
    live_strings--;
    free((uint32_t *)text - 1);
}

static ULONG bstr_len(BSTR text) { return text ? ((uint32_t *)text)[-1] / 2 : 0; }

static BSTR bstr_from_ascii(const char *text)
{
    size_t n = strlen(text);
    BSTR out = SysAllocStringLen(NULL, (ULONG)n);
    for (size_t i = 0; i < n; i++) out[i] = (WCHAR)(unsigned char)text[i];
    return out;
}

static void *task_alloc(size_t size)
{
    live_strings++;
    return calloc(1, size);
}

EXPORT void *CC CoTaskMemAlloc(size_t size) { return task_alloc(size); }

/* testpeer.c counts its objects with the test object's */
void testobj_count_object(LONG delta) { live_objects += delta; }

EXPORT void CC CoTaskMemFree(void *memory)
{
    if (!memory) return;
    live_strings--;
    free(memory);
}

EXPORT SAFEARRAY *CC SafeArrayCreateVector(USHORT vt, LONG lbound, ULONG count)
{
    size_t size = vt == VT_VARIANT ? sizeof(VARIANT) : (vt == VT_BSTR ? sizeof(BSTR) : 4);
    char *block = calloc(1, 16 + sizeof(SAFEARRAY));
    SAFEARRAY *sa = (SAFEARRAY *)(block + 16);
    *(uint32_t *)(block + 12) = vt;
    sa->cDims = 1;
    sa->fFeatures = 0x80 | (vt == VT_BSTR ? 0x100 : 0) | (vt == VT_VARIANT ? 0x800 : 0);
    sa->cbElements = (ULONG)size;
    sa->pvData = calloc(count ? count : 1, size);
    sa->rgsabound[0].cElements = count;
    sa->rgsabound[0].lLbound = lbound;
    live_arrays++;
    return sa;
}

EXPORT HRESULT CC SafeArrayDestroyData(SAFEARRAY *sa)
{
    if (sa && sa->pvData) { free(sa->pvData); sa->pvData = NULL; }
    return S_OK;
}

EXPORT HRESULT CC SafeArrayDestroyDescriptor(SAFEARRAY *sa)
{
    if (!sa) return S_OK;
    live_arrays--;
    free((char *)sa - 16);
    return S_OK;
}

/* ------------------------------------------------------------------ the object */

typedef struct TestObject TestObject;
typedef struct ITestObjectVtbl ITestObjectVtbl;
typedef struct ITestDualVtbl ITestDualVtbl;
typedef struct { const ITestObjectVtbl *lpVtbl; } ITestObject;
typedef struct { const ITestDualVtbl *lpVtbl; } ITestDual;

struct TestObject {
    ITestObject primary;
    ITestDual dual;
    LONG refs;
    BSTR name;
    LONG items[8];
    LONG value;
};

static TestObject *from_primary(ITestObject *iface) { return (TestObject *)iface; }
static TestObject *from_dual(ITestDual *iface)
{
    return (TestObject *)((char *)iface - offsetof(TestObject, dual));
}

static TestObject *create_object(void);

struct ITestObjectVtbl {
    HRESULT (CC *QueryInterface)(ITestObject *, REFIID, void **);
    ULONG (CC *AddRef)(ITestObject *);
    ULONG (CC *Release)(ITestObject *);
    HRESULT (CC *EchoInts)(ITestObject *, signed char, BYTE, SHORT, USHORT, LONG, ULONG, LONGLONG,
                           ULONGLONG, signed char *, BYTE *, SHORT *, USHORT *, LONG *, ULONG *,
                           LONGLONG *, ULONGLONG *);
    HRESULT (CC *Floats)(ITestObject *, float, double, float *, double *);
    HRESULT (CC *Bools)(ITestObject *, BOOL, boolean, VARIANT_BOOL, BOOL *, boolean *,
                        VARIANT_BOOL *);
    HRESULT (CC *Fail)(ITestObject *, HRESULT);
    LONG (CC *Increment)(ITestObject *, LONG);
    double (CC *Half)(ITestObject *, double);
    HRESULT (CC *Guids)(ITestObject *, REFIID, GUID, GUID *);
    HRESULT (CC *Strings)(ITestObject *, const WCHAR *, const char *, const WCHAR *, WCHAR **,
                          char **);
    HRESULT (CC *Bstrs)(ITestObject *, BSTR, BSTR *, BSTR *, LONG *);
    HRESULT (CC *Variants)(ITestObject *, VARIANT, VARIANT *, VARIANT *, VARIANT *);
    HRESULT (CC *SafeArrays)(ITestObject *, SAFEARRAY *, SAFEARRAY *, SAFEARRAY **, SAFEARRAY **);
    HRESULT (CC *Structs)(ITestObject *, TPoint, TRect, const TRect *, TRect *, TPoint *,
                          TMixed *);
    HRESULT (CC *Named)(ITestObject *, const TNamed *, LONG *);
    TRect *(CC *Bounds)(ITestObject *, TRect *, LONG);
    TPoint *(CC *Origin)(ITestObject *, TPoint *, LONG);
    HRESULT (CC *Unions)(ITestObject *, LONG, TValue, double *);
    HRESULT (CC *Arrays)(ITestObject *, LONG *, ULONG, const LONG *, LONG *, ULONG *);
    HRESULT (CC *Interfaces)(ITestObject *, ITestObject *, ITestObject **, REFIID, void **);
    HRESULT (CC *Swap)(ITestObject *, void **);
    HRESULT (CC *RefCount)(ITestObject *, LONG *);
    HRESULT (CC *get_Name)(ITestObject *, BSTR *);
    HRESULT (CC *put_Name)(ITestObject *, BSTR);
    HRESULT (CC *get_Item)(ITestObject *, LONG, LONG *);
    HRESULT (CC *put_Item)(ITestObject *, LONG, LONG);
    HRESULT (CC *Optional)(ITestObject *, LONG, VARIANT, LONG, LONG *);
    HRESULT (CC *Money)(ITestObject *, DATE, CY, DECIMAL, DATE *, CY *, DECIMAL *);
    HRESULT (CC *Raw)(ITestObject *, void *, ULONG, void **);
    HRESULT (CC *Bump)(ITestObject *, LONG *, void **, void **);
};

struct ITestDualVtbl {
    HRESULT (CC *QueryInterface)(ITestDual *, REFIID, void **);
    ULONG (CC *AddRef)(ITestDual *);
    ULONG (CC *Release)(ITestDual *);
    HRESULT (CC *GetTypeInfoCount)(ITestDual *, ULONG *);
    HRESULT (CC *GetTypeInfo)(ITestDual *, ULONG, ULONG, void **);
    HRESULT (CC *GetIDsOfNames)(ITestDual *, REFIID, WCHAR **, ULONG, ULONG, LONG *);
    HRESULT (CC *Invoke)(ITestDual *, LONG, REFIID, ULONG, USHORT, void *, VARIANT *, void *,
                         ULONG *);
    HRESULT (CC *get_Value)(ITestDual *, LONG *);
    HRESULT (CC *put_Value)(ITestDual *, LONG);
    HRESULT (CC *Twice)(ITestDual *, LONG, LONG *);
};

static HRESULT query(TestObject *obj, REFIID riid, void **out)
{
    if (!out) return E_POINTER;
    *out = NULL;
    if (same_guid(riid, &IID_IUnknown) || same_guid(riid, &IID_ITestObject))
        *out = &obj->primary;
    else if (same_guid(riid, &IID_ITestDual) || same_guid(riid, &IID_IDispatch))
        *out = &obj->dual;
    else
        return E_NOINTERFACE;
    obj->refs++;
    return S_OK;
}

static ULONG add_ref(TestObject *obj) { return (ULONG)++obj->refs; }

static ULONG release(TestObject *obj)
{
    LONG refs = --obj->refs;
    if (refs == 0) {
        SysFreeString(obj->name);
        free(obj);
        live_objects--;
    }
    return (ULONG)refs;
}

static HRESULT CC obj_QueryInterface(ITestObject *iface, REFIID riid, void **out)
{
    return query(from_primary(iface), riid, out);
}
static ULONG CC obj_AddRef(ITestObject *iface) { return add_ref(from_primary(iface)); }
static ULONG CC obj_Release(ITestObject *iface) { return release(from_primary(iface)); }

static HRESULT CC obj_EchoInts(ITestObject *iface, signed char a, BYTE b, SHORT c, USHORT d,
                               LONG e, ULONG f, LONGLONG g, ULONGLONG h, signed char *oa,
                               BYTE *ob, SHORT *oc, USHORT *od, LONG *oe, ULONG *of,
                               LONGLONG *og, ULONGLONG *oh)
{
    *oa = a; *ob = b; *oc = c; *od = d; *oe = e; *of = f; *og = g; *oh = h;
    return S_OK;
}

static HRESULT CC obj_Floats(ITestObject *iface, float f, double d, float *tf, double *td)
{
    *tf = f * 2;
    *td = d * 2;
    return S_OK;
}

static HRESULT CC obj_Bools(ITestObject *iface, BOOL a, boolean b, VARIANT_BOOL c, BOOL *na,
                            boolean *nb, VARIANT_BOOL *nc)
{
    if ((a != 0 && a != 1) || (b != 0 && b != 1) || (c != 0 && c != -1)) return E_INVALIDARG;
    *na = !a;
    *nb = !b;
    *nc = c ? 0 : -1;
    return S_OK;
}

static HRESULT CC obj_Fail(ITestObject *iface, HRESULT hr) { return hr; }
static LONG CC obj_Increment(ITestObject *iface, LONG x) { return x + 1; }
static double CC obj_Half(ITestObject *iface, double x) { return x / 2; }

static HRESULT CC obj_Guids(ITestObject *iface, REFIID riid, GUID by_value, GUID *xored)
{
    const uint8_t *a = (const uint8_t *)riid, *b = (const uint8_t *)&by_value;
    uint8_t *o = (uint8_t *)xored;
    for (int i = 0; i < 16; i++) o[i] = a[i] ^ b[i];
    return S_OK;
}

static HRESULT CC obj_Strings(ITestObject *iface, const WCHAR *wide, const char *narrow,
                              const WCHAR *ole, WCHAR **wide_upper, char **narrow_upper)
{
    size_t nw = 0, no = 0, nn = strlen(narrow);
    while (wide[nw]) nw++;
    while (ole[no]) no++;
    WCHAR *w = task_alloc((nw + 1 + no + 1) * sizeof(WCHAR));
    for (size_t i = 0; i < nw; i++)
        w[i] = (wide[i] >= 'a' && wide[i] <= 'z') ? wide[i] - 32 : wide[i];
    w[nw] = '|';
    memcpy(w + nw + 1, ole, no * sizeof(WCHAR));
    char *n = task_alloc(nn + 1);
    for (size_t i = 0; i < nn; i++)
        n[i] = (narrow[i] >= 'a' && narrow[i] <= 'z') ? narrow[i] - 32 : narrow[i];
    *wide_upper = w;
    *narrow_upper = n;
    return S_OK;
}

static HRESULT CC obj_Bstrs(ITestObject *iface, BSTR text, BSTR *exclaimed, BSTR *reversed,
                            LONG *length)
{
    ULONG n = bstr_len(text);
    BSTR e = SysAllocStringLen(text, n + 1);
    e[n] = '!';
    *exclaimed = e;
    ULONG m = bstr_len(*reversed);
    BSTR r = SysAllocStringLen(NULL, m);
    for (ULONG i = 0; i < m; i++) r[i] = (*reversed)[m - 1 - i];
    SysFreeString(*reversed);
    *reversed = r;
    *length = (LONG)n;
    return S_OK;
}

static HRESULT CC obj_Variants(ITestObject *iface, VARIANT value, VARIANT *by_ref,
                               VARIANT *described, VARIANT *doubled)
{
    char text[64];
    switch (value.vt) {
    case VT_EMPTY: snprintf(text, sizeof text, "EMPTY"); break;
    case VT_I4: snprintf(text, sizeof text, "I4:%d", value.lVal); break;
    case VT_R8: snprintf(text, sizeof text, "R8:%g", value.dblVal); break;
    case VT_BOOL: snprintf(text, sizeof text, "BOOL:%d", value.boolVal); break;
    case VT_BSTR: snprintf(text, sizeof text, "BSTR:%u", bstr_len(value.bstrVal)); break;
    case VT_UNKNOWN: snprintf(text, sizeof text, "UNKNOWN"); break;
    case VT_ERROR: snprintf(text, sizeof text, "ERROR:%x", (unsigned)value.scode); break;
    default: snprintf(text, sizeof text, "VT:%x", value.vt); break;
    }
    described->vt = VT_BSTR;
    described->bstrVal = bstr_from_ascii(text);
    memset(doubled, 0, sizeof *doubled);
    switch (value.vt) {
    case VT_I4:
        doubled->vt = VT_I4;
        doubled->lVal = value.lVal * 2 + (by_ref && by_ref->vt == VT_I4 ? by_ref->lVal : 0);
        break;
    case VT_R8: doubled->vt = VT_R8; doubled->dblVal = value.dblVal * 2; break;
    case VT_BOOL: doubled->vt = VT_BOOL; doubled->boolVal = value.boolVal; break;
    case VT_BSTR: {
        ULONG n = bstr_len(value.bstrVal);
        BSTR twice = SysAllocStringLen(NULL, n * 2);
        memcpy(twice, value.bstrVal, n * 2);
        memcpy(twice + n, value.bstrVal, n * 2);
        doubled->vt = VT_BSTR;
        doubled->bstrVal = twice;
        break;
    }
    case VT_UNKNOWN: {
        ITestObject *unk = value.punkVal;
        unk->lpVtbl->AddRef(unk);
        doubled->vt = VT_UNKNOWN;
        doubled->punkVal = unk;
        break;
    }
    default: break;
    }
    return S_OK;
}

static HRESULT CC obj_SafeArrays(ITestObject *iface, SAFEARRAY *numbers, SAFEARRAY *words,
                                 SAFEARRAY **doubled, SAFEARRAY **mixed)
{
    if (!numbers || !words || numbers->cbElements != 4) return E_INVALIDARG;
    ULONG n = numbers->rgsabound[0].cElements, w = words->rgsabound[0].cElements;
    const LONG *in = numbers->pvData;
    SAFEARRAY *d = SafeArrayCreateVector(VT_I4, 0, n);
    LONG sum = 0;
    for (ULONG i = 0; i < n; i++) { ((LONG *)d->pvData)[i] = in[i] * 2; sum += in[i]; }
    char joined[256] = "";
    for (ULONG i = 0; i < w; i++) {
        BSTR s = ((BSTR *)words->pvData)[i];
        size_t at = strlen(joined);
        for (ULONG j = 0; j < bstr_len(s) && at < sizeof joined - 2; j++) joined[at++] = (char)s[j];
        if (i + 1 < w && at < sizeof joined - 2) joined[at++] = ' ';
        joined[at] = 0;
    }
    SAFEARRAY *m = SafeArrayCreateVector(VT_VARIANT, 0, 3);
    VARIANT *v = m->pvData;
    v[0].vt = VT_I4; v[0].lVal = sum;
    v[1].vt = VT_BSTR; v[1].bstrVal = bstr_from_ascii(joined);
    v[2].vt = VT_R8; v[2].dblVal = (double)n;
    *doubled = d;
    *mixed = m;
    return S_OK;
}

static HRESULT CC obj_Structs(ITestObject *iface, TPoint point, TRect rect, const TRect *prect,
                              TRect *sum, TPoint *moved, TMixed *mixed)
{
    sum->topLeft.x = rect.topLeft.x + prect->topLeft.x;
    sum->topLeft.y = rect.topLeft.y + prect->topLeft.y;
    sum->bottomRight.x = rect.bottomRight.x + prect->bottomRight.x;
    sum->bottomRight.y = rect.bottomRight.y + prect->bottomRight.y;
    moved->x += point.x;
    moved->y += point.y;
    memset(mixed, 0, sizeof *mixed);
    mixed->b = 7;
    mixed->d = point.x + 0.5;
    mixed->s = -3;
    const char *tag = "mixed";
    for (int i = 0; tag[i]; i++) mixed->tag[i] = (WCHAR)tag[i];
    mixed->f = 1.5f;
    return S_OK;
}

static HRESULT CC obj_Named(ITestObject *iface, const TNamed *named, LONG *total)
{
    LONG t = (LONG)strlen(named->name);
    for (LONG i = 0; i < named->count; i++) t += named->points[i].x + named->points[i].y;
    *total = t;
    return S_OK;
}

static TRect *CC obj_Bounds(ITestObject *iface, TRect *ret, LONG k)
{
    ret->topLeft.x = k; ret->topLeft.y = 2 * k;
    ret->bottomRight.x = 3 * k; ret->bottomRight.y = 4 * k;
    return ret;
}

static TPoint *CC obj_Origin(ITestObject *iface, TPoint *ret, LONG k)
{
    ret->x = k;
    ret->y = -k;
    return ret;
}

static HRESULT CC obj_Unions(ITestObject *iface, LONG which, TValue value, double *result)
{
    *result = which ? value.f : (double)value.i;
    return S_OK;
}

static HRESULT CC obj_Arrays(ITestObject *iface, LONG *fixed, ULONG count, const LONG *items,
                             LONG *evens, ULONG *written)
{
    if (fixed[0] + fixed[1] + fixed[2] + fixed[3] != 10) return E_INVALIDARG;
    ULONG n = 0;
    for (ULONG i = 0; i < count; i++)
        if (items[i] % 2 == 0) evens[n++] = items[i];
    *written = n;
    return S_OK;
}

static HRESULT CC obj_Interfaces(ITestObject *iface, ITestObject *other, ITestObject **clone,
                                 REFIID riid, void **asked)
{
    TestObject *copy = create_object();
    if (other) copy->value = from_primary(other)->value + 1;
    *clone = &copy->primary;
    HRESULT hr = query(from_primary(iface), riid, asked);
    if (hr < 0) { release(copy); *clone = NULL; }
    return hr;
}

static HRESULT CC obj_Swap(ITestObject *iface, void **object)
{
    if (*object) {
        ITestObject *old = *object;
        old->lpVtbl->Release(old);
    }
    *object = &create_object()->primary;
    return S_OK;
}

static HRESULT CC obj_RefCount(ITestObject *iface, LONG *refs)
{
    *refs = from_primary(iface)->refs;
    return S_OK;
}

static HRESULT CC obj_get_Name(ITestObject *iface, BSTR *name)
{
    BSTR current = from_primary(iface)->name;
    *name = SysAllocStringLen(current, bstr_len(current));
    return S_OK;
}

static HRESULT CC obj_put_Name(ITestObject *iface, BSTR name)
{
    TestObject *obj = from_primary(iface);
    SysFreeString(obj->name);
    obj->name = SysAllocStringLen(name, bstr_len(name));
    return S_OK;
}

static HRESULT CC obj_get_Item(ITestObject *iface, LONG index, LONG *value)
{
    if (index < 0 || index >= 8) return E_INVALIDARG;
    *value = from_primary(iface)->items[index];
    return S_OK;
}

static HRESULT CC obj_put_Item(ITestObject *iface, LONG index, LONG value)
{
    if (index < 0 || index >= 8) return E_INVALIDARG;
    from_primary(iface)->items[index] = value;
    return S_OK;
}

static HRESULT CC obj_Optional(ITestObject *iface, LONG a, VARIANT b, LONG c, LONG *sum)
{
    *sum = a + c + (b.vt == VT_I4 ? b.lVal : (b.vt == VT_ERROR ? 1000 : 0));
    return S_OK;
}

static HRESULT CC obj_Money(ITestObject *iface, DATE when, CY amount, DECIMAL exact,
                            DATE *next_day, CY *doubled, DECIMAL *negated)
{
    *next_day = when + 1;
    *doubled = amount * 2;
    *negated = exact;
    negated->sign ^= 0x80;
    return S_OK;
}

static HRESULT CC obj_Raw(ITestObject *iface, void *buffer, ULONG size, void **same)
{
    uint8_t *bytes = buffer;
    for (ULONG i = 0; i < size / 2; i++) {
        uint8_t t = bytes[i];
        bytes[i] = bytes[size - 1 - i];
        bytes[size - 1 - i] = t;
    }
    *same = buffer;
    return S_OK;
}

static HRESULT CC obj_Bump(ITestObject *iface, LONG *value, void **made, void **raw)
{
    if (value) *value += 1;
    if (made) *made = &create_object()->primary;
    if (raw) *raw = &create_object()->primary;
    return S_OK;
}

static const ITestObjectVtbl object_vtbl = {
    obj_QueryInterface, obj_AddRef, obj_Release, obj_EchoInts, obj_Floats, obj_Bools,
    obj_Fail, obj_Increment, obj_Half, obj_Guids, obj_Strings, obj_Bstrs, obj_Variants,
    obj_SafeArrays, obj_Structs, obj_Named, obj_Bounds, obj_Origin, obj_Unions, obj_Arrays,
    obj_Interfaces, obj_Swap, obj_RefCount, obj_get_Name, obj_put_Name, obj_get_Item,
    obj_put_Item, obj_Optional, obj_Money, obj_Raw, obj_Bump,
};

static HRESULT CC dual_QueryInterface(ITestDual *iface, REFIID riid, void **out)
{
    return query(from_dual(iface), riid, out);
}
static ULONG CC dual_AddRef(ITestDual *iface) { return add_ref(from_dual(iface)); }
static ULONG CC dual_Release(ITestDual *iface) { return release(from_dual(iface)); }
static HRESULT CC dual_GetTypeInfoCount(ITestDual *iface, ULONG *count)
{
    *count = 0;
    return S_OK;
}
static HRESULT CC dual_GetTypeInfo(ITestDual *iface, ULONG index, ULONG lcid, void **info)
{
    *info = NULL;
    return E_NOTIMPL;
}
static HRESULT CC dual_GetIDsOfNames(ITestDual *iface, REFIID riid, WCHAR **names, ULONG count,
                                     ULONG lcid, LONG *ids)
{
    HRESULT hr = S_OK;
    for (ULONG i = 0; i < count; i++) {
        char name[16] = "";
        for (int j = 0; j < 15 && names[i][j]; j++) name[j] = (char)names[i][j];
        ids[i] = !strcmp(name, "Value") ? 1 : !strcmp(name, "Twice") ? 2 : -1;
        if (ids[i] < 0) hr = DISP_E_UNKNOWNNAME;
    }
    return hr;
}
#define DISPID_PROPERTYPUT (-3)
#define DISP_E_MEMBERNOTFOUND ((HRESULT)0x80020003)
#define DISP_E_PARAMNOTFOUND ((HRESULT)0x80020004)
#define DISP_E_TYPEMISMATCH ((HRESULT)0x80020005)
#define DISP_E_EXCEPTION ((HRESULT)0x80020009)
#define DISP_E_BADPARAMCOUNT ((HRESULT)0x8002000E)

/* ITestDual by Invoke: Value (DISPID 1) get and put, Twice (DISPID 2) — which also doubles
 * a VT_BYREF|VT_I4 argument in place, and fails with EXCEPINFO for a negative one */
static HRESULT CC dual_Invoke(ITestDual *iface, LONG id, REFIID riid, ULONG lcid, USHORT flags,
                              void *params, VARIANT *result, void *excepinfo, ULONG *arg_err)
{
    TestObject *obj = from_dual(iface);
    DISPPARAMS *dp = params;
    if (!dp) return E_INVALIDARG;
    if (result) memset(result, 0, sizeof *result);
    if (id == 1 && (flags & DISPATCH_PROPERTYPUT)) {
        if (dp->cNamedArgs != 1 || dp->rgdispidNamedArgs[0] != DISPID_PROPERTYPUT)
            return DISP_E_PARAMNOTFOUND;
        if (dp->cArgs != 1) return DISP_E_BADPARAMCOUNT;
        if (dp->rgvarg[0].vt != VT_I4) { if (arg_err) *arg_err = 0; return DISP_E_TYPEMISMATCH; }
        obj->value = dp->rgvarg[0].lVal;
        return S_OK;
    }
    if (id == 1 && (flags & DISPATCH_PROPERTYGET)) {
        if (dp->cArgs) return DISP_E_BADPARAMCOUNT;
        if (result) { result->vt = VT_I4; result->lVal = obj->value; }
        return S_OK;
    }
    if (id == 2 && (flags & DISPATCH_METHOD)) {
        if (dp->cArgs != 1) return DISP_E_BADPARAMCOUNT;
        VARIANT *arg = &dp->rgvarg[0];
        LONG x;
        if (arg->vt == VT_I4) x = arg->lVal;
        else if (arg->vt == (VT_BYREF | VT_I4)) x = *(LONG *)arg->byref;
        else { if (arg_err) *arg_err = 0; return DISP_E_TYPEMISMATCH; }
        if (x < 0) {
            EXCEPINFO *info = excepinfo;
            if (info) {
                memset(info, 0, sizeof *info);
                info->bstrSource = bstr_from_ascii("TestObject");
                info->bstrDescription = bstr_from_ascii("negative");
                info->scode = E_INVALIDARG;
            }
            return DISP_E_EXCEPTION;
        }
        if (arg->vt == (VT_BYREF | VT_I4)) *(LONG *)arg->byref = 2 * x;
        if (result) { result->vt = VT_I4; result->lVal = 2 * x; }
        return S_OK;
    }
    return DISP_E_MEMBERNOTFOUND;
}
static HRESULT CC dual_get_Value(ITestDual *iface, LONG *value)
{
    *value = from_dual(iface)->value;
    return S_OK;
}
static HRESULT CC dual_put_Value(ITestDual *iface, LONG value)
{
    from_dual(iface)->value = value;
    return S_OK;
}
static HRESULT CC dual_Twice(ITestDual *iface, LONG x, LONG *y)
{
    *y = 2 * x;
    return S_OK;
}

static const ITestDualVtbl dual_vtbl = {
    dual_QueryInterface, dual_AddRef, dual_Release, dual_GetTypeInfoCount, dual_GetTypeInfo,
    dual_GetIDsOfNames, dual_Invoke, dual_get_Value, dual_put_Value, dual_Twice,
};

static TestObject *create_object(void)
{
    TestObject *obj = calloc(1, sizeof *obj);
    obj->primary.lpVtbl = &object_vtbl;
    obj->dual.lpVtbl = &dual_vtbl;
    obj->refs = 1;
    for (int i = 0; i < 8; i++) obj->items[i] = i * 10;
    obj->name = bstr_from_ascii("test");
    live_objects++;
    return obj;
}

/* ------------------------------------------------------------------ class factory */

typedef struct IClassFactory IClassFactory;
typedef struct {
    HRESULT (CC *QueryInterface)(IClassFactory *, REFIID, void **);
    ULONG (CC *AddRef)(IClassFactory *);
    ULONG (CC *Release)(IClassFactory *);
    HRESULT (CC *CreateInstance)(IClassFactory *, void *, REFIID, void **);
    HRESULT (CC *LockServer)(IClassFactory *, BOOL);
} IClassFactoryVtbl;
struct IClassFactory { const IClassFactoryVtbl *lpVtbl; LONG refs; };

static HRESULT CC factory_QueryInterface(IClassFactory *f, REFIID riid, void **out)
{
    *out = NULL;
    if (!same_guid(riid, &IID_IUnknown) && !same_guid(riid, &IID_IClassFactory))
        return E_NOINTERFACE;
    f->refs++;
    *out = f;
    return S_OK;
}
static ULONG CC factory_AddRef(IClassFactory *f) { return (ULONG)++f->refs; }
static ULONG CC factory_Release(IClassFactory *f)
{
    LONG refs = --f->refs;
    if (!refs) { free(f); live_objects--; }
    return (ULONG)refs;
}
static HRESULT CC factory_CreateInstance(IClassFactory *f, void *outer, REFIID riid, void **out)
{
    *out = NULL;
    if (outer) return CLASS_E_NOAGGREGATION;
    TestObject *obj = create_object();
    HRESULT hr = query(obj, riid, out);
    release(obj);
    return hr;
}
static HRESULT CC factory_LockServer(IClassFactory *f, BOOL lock) { return S_OK; }

static const IClassFactoryVtbl factory_vtbl = {
    factory_QueryInterface, factory_AddRef, factory_Release, factory_CreateInstance,
    factory_LockServer,
};

EXPORT HRESULT CC DllGetClassObject(REFIID clsid, REFIID riid, void **out)
{
    *out = NULL;
    if (!same_guid(clsid, &CLSID_TestObject)) return CLASS_E_CLASSNOTAVAILABLE;
    IClassFactory *f = calloc(1, sizeof *f);
    f->lpVtbl = &factory_vtbl;
    f->refs = 1;
    live_objects++;
    HRESULT hr = factory_QueryInterface(f, riid, out);
    factory_Release(f);
    return hr;
}

/* ------------------------------------------------------------------ module testobj */

EXPORT HRESULT CC CreateTestObject(REFIID riid, void **out)
{
    TestObject *obj = create_object();
    HRESULT hr = query(obj, riid, out);
    release(obj);
    return hr;
}

EXPORT LONG CC LiveObjects(void) { return live_objects; }
EXPORT LONG CC LiveStrings(void) { return live_strings; }
EXPORT LONG CC LiveArrays(void) { return live_arrays; }

EXPORT LONG CC ObjectRefs(void *object)
{
    const void *vtbl = *(const void **)object;
    if (vtbl == &dual_vtbl) return from_dual(object)->refs;
    if (vtbl == &object_vtbl) return from_primary(object)->refs;
    if (vtbl == &factory_vtbl) return ((IClassFactory *)object)->refs;
    return -1;
}

EXPORT TRect CC MakeRect(LONG left, LONG top, LONG right, LONG bottom)
{
    TRect r = {{left, top}, {right, bottom}};
    return r;
}

EXPORT TPoint CC MakePoint(LONG x, LONG y)
{
    TPoint p = {x, y};
    return p;
}

EXPORT double CC Mix(float a, double b, LONG c, float d, double e, LONGLONG f, BYTE g, double h)
{
    return a + b + c + d + e + (double)f + g + h;
}

EXPORT LONG PlainAdd(LONG a, LONG b) { return a + b; }

EXPORT HRESULT CC Describe(LONG value, WCHAR **text)
{
    char buffer[32];
    int n = snprintf(buffer, sizeof buffer, "value=%d", value);
    WCHAR *out = task_alloc((size_t)(n + 1) * sizeof(WCHAR));
    for (int i = 0; i < n; i++) out[i] = (WCHAR)buffer[i];
    *text = out;
    return S_OK;
}
