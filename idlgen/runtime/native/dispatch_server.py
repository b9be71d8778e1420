"""IDispatch of exposed Python objects, for native clients.

The IDispatch slots of an exposed object (:mod:`~idlgen.runtime.native.exposure`) are served
here: ``GetIDsOfNames`` asks the Python object's ``GetIDsOfNames`` (the DISPIDs of the IDL; an
unknown name is ``DISPID_UNKNOWN`` and ``DISP_E_UNKNOWNNAME``), ``Invoke`` turns the
``DISPPARAMS`` into the argument list of the Python object's ``Invoke(dispid, flags, args)`` —
the arguments in declaration order (the reverse of ``rgvarg``), the value of a property put
last (the named argument ``DISPID_PROPERTYPUT``), by-reference VARIANTs as
:class:`~idlgen.runtime.ByRef` objects whose ``value`` is written back — and the result into
``*pVarResult``.  Where the interface has a vtable description (a dual interface), arguments
are coerced to the parameter types as ``VariantChangeType`` would (``DISP_E_TYPEMISMATCH`` /
``DISP_E_OVERFLOW`` with ``*puArgErr`` otherwise), and ``[out]``/``[in, out]`` parameters are
filled from the method's result.  Errors are Windows': ``DISP_E_MEMBERNOTFOUND``,
``DISP_E_BADPARAMCOUNT``, ``DISP_E_PARAMNOTFOUND`` ... are returned as they are; an error of
the implementation itself is ``DISP_E_EXCEPTION`` with ``EXCEPINFO`` (its ``scode`` the
HRESULT of a COMError, else ``E_FAIL``, and the error logged).
"""

from __future__ import annotations

import ctypes
import datetime
import decimal
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from idlgen.runtime.hresult import (
    DISP_E_BADPARAMCOUNT,
    DISP_E_BADVARTYPE,
    DISP_E_EXCEPTION,
    DISP_E_MEMBERNOTFOUND,
    DISP_E_NONAMEDARGS,
    DISP_E_OVERFLOW,
    DISP_E_PARAMNOTFOUND,
    DISP_E_PARAMNOTOPTIONAL,
    DISP_E_TYPEMISMATCH,
    DISP_E_UNKNOWNINTERFACE,
    DISP_E_UNKNOWNNAME,
    E_FAIL,
    E_INVALIDARG,
    E_NOTIMPL,
    E_POINTER,
    COMError,
)
from idlgen.runtime.interfaces import ByRef
from idlgen.runtime.metadata import (
    DISPATCH_METHOD,
    DISPATCH_PROPERTYGET,
    DISPATCH_PROPERTYPUT,
    DISPATCH_PROPERTYPUTREF,
    DISPID_PROPERTYPUT,
    DISPID_UNKNOWN,
)
from idlgen.runtime.native import automation as ole
from idlgen.runtime.native import description as d
from idlgen.runtime.native.callee import hresult_for
from idlgen.runtime.native.marshal import (
    _INT_BITS,
    _VT_ELEMENT,
    MISSING,
    Plan,
    _read_c_string,
    fill_variant,
    variant_clear,
    variant_value,
)
from idlgen.runtime.native.registry import BUILTIN_SCOPE
from idlgen.runtime.native.typecodes import CType, Named, PointerTo, Scalar, parse_type

__all__ = [
    "DISPATCH_ERRORS",
    "DISPPARAMS",
    "EXCEPINFO",
    "IID_NULL",
    "PUT_FLAGS",
    "coerce",
    "serve_ids_of_names",
    "serve_invoke",
    "server_function",
]


class DISPPARAMS(ctypes.Structure):
    """``DISPPARAMS``: the arguments of ``IDispatch::Invoke`` (``rgvarg`` in reverse order)."""

    _fields_ = [
        ("rgvarg", ctypes.c_void_p),
        ("rgdispidNamedArgs", ctypes.c_void_p),
        ("cArgs", ctypes.c_uint32),
        ("cNamedArgs", ctypes.c_uint32),
    ]


class EXCEPINFO(ctypes.Structure):
    """``EXCEPINFO``: what ``Invoke`` tells about a ``DISP_E_EXCEPTION``."""

    _fields_ = [
        ("wCode", ctypes.c_uint16),
        ("wReserved", ctypes.c_uint16),
        ("bstrSource", ctypes.c_void_p),
        ("bstrDescription", ctypes.c_void_p),
        ("bstrHelpFile", ctypes.c_void_p),
        ("dwHelpContext", ctypes.c_uint32),
        ("pvReserved", ctypes.c_void_p),
        ("pfnDeferredFillIn", ctypes.c_void_p),
        ("scode", ctypes.c_int32),
    ]


#: Errors ``Invoke`` returns as they are (the others of an implementation become
#: DISP_E_EXCEPTION with EXCEPINFO).
DISPATCH_ERRORS = frozenset(
    {
        DISP_E_BADPARAMCOUNT,
        DISP_E_BADVARTYPE,
        DISP_E_MEMBERNOTFOUND,
        DISP_E_NONAMEDARGS,
        DISP_E_OVERFLOW,
        DISP_E_PARAMNOTFOUND,
        DISP_E_PARAMNOTOPTIONAL,
        DISP_E_TYPEMISMATCH,
        DISP_E_UNKNOWNINTERFACE,
        DISP_E_UNKNOWNNAME,
    }
)
#: the flags of a property put
PUT_FLAGS = DISPATCH_PROPERTYPUT | DISPATCH_PROPERTYPUTREF
#: the ``riid`` of every ``GetIDsOfNames``/``Invoke`` (zeros)
IID_NULL = ole.GUID()
_VARIANT_SIZE = ctypes.sizeof(ole.VARIANT)


def _expose() -> Any:
    from idlgen.runtime.native import exposure as expose

    return expose


def _pointer_at(address: int) -> int:
    return ctypes.c_void_p.from_address(address).value or 0


class _Refused(Exception):
    """An HRESULT ``Invoke`` returns directly, with the index in ``rgvarg`` it is about."""

    def __init__(self, hresult: int, argument: int | None = None) -> None:
        super().__init__(hresult)
        self.hresult = hresult
        self.argument = argument


# --------------------------------------------------------------------------- coercion


_INT_RANGES = {
    code: ((-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1))
    for code, (bits, signed) in _INT_BITS.items()
}
_INT_RANGES["hresult"] = (-(1 << 31), (1 << 32) - 1)  # an HRESULT is given either way


def _number(value: Any) -> int | float | decimal.Decimal:
    """A number from what a VARIANT held (bool is VARIANT_TRUE = -1, as Windows converts)."""
    if isinstance(value, bool):
        return -1 if value else 0
    if value is None:
        return 0
    if isinstance(value, int | float | decimal.Decimal):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                return float(text)
            except ValueError:
                raise _Refused(DISP_E_TYPEMISMATCH) from None
    raise _Refused(DISP_E_TYPEMISMATCH)


def coerce(value: Any, ct: CType) -> Any:
    """A VARIANT's value converted to parameter type *ct* (``VariantChangeType``'s common
    cases); raises :class:`_Refused` with DISP_E_TYPEMISMATCH or DISP_E_OVERFLOW."""
    if isinstance(ct, PointerTo) and isinstance(ct.target, Named) and ct.target.kind == "iface":
        if value is None or _expose().is_com_object(value) or hasattr(value, "_idlgen_ptr_"):
            return value
        raise _Refused(DISP_E_TYPEMISMATCH)
    if (
        isinstance(ct, PointerTo)
        and isinstance(ct.target, Scalar)
        and ct.target.name
        in (
            "char8",
            "char16",
        )
    ):
        ct = Scalar("bstr")
    if not isinstance(ct, Scalar):
        return value
    name = ct.name
    if name in ("variant", "void"):
        return value
    if name in ("bstr",):
        if isinstance(value, str):
            return value
        if value is None:
            return ""
        if isinstance(value, bool):
            return "True" if value else "False"
        if isinstance(value, int | float | decimal.Decimal):
            return str(value)
        raise _Refused(DISP_E_TYPEMISMATCH)
    if name in ("bool32", "bool8", "vbool"):
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return bool(_number(value))
    if name in ("f32", "f64"):
        return float(_number(value))
    if name == "date":
        if isinstance(value, datetime.datetime):
            return value
        return ole.date_to_python(float(_number(value)))
    if name in ("cy", "decimal"):
        number = _number(value)
        return (
            decimal.Decimal(number)
            if not isinstance(number, float)
            else decimal.Decimal(repr(number))
        )
    if name == "guid":
        try:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        except ValueError:
            raise _Refused(DISP_E_TYPEMISMATCH) from None
    if name == "hresult" or name.startswith(("i", "u")) or name in ("char8", "char16"):
        number = _number(value)
        if not isinstance(number, int):
            number = int(decimal.Decimal(number).to_integral_value(decimal.ROUND_HALF_EVEN))
        low, high = _INT_RANGES[name]
        if not low <= number <= high:
            raise _Refused(DISP_E_OVERFLOW)
        return number
    return value


# --------------------------------------------------------------------------- by reference


def _read_byref(var: ole.VARIANT, abi: int) -> Any:
    """The value a by-reference VARIANT points to."""
    base = var.vt & ~ole.VT_BYREF
    target = var.value.byref or 0
    if not target:
        return None
    if base == ole.VT_VARIANT:
        return variant_value(ole.VARIANT.from_address(target), abi)
    if base == ole.VT_DECIMAL:
        return ole.decimal_to_python(ole.DECIMAL.from_address(target))
    inner = ole.VARIANT()
    inner.vt = base
    element = _BYREF_ELEMENTS.get(base)
    size = _BYREF_SIZES.get(element or "", 8)
    ctypes.memmove(ctypes.addressof(inner.value), target, size)
    return variant_value(inner, abi)  # copies: the pointed value stays the caller's


def _write_byref(var: ole.VARIANT, value: Any, abi: int) -> None:
    """Store *value* where a by-reference VARIANT points, as its type (the old value freed)."""
    base = var.vt & ~ole.VT_BYREF
    target = var.value.byref or 0
    if not target:
        return
    if base == ole.VT_VARIANT:
        fresh = ole.VARIANT()
        fill_variant(fresh, value, abi)
        variant_clear(target, abi)
        ctypes.memmove(target, ctypes.addressof(fresh), _VARIANT_SIZE)
        return
    element = _BYREF_ELEMENTS.get(base)
    if element is None:
        raise _Refused(DISP_E_BADVARTYPE)
    from idlgen.runtime.native.callee import write_out

    old = ctypes.string_at(target, 16 if base == ole.VT_DECIMAL else 8)
    undo: list[Callable[[], None]] = []
    write_out(parse_type(element), BUILTIN_SCOPE, abi)(
        target, coerce(value, parse_type(element)), undo
    )
    if base in (ole.VT_BSTR, ole.VT_UNKNOWN, ole.VT_DISPATCH):
        holder = ole.VARIANT()
        holder.vt = base
        ctypes.memmove(ctypes.addressof(holder.value), old, 8)
        variant_clear(ctypes.addressof(holder), abi)


#: the element type of a by-reference VARIANT of each VARTYPE
_BYREF_ELEMENTS = {
    **{vt: code for vt, code in _VT_ELEMENT.items() if vt != ole.VT_VARIANT},
    ole.VT_UNKNOWN: "*iface:IUnknown",
    ole.VT_DISPATCH: "*iface:IDispatch",
}

_BYREF_SIZES = {"i8": 1, "u8": 1, "i16": 2, "u16": 2, "vbool": 2, "i32": 4, "u32": 4, "f32": 4}
_BYREF_SIZES["hresult"] = 4


# --------------------------------------------------------------------------- the server


_described_dispatch: dict[tuple[type, int], tuple[d.Interface, ...]] = {}


def _dispatch_descriptions(obj: Any, info: d.Interface) -> tuple[d.Interface, ...]:
    """Where the typed members ``Invoke`` of an exposed object looks DISPIDs up: the
    pointer's own interface, then (for a plain IDispatch pointer) the object's dual
    interfaces, its default interface first — the interfaces its ``Invoke`` serves."""
    key = (type(obj), id(info))
    found = _described_dispatch.get(key)
    if found is None:
        from idlgen.runtime.interfaces import interfaces_of
        from idlgen.runtime.native.registry import DescriptionError, describe

        chain = [info]
        default = getattr(type(obj), "_default_interface_", None)
        classes = list(interfaces_of(default)) if isinstance(default, type) else []
        classes += [c for c in interfaces_of(type(obj)) if c not in classes]
        for cls in classes:
            try:
                described = describe(cls)
            except DescriptionError:
                continue
            if described.dispatch and described.methods and described not in chain:
                chain.append(described)
        found = _described_dispatch[key] = tuple(chain)
    return found


_typed_members: dict[tuple[int, int, int], d.Method | None] = {}


def _typed_member(infos: Sequence[d.Interface], dispid: int, flags: int) -> d.Method | None:
    """The described method *dispid* names for *flags* (None: no description)."""
    key = (id(infos), dispid, flags)
    if key in _typed_members:
        return _typed_members[key]
    found = None
    for info in infos:
        found = _typed_member_of(info, dispid, flags)
        if found is not None:
            break
    _typed_members[key] = found
    return found


def _typed_member_of(info: d.Interface, dispid: int, flags: int) -> d.Method | None:
    kinds: list[str] = []
    if flags & DISPATCH_PROPERTYPUTREF:
        kinds.append("propputref")
    if flags & DISPATCH_PROPERTYPUT:
        kinds.append("propput")
    if flags & DISPATCH_METHOD:
        kinds.append("method")
    if flags & DISPATCH_PROPERTYGET:
        kinds.append("propget")
    found: dict[str, d.Method] = {}
    node: d.Interface | None = info
    while node is not None:
        for m in node.methods:
            if m.dispid == dispid:
                found.setdefault(m.kind, m)
        node = node.base
    for kind in kinds:
        if kind in found:
            return found[kind]
    return None


class _Call:
    """One ``Invoke`` from native code, read from its DISPPARAMS."""

    def __init__(self, abi: int, pdp: int, flags: int, typed: d.Method | None) -> None:
        self.abi = abi
        self.flags = flags
        self.typed = typed
        params = DISPPARAMS.from_address(pdp)
        count, named = params.cArgs, params.cNamedArgs
        if named > count or (count and not params.rgvarg):
            raise _Refused(E_INVALIDARG)
        if named and not params.rgdispidNamedArgs:
            raise _Refused(E_INVALIDARG)
        self.rgvarg = params.rgvarg or 0
        names = (
            list((ctypes.c_int32 * named).from_address(params.rgdispidNamedArgs)) if named else []
        )
        # the index in rgvarg of each argument, in declaration order
        order: list[int] = list(range(count - 1, named - 1, -1))
        value_index: int | None = None
        if flags & PUT_FLAGS:
            if not names or names[0] != DISPID_PROPERTYPUT:
                raise _Refused(DISP_E_PARAMNOTFOUND)
            value_index = 0
            names, first_named = names[1:], 1
        else:
            first_named = 0
            if DISPID_PROPERTYPUT in names:
                raise _Refused(DISP_E_PARAMNOTFOUND, names.index(DISPID_PROPERTYPUT))
        placed: dict[int, int] = {}
        for j, position in enumerate(names):
            if position < len(order) or position in placed or position < 0:
                raise _Refused(DISP_E_PARAMNOTFOUND, first_named + j)
            placed[position] = first_named + j
        for position in sorted(placed):
            if position != len(order):
                raise _Refused(DISP_E_PARAMNOTFOUND, placed[position])  # a gap
            order.append(placed[position])
        if value_index is not None:
            order.append(value_index)
        self.order = order
        self.byrefs: list[tuple[int, ByRef[Any]]] = []
        self.outs: list[tuple[d.Param, int | None]] = []

    def variant(self, index: int) -> ole.VARIANT:
        return ole.VARIANT.from_address(self.rgvarg + index * _VARIANT_SIZE)

    def arguments(self) -> list[Any]:
        """The Python arguments (ByRef for by-reference VARIANTs without a description)."""
        params = self._typed_params()
        args: list[Any] = []
        for position, index in enumerate(self.order):
            var = self.variant(index)
            param = params[position] if params is not None and position < len(params) else None
            if param is not None and param.direction == "out" and not param.retval:
                if not var.vt & ole.VT_BYREF:
                    raise _Refused(DISP_E_TYPEMISMATCH, index)
                self.outs.append((param, index))
                continue
            try:
                if var.vt & ole.VT_BYREF:
                    value = _read_byref(var, self.abi)
                else:
                    value = variant_value(var, self.abi)
                    if var.vt == ole.VT_ERROR and value == 0x80020004:  # DISP_E_PARAMNOTFOUND
                        value = MISSING
            except COMError:
                raise _Refused(DISP_E_BADVARTYPE, index) from None
            if param is not None and value is not MISSING:
                value = self._coerce(value, param, index)
            if param is not None and param.direction == "in,out":
                if not var.vt & ole.VT_BYREF:
                    raise _Refused(DISP_E_TYPEMISMATCH, index)
                self.outs.append((param, index))
            elif var.vt & ole.VT_BYREF and param is None:
                ref: ByRef[Any] = ByRef(value)
                self.byrefs.append((index, ref))
                value = ref
            args.append(value)
        while args and args[-1] is MISSING:
            args.pop()  # optional arguments left out: the defaults apply
        return [None if a is MISSING else a for a in args]

    def _typed_params(self) -> list[d.Param] | None:
        if self.typed is None:
            return None
        return [p for p in self.typed.params if not p.retval]

    def _coerce(self, value: Any, param: d.Param, index: int) -> Any:
        ct = parse_type(param.type)
        if param.direction != "in" and isinstance(ct, PointerTo):
            ct = ct.target
        try:
            return coerce(value, ct)
        except _Refused as refused:
            raise _Refused(refused.hresult, index) from None

    def store(self, result: Any, pres: int) -> None:
        """The result into ``*pVarResult``, [out] values and ByRefs into their VARIANTs."""
        abi = self.abi
        typed = self.typed
        retval: Any = result
        if typed is not None and self.outs:
            outs = [p for p in typed.params if p.direction != "in"]
            values = list(result) if len(outs) > 1 else [result]
            if len(values) != len(outs):
                raise TypeError(f"expected a tuple of {len(outs)} values")
            by_param = dict(zip([id(p) for p in outs], values, strict=True))
            retval = next((by_param[id(p)] for p in outs if p.retval), None)
            for param, index in self.outs:
                if index is not None:
                    self._write(index, by_param[id(param)])
        for index, ref in self.byrefs:
            self._write(index, ref.value)
        if pres and not self.flags & PUT_FLAGS:
            fill_variant(ole.VARIANT.from_address(pres), retval, abi)

    def _write(self, index: int, value: Any) -> None:
        try:
            _write_byref(self.variant(index), value, self.abi)
        except _Refused as refused:
            raise _Refused(refused.hresult, index) from None
        except (TypeError, ValueError, OverflowError):
            raise _Refused(DISP_E_TYPEMISMATCH, index) from None


def _fill_excepinfo(address: int, source: str, text: str, hresult: int) -> None:
    if not address:
        return
    info = EXCEPINFO.from_address(address)
    automation = ole.automation()
    info.wCode = 0
    info.bstrSource = automation.bstr_alloc(source)
    info.bstrDescription = automation.bstr_alloc(text)
    info.scode = hresult - (1 << 32) if hresult >= 1 << 31 else hresult


def serve_invoke(obj: Any, info: d.Interface, abi: int, c: Sequence[Any]) -> int:
    """``IDispatch::Invoke`` of an exposed object (*c*: its C arguments, ``this`` first, the
    pointers as ints): the HRESULT to return."""
    dispid, riid, flags = c[1], c[2] or 0, c[4]
    pdp, pres, pexc, parg = (c[i] or 0 for i in (5, 6, 7, 8))
    if pres:
        ctypes.memset(pres, 0, _VARIANT_SIZE)
    if pexc:
        ctypes.memset(pexc, 0, ctypes.sizeof(EXCEPINFO))
    if riid and bytes(ole.GUID.from_address(riid)) != bytes(IID_NULL):
        return DISP_E_UNKNOWNINTERFACE
    if not pdp:
        return E_INVALIDARG
    what = f"{info.name}.Invoke(DISPID {dispid})"
    try:
        typed = _typed_member(_dispatch_descriptions(obj, info), dispid, flags)
        call = _Call(abi, pdp, flags, typed)
        args = call.arguments()
    except _Refused as refused:
        if parg and refused.argument is not None:
            ctypes.c_uint32.from_address(parg).value = refused.argument
        return refused.hresult
    python_invoke = getattr(obj, "Invoke", None)
    if not callable(python_invoke):
        return DISP_E_MEMBERNOTFOUND
    try:
        result = python_invoke(dispid, flags, args)
    except BaseException as exc:
        if isinstance(exc, COMError) and exc.hresult in DISPATCH_ERRORS:
            return exc.hresult
        hr = hresult_for(exc, what)
        text = exc.text if isinstance(exc, COMError) else f"{type(exc).__name__}: {exc}"
        _fill_excepinfo(pexc, type(obj).__name__, text or str(exc), hr)
        return DISP_E_EXCEPTION
    try:
        call.store(result, pres)
    except _Refused as refused:
        if parg and refused.argument is not None:
            ctypes.c_uint32.from_address(parg).value = refused.argument
        return refused.hresult
    except Exception as exc:
        hr = hresult_for(exc, f"{what} (its result)")
        _fill_excepinfo(pexc, type(obj).__name__, f"{type(exc).__name__}: {exc}", hr)
        if pres:
            variant_clear(pres, abi)
        return DISP_E_EXCEPTION
    return 0


def serve_ids_of_names(obj: Any, info: d.Interface, c: Sequence[Any]) -> int:
    """``IDispatch::GetIDsOfNames`` of an exposed object (*c* as for :func:`serve_invoke`)."""
    riid, names_at, count, ids_at = c[1] or 0, c[2] or 0, c[3], c[5] or 0
    if not ids_at or (count and not names_at):
        return E_POINTER
    ids = (ctypes.c_int32 * count).from_address(ids_at)
    for i in range(count):
        ids[i] = DISPID_UNKNOWN
    if riid and bytes(ole.GUID.from_address(riid)) != bytes(IID_NULL):
        return DISP_E_UNKNOWNINTERFACE
    if not count:
        return E_INVALIDARG
    pointers = (ctypes.c_void_p * count).from_address(names_at)
    names = [_read_c_string(p, True) if p else "" for p in pointers]
    lookup = getattr(obj, "GetIDsOfNames", None)
    if not callable(lookup):
        return DISP_E_UNKNOWNNAME
    what = f"{info.name}.GetIDsOfNames"
    try:
        found = list(lookup(*names))
    except COMError as exc:
        if exc.hresult != DISP_E_UNKNOWNNAME:
            return exc.hresult
        found = _one_by_one(lookup, names, what)
    except Exception as exc:
        return hresult_for(exc, what)
    known = True
    for i, dispid in enumerate(found[:count]):
        if dispid is None or dispid == DISPID_UNKNOWN:
            known = False
            continue
        ids[i] = int(dispid)
    return 0 if known and len(found) >= count else DISP_E_UNKNOWNNAME


def _one_by_one(lookup: Callable[..., Any], names: list[str], what: str) -> list[int | None]:
    """DISPIDs name by name, after a lookup of them all failed: the member's, then each
    parameter's (DISPID_UNKNOWN for the unknown ones)."""
    out: list[int | None] = []
    try:
        out.append(int(lookup(names[0])[0]))
    except Exception:
        return [None] * len(names)
    for name in names[1:]:
        try:
            out.append(int(lookup(names[0], name)[1]))
        except Exception:
            out.append(None)
    return out


def server_function(m: d.Method, info: d.Interface, abi: int) -> int:
    """The function of IDispatch slot *m* of an exposed *info* (slots 3 to 6)."""
    from idlgen.runtime.native.callee import c_formats

    expose = _expose()
    plan = Plan(f"IDispatch.{m.name}", m.returns, m.params, BUILTIN_SCOPE, abi, method=True)
    what = f"{info.name}.{m.name}"

    def serve(c: Sequence[Any]) -> int:
        obj = expose.served_object(c[0])
        if obj is None:
            return int(expose.disconnected(what, c[0] or 0))
        if m.slot == 3:  # GetTypeInfoCount
            if not c[1]:
                return E_POINTER
            ctypes.c_uint32.from_address(c[1]).value = 0
            return 0
        if m.slot == 4:  # GetTypeInfo: the runtime has no ITypeInfo
            if not c[3]:
                return E_POINTER
            ctypes.c_void_p.from_address(c[3]).value = None
            return E_NOTIMPL
        if m.slot == 5:
            return serve_ids_of_names(obj, info, c)
        return serve_invoke(obj, info, abi, c)

    formats = c_formats(m, BUILTIN_SCOPE, abi)
    return int(expose.native_function(plan.cif, formats, "hresult", serve, E_FAIL, what, abi))
