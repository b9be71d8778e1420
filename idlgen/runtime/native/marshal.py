"""Call plans: how one vtable slot or exported function is called from Python.

A :class:`Plan` is built once per (description, calling convention) and holds everything
a call needs: the prepared ``ffi_cif``, a ctypes *frame* class (one structure holding the
return value, every argument, the storage of ``[out]`` values and the argument pointer
array libffi reads), a pool of frames (reused, so a call allocates no ctypes memory for
plain arguments), and one converter per parameter.

Conventions (those of the generated stubs): ``[in]`` and ``[in, out]`` parameters are the
Python arguments, in IDL order; the result is the non-HRESULT return value (first) and the
``[out]``/``[in, out]`` values in declaration order — none gives None, one that value, more
a tuple.  A failed HRESULT raises :class:`~idlgen.runtime.COMError` (nothing is read back).
A wrong argument raises TypeError/ValueError/OverflowError naming the parameter, before
any native code runs.
"""

from __future__ import annotations

import ctypes
import datetime
import decimal
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from idlgen.runtime.hresult import DISP_E_PARAMNOTFOUND, COMError
from idlgen.runtime.interfaces import ByRef, IDispatch, IID_IDispatch, is_interface
from idlgen.runtime.metadata import NO_DEFAULT
from idlgen.runtime.native import _ffi
from idlgen.runtime.native import automation as ole
from idlgen.runtime.native import description as d
from idlgen.runtime.native.ctypes_map import SCALAR_CTYPES, ffi_scalar
from idlgen.runtime.native.layouts import struct_ffi_type, to_layout
from idlgen.runtime.native.registry import DescriptionError, Scope
from idlgen.runtime.native.typecodes import (
    ArrayOf,
    CType,
    Named,
    PointerTo,
    SafeArrayOf,
    Scalar,
    parse_type,
)

__all__ = ["MISSING", "Plan", "python_names"]

_CData: Any = ctypes.c_int.__mro__[-2]
_CFuncPtr: Any = ctypes.CFUNCTYPE(None).__mro__[1]

#: Stands for an omitted ``[optional]`` argument without a default.
MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "MISSING"})()

_INT_BITS = {
    "i8": (8, True),
    "u8": (8, False),
    "i16": (16, True),
    "u16": (16, False),
    "i32": (32, True),
    "u32": (32, False),
    "i64": (64, True),
    "u64": (64, False),
    "iptr": (ctypes.sizeof(ctypes.c_void_p) * 8, True),
    "uptr": (ctypes.sizeof(ctypes.c_void_p) * 8, False),
    "hresult": (32, True),
    "char8": (8, True),
    "char16": (16, False),
    "cy": (64, True),
}
_BOOLS = {"bool32": 1, "bool8": 1, "vbool": -1}
_STRUCT_SCALARS = {"guid": ole.GUID, "variant": ole.VARIANT, "decimal": ole.DECIMAL}
_VT_OF_SCALAR = {
    "i8": ole.VT_I1,
    "u8": ole.VT_UI1,
    "i16": ole.VT_I2,
    "u16": ole.VT_UI2,
    "i32": ole.VT_I4,
    "u32": ole.VT_UI4,
    "i64": ole.VT_I8,
    "u64": ole.VT_UI8,
    "f32": ole.VT_R4,
    "f64": ole.VT_R8,
    "hresult": ole.VT_ERROR,
    "vbool": ole.VT_BOOL,
    "bool32": ole.VT_I4,
    "date": ole.VT_DATE,
    "cy": ole.VT_CY,
    "bstr": ole.VT_BSTR,
    "variant": ole.VT_VARIANT,
    "decimal": ole.VT_DECIMAL,
}

Converter = Callable[[Any, "Ctx"], Any]
Reader = Callable[[Any, Sequence[Any], "Ctx"], Any]


_modules: dict[str, Any] = {}


def _proxy() -> Any:
    module = _modules.get("proxy")
    if module is None:
        from idlgen.runtime.native import proxy as module

        _modules["proxy"] = module
    return module


def _expose() -> Any:
    module = _modules.get("exposure")
    if module is None:
        from idlgen.runtime.native import exposure as module

        _modules["exposure"] = module
    return module


def python_names(names: Sequence[str]) -> list[str]:
    """The Python parameter names generated signatures use for IDL *names* (a keyword,
    ``self``/``cls``, a name starting with ``__`` or a taken one gets ``_`` appended)."""
    import keyword

    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        py = name
        while (
            keyword.iskeyword(py)
            or py in ("self", "cls")
            or (py.startswith("__") and not py.endswith("___"))
            or py in taken
        ):
            py += "_"
        taken.add(py)
        out.append(py)
    return out


class Ctx:
    """What one call keeps alive, must free afterwards and hands between steps."""

    __slots__ = ("abi", "cleanups", "keep", "objects", "writebacks")

    def __init__(self, abi: int) -> None:
        self.abi = abi
        self.keep: list[Any] = []
        self.cleanups: list[Callable[[], None]] = []
        self.objects: dict[int, Any] = {}
        self.writebacks: list[Callable[[], None]] = []

    def close(self) -> None:
        """Run the cleanups (frees), last first."""
        while self.cleanups:
            self.cleanups.pop()()


# --------------------------------------------------------------------------- type helpers


def _describe(ct: CType) -> str:
    if isinstance(ct, Scalar):
        return ct.name
    if isinstance(ct, PointerTo):
        return _describe(ct.target) + "*"
    if isinstance(ct, ArrayOf):
        return f"{_describe(ct.element)}[{ct.count}]"
    if isinstance(ct, SafeArrayOf):
        return f"SAFEARRAY({_describe(ct.element)})"
    assert isinstance(ct, Named)
    return ct.name


def storage_type(ct: CType, scope: Scope) -> Any:
    """The ctypes type holding one value of C type *ct*."""
    if isinstance(ct, Scalar):
        if ct.name in _STRUCT_SCALARS:
            return _STRUCT_SCALARS[ct.name]
        if ct.name == "void":
            raise TypeError("void has no storage")
        return SCALAR_CTYPES[ct.name][0]
    if isinstance(ct, PointerTo | SafeArrayOf):
        return ctypes.c_void_p
    if isinstance(ct, ArrayOf):
        return storage_type(ct.element, scope) * ct.count
    assert isinstance(ct, Named)
    if ct.kind == "iface":
        raise TypeError(f"interface {ct.name} cannot be passed by value")
    if ct.kind == "opaque":
        raise TypeError(f"type {ct.name} has no description (only a pointer to it can be passed)")
    return scope.layout(ct.kind, ct.name)


def ffi_type(ct: CType, scope: Scope) -> int:
    """The libffi type of C type *ct* passed or returned by value."""
    if isinstance(ct, Scalar):
        if ct.name == "void":
            return ffi_scalar("void")
        if ct.name in _STRUCT_SCALARS:
            return struct_ffi_type(_STRUCT_SCALARS[ct.name])
        return ffi_scalar(SCALAR_CTYPES[ct.name][1])
    if isinstance(ct, PointerTo | SafeArrayOf | ArrayOf):
        return ffi_scalar("pointer")
    return struct_ffi_type(storage_type(ct, scope))


def _is_aggregate(ct: CType) -> bool:
    return (isinstance(ct, Named) and ct.kind in ("struct", "union")) or (
        isinstance(ct, Scalar) and ct.name in _STRUCT_SCALARS
    )


def _is_char(ct: CType) -> bool:
    return isinstance(ct, Scalar) and ct.name in ("char8", "char16")


# --------------------------------------------------------------------------- values in


def _type_error(expected: str, value: object) -> TypeError:
    return TypeError(f"expected {expected}, got {type(value).__name__}")


def _int_converter(name: str) -> Callable[[Any], int]:
    bits, _signed = _INT_BITS[name]
    low, high = -(1 << (bits - 1)), (1 << bits) - 1
    char = name in ("char8", "char16")

    def convert(value: Any, ctx: Any = None) -> int:
        if value.__class__ is not int:
            if char and isinstance(value, str) and len(value) == 1:
                value = ord(value)
            elif isinstance(value, int):
                value = int(value)
            elif hasattr(value, "__index__") and not isinstance(value, float):
                value = value.__index__()
            else:
                raise _type_error("an int", value)
        if low <= value <= high:
            return int(value)
        raise OverflowError(f"{value} does not fit {name}")

    return convert


def scalar_converter(name: str) -> Callable[..., Any]:
    """``convert(value, ctx=None)``: Python value -> the C value of scalar *name* (not for
    guid/variant/decimal/bstr/fn)."""
    if name in _INT_BITS and name != "cy":
        return _int_converter(name)
    if name in ("f32", "f64"):

        def to_float(value: Any, ctx: Any = None) -> float:
            if value.__class__ is float or (
                isinstance(value, int | float) and not isinstance(value, bool)
            ):
                return float(value)
            raise _type_error("a number", value)

        return to_float
    if name in _BOOLS:
        true = _BOOLS[name]

        def to_bool(value: Any, ctx: Any = None) -> int:
            if isinstance(value, bool | int):
                return true if value else 0
            raise _type_error("a bool", value)

        return to_bool
    if name == "date":
        return lambda value, ctx=None: ole.date_from_python(value)
    if name == "cy":
        return lambda value, ctx=None: ole.cy_from_python(value)
    raise TypeError(f"no converter for {name}")


def guid_of(value: object) -> uuid.UUID:
    """A GUID given as a ``uuid.UUID``, a GUID string, an interface class (its IID), a
    coclass (its CLSID) or a ctypes ``GUID``."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValueError(f"not a GUID: {value!r}") from None
    if isinstance(value, type):
        if is_interface(value):
            iid: uuid.UUID = value.__dict__["IID"]
            return iid
        clsid = getattr(value, "CLSID", None)
        if isinstance(clsid, uuid.UUID):
            return clsid
    if isinstance(value, ole.GUID):
        return value.to_uuid()
    raise _type_error("a GUID (uuid.UUID, str, or an interface class)", value)


def _string_buffer(value: str | bytes, wide: bool, keep: list[Any]) -> int:
    if isinstance(value, str):
        data = value.encode("utf-16-le" if wide else "utf-8", "surrogatepass")
    else:
        data = value
    buffer = ctypes.create_string_buffer(data, len(data) + 2)
    keep.append(buffer)
    return ctypes.addressof(buffer)


def _buffer_address(value: object, keep: list[Any]) -> int | None:
    """The address of a bytes-like object's memory (copied for read-only ``bytes``)."""
    if isinstance(value, bytes):
        buffer = ctypes.create_string_buffer(value, len(value))
        keep.append(buffer)
        return ctypes.addressof(buffer)
    if isinstance(value, bytearray | memoryview):
        view = memoryview(value)
        if view.readonly:
            return _buffer_address(view.tobytes(), keep)
        if not view.contiguous:
            raise ValueError("the buffer is not contiguous")
        array = (ctypes.c_char * view.nbytes).from_buffer(view)
        keep.append(array)
        return ctypes.addressof(array)
    return None


def _ctypes_address(value: object) -> int | None:
    """The address a ctypes object stands for as a pointer argument: a pointer's value, a
    ``c_void_p``'s value, else the address of the object's own memory."""
    if isinstance(value, ctypes._Pointer):
        return ctypes.cast(value, ctypes.c_void_p).value or 0
    if isinstance(value, ctypes.c_void_p):
        return value.value or 0
    if isinstance(value, _CData):
        return ctypes.addressof(value)
    return None


class _Builder:
    """Builds the converters and readers of one plan."""

    def __init__(self, qualname: str, scope: Scope, abi: int, params: Sequence[d.Param]) -> None:
        self.qualname = qualname
        self.scope = scope
        self.abi = abi
        self.params = params
        self.by_name = {p.name: i for i, p in enumerate(params)}
        self.needs_ctx = False

    # ------------------------------------------------------------------ in

    def in_converter(self, ct: CType, param: d.Param) -> Converter:
        """Python value -> C value of parameter type *ct* (direction in)."""
        if isinstance(ct, ArrayOf):
            return self.pointer_converter(ct.element, param, fixed=ct.count)
        if isinstance(ct, PointerTo):
            return self.pointer_converter(ct.target, param)
        if isinstance(ct, SafeArrayOf):
            self.needs_ctx = True
            element = ct.element

            def to_safearray(value: Any, ctx: Ctx) -> int | None:
                if value is None or value is MISSING:
                    return None
                address = make_safearray(element, value, self.scope, ctx.abi)
                ctx.cleanups.append(
                    lambda: destroy_safearray(element, address, self.scope, ctx.abi)
                )
                return address

            return to_safearray
        if isinstance(ct, Named):
            cls = storage_type(ct, self.scope)
            self.needs_ctx = True

            def to_struct(value: Any, ctx: Ctx) -> Any:
                return to_layout(cls, value, ctx.keep)

            return to_struct
        assert isinstance(ct, Scalar)
        name = ct.name
        if name == "guid":
            return lambda value, ctx: ole.guid_struct(guid_of(value))
        if name == "decimal":

            def to_decimal(value: Any, ctx: Ctx) -> ole.DECIMAL:
                out = ole.DECIMAL()
                ole.decimal_from_python(value, out)
                return out

            return to_decimal
        if name == "variant":
            self.needs_ctx = True

            def to_variant(value: Any, ctx: Ctx) -> ole.VARIANT:
                var = ole.VARIANT()
                fill_variant(var, value, ctx.abi)
                ctx.keep.append(var)
                ctx.cleanups.append(lambda: variant_clear(ctypes.addressof(var), ctx.abi))
                return var

            return to_variant
        if name == "bstr":
            self.needs_ctx = True

            def to_bstr(value: Any, ctx: Ctx) -> int | None:
                if value is None or value is MISSING:
                    return None
                if not isinstance(value, str):
                    raise _type_error("a str", value)
                address = ole.automation().bstr_alloc(value)
                ctx.cleanups.append(lambda: ole.automation().bstr_free(address))
                return address

            return to_bstr
        if name == "fn":
            return lambda value, ctx: self.function_pointer(value)
        if name == "void":
            raise TypeError(f"parameter {param.name} has type void")
        return scalar_converter(name)

    @staticmethod
    def function_pointer(value: object) -> int | None:
        if value is None or value is MISSING:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, _CFuncPtr):
            return ctypes.cast(value, ctypes.c_void_p).value
        address = _ctypes_address(value)
        if address is not None:
            return address
        raise _type_error("a function pointer (int or ctypes function)", value)

    def pointer_converter(
        self, target: CType, param: d.Param, fixed: int | None = None
    ) -> Converter:
        """Python value -> address, for an ``[in]`` pointer to *target*."""
        self.needs_ctx = True
        proxy = _proxy()
        sized = param.size_is is not None or param.length_is is not None or fixed is not None
        if isinstance(target, Named) and target.kind == "iface":
            info = self.scope.interface(target.name)

            def to_interface(value: Any, ctx: Ctx) -> int | None:
                if value is None or value is MISSING:
                    return None
                if isinstance(value, proxy.NativeProxy):
                    return int(proxy.pointer_of(value, info))
                # a Python implementation: exposed, with a reference for the call
                expose = _expose()
                address = int(expose.reference_to(value, info, ctx.abi))
                ctx.cleanups.append(lambda: expose.release_reference(address, ctx.abi))
                return address

            return to_interface
        if _is_char(target) and not sized:
            wide = isinstance(target, Scalar) and target.name == "char16"

            def to_string(value: Any, ctx: Ctx) -> int | None:
                if value is None or value is MISSING:
                    return None
                if isinstance(value, str) or (isinstance(value, bytes) and not wide):
                    return _string_buffer(value, wide, ctx.keep)
                address = _ctypes_address(value)
                if address is not None:
                    ctx.keep.append(value)
                    return address
                raise _type_error("a str", value)

            return to_string
        if isinstance(target, Scalar) and target.name == "guid" and not sized:

            def to_guid_pointer(value: Any, ctx: Ctx) -> int | None:
                if value is None or value is MISSING:
                    return None
                if isinstance(value, ole.GUID):
                    ctx.keep.append(value)
                    return ctypes.addressof(value)
                return ctypes.addressof(ole.guid_struct(guid_of(value)))

            return to_guid_pointer
        if (isinstance(target, Scalar) and target.name == "void") or (
            isinstance(target, Named) and target.kind == "opaque"
        ):

            def to_void_pointer(value: Any, ctx: Ctx) -> int | None:
                if value is None or value is MISSING:
                    return None
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
                if isinstance(value, proxy.NativeProxy):
                    return int(proxy.pointer_of(value, None))
                address = _ctypes_address(value)
                if address is not None:
                    ctx.keep.append(value)
                    return address
                address = _buffer_address(value, ctx.keep)
                if address is not None:
                    return address
                raise _type_error("an address (int), a ctypes object or a buffer", value)

            return to_void_pointer
        try:
            element = storage_type(target, self.scope)
        except DescriptionError as exc:
            return _undescribed_pointer(str(exc))
        single = self.in_converter(target, param) if not isinstance(target, ArrayOf) else None
        init = self.initializer(target, param)
        read = self.reader(target)
        index = self.params.index(param)
        bytes_ok = isinstance(target, Scalar) and target.name in ("u8", "i8", "char8")

        def to_pointer(value: Any, ctx: Ctx) -> int | None:
            if value.__class__ is element:
                ctx.keep.append(value)
                return ctypes.addressof(value)
            if value is None or value is MISSING:
                return None
            if isinstance(value, ByRef):
                storage = element()
                init(storage, value.value, ctx)
                ctx.keep.append(storage)
                ctx.writebacks.append(lambda: _set_ref(value, read(_raw(storage), ctx)))
                return ctypes.addressof(storage)
            address = _ctypes_address(value)
            if address is not None:
                ctx.keep.append(value)
                return address
            if bytes_ok:
                address = _buffer_address(value, ctx.keep)
                if address is not None:
                    return address
            if isinstance(value, Sequence) and not isinstance(value, str | bytes):
                if fixed is not None and len(value) > fixed:
                    raise ValueError(f"{len(value)} items for an array of {fixed}")
                count = max(len(value), fixed or 0, 1)
                array = (element * count)()
                assert single is not None
                for i, item in enumerate(value):
                    _assign_item(array, i, single(item, ctx))
                ctx.keep.append(array)
                ctx.objects[index] = len(value)
                return ctypes.addressof(array)
            if single is not None and not sized and not isinstance(target, PointerTo):
                # one value by reference (a struct, a VARIANT, a BSTR*, a const UINT* ...)
                converted = single(value, ctx)
                if not isinstance(converted, ctypes.Structure | ctypes.Union):
                    storage = element()
                    storage.value = converted
                    converted = storage
                ctx.keep.append(converted)
                return ctypes.addressof(converted)
            if (
                isinstance(target, PointerTo)
                and isinstance(target.target, Named)
                and isinstance(value, proxy.NativeProxy)
            ):
                # IFoo** with a proxy: a one-element array of its pointer
                array1 = (ctypes.c_void_p * 1)(single(value, ctx) if single else None)
                ctx.keep.append(array1)
                return ctypes.addressof(array1)
            raise _type_error(
                f"a ByRef, a sequence or a ctypes object for {_describe(target)}*", value
            )

        return to_pointer

    def initializer(self, ct: CType, param: d.Param) -> Callable[[Any, Any, Ctx], None]:
        """fn(storage, value, ctx): put a Python value into out-storage, handing what it
        allocates to the storage (the reader frees it, or the callee replaces it)."""
        if isinstance(ct, Scalar) and ct.name == "variant":
            return lambda storage, value, ctx: fill_variant(storage, value, ctx.abi)
        if isinstance(ct, Scalar) and ct.name == "bstr":

            def init_bstr(storage: Any, value: Any, ctx: Ctx) -> None:
                if value is not None and not isinstance(value, str):
                    raise _type_error("a str", value)
                storage.value = ole.automation().bstr_alloc(value) if value is not None else None

            return init_bstr
        if isinstance(ct, PointerTo) and isinstance(ct.target, Named) and ct.target.kind == "iface":
            info = self.scope.interface(ct.target.name)

            def init_interface(storage: Any, value: Any, ctx: Ctx) -> None:
                if value is None:
                    storage.value = None
                    return
                # AddRef'ed: the callee may release it and store another
                storage.value = _expose().reference_to(value, info, ctx.abi)

            return init_interface
        if isinstance(ct, SafeArrayOf):
            element = ct.element

            def init_safearray(storage: Any, value: Any, ctx: Ctx) -> None:
                storage.value = (
                    None if value is None else make_safearray(element, value, self.scope, ctx.abi)
                )

            return init_safearray
        convert = self.in_converter(ct, param)

        def init(storage: Any, value: Any, ctx: Ctx) -> None:
            if value is not None:
                _assign(storage, convert(value, ctx))

        return init

    # ------------------------------------------------------------------ out

    def reader(self, ct: CType, iid_from: int | None = None) -> Callable[[Any, Ctx], Any]:
        """stored value -> Python value.  The stored value is what ctypes gives for a field
        of storage_type(ct): a Python int/float/None for simple types, the ctypes instance
        for structures (see :func:`_raw` for ctypes instances of simple types).

        Values that own memory (BSTR, VARIANT, SAFEARRAY, interface pointers) are taken
        over: freed, cleared, destroyed or wrapped in a proxy owning the reference.
        """
        proxy = _proxy()
        if isinstance(ct, Scalar):
            name = ct.name
            if name in _BOOLS:
                return lambda s, ctx: bool(s)
            if name == "date":
                return lambda s, ctx: ole.date_to_python(s)
            if name == "cy":
                return lambda s, ctx: ole.cy_to_python(s)
            if name == "guid":
                return lambda s, ctx: s.to_uuid()
            if name == "decimal":
                return lambda s, ctx: ole.decimal_to_python(s)
            if name == "variant":

                def read_variant(s: Any, ctx: Ctx) -> Any:
                    try:
                        return variant_value(s, ctx.abi)
                    finally:
                        variant_clear(ctypes.addressof(s), ctx.abi)

                return read_variant
            if name == "bstr":

                def read_bstr(s: Any, ctx: Ctx) -> str | None:
                    address = s
                    if not address:
                        return None
                    try:
                        return ole.read_bstr(address)
                    finally:
                        ole.automation().bstr_free(address)

                return read_bstr
            if name == "hresult":
                return lambda s, ctx: s & 0xFFFFFFFF
            return lambda s, ctx: s
        if isinstance(ct, PointerTo):
            target = ct.target
            if isinstance(target, Named) and target.kind == "iface":
                info = self.scope.interface(target.name)
                return lambda s, ctx: proxy.owned(s, info, ctx.abi)
            if isinstance(target, Scalar) and target.name == "void" and iid_from is not None:
                position = iid_from

                def read_iid_is(s: Any, ctx: Ctx) -> Any:
                    return proxy.owned_for_iid(s, ctx.objects[-1 - position], ctx.abi)

                return read_iid_is
            if _is_char(target):
                wide = isinstance(target, Scalar) and target.name == "char16"

                def read_string(s: Any, ctx: Ctx) -> str | None:
                    address = s
                    if not address:
                        return None
                    try:
                        return _read_c_string(address, wide)
                    finally:
                        ole.automation().task_free(address)

                return read_string
            return lambda s, ctx: s
        if isinstance(ct, SafeArrayOf):
            element = ct.element

            def read_safearray(s: Any, ctx: Ctx) -> list[Any] | None:
                address = s
                if not address:
                    return None
                try:
                    return safearray_items(element, address, self.scope, ctx.abi)
                finally:
                    destroy_safearray(element, address, self.scope, ctx.abi)

            return read_safearray
        if isinstance(ct, ArrayOf):
            item = self.reader(ct.element)
            return lambda s, ctx: [item(_raw(_item_storage(s, i)), ctx) for i in range(len(s))]
        return lambda s, ctx: s  # a struct or union: the ctypes instance itself


def _undescribed_pointer(problem: str) -> Converter:
    """The converter of a pointer to a type without a layout: None, or a ctypes object
    (passed by address); anything else raises DescriptionError when the call is made."""

    def to_address(value: Any, ctx: Ctx) -> int | None:
        if value is None or value is MISSING:
            return None
        address = _ctypes_address(value)
        if address is None:
            raise DescriptionError(f"{problem} (pass None or a ctypes object)")
        ctx.keep.append(value)
        return address

    return to_address


def _assign(storage: Any, value: Any) -> None:
    if isinstance(storage, ctypes.Structure | ctypes.Union):
        if value is not storage:
            ctypes.memmove(
                ctypes.addressof(storage), ctypes.addressof(value), ctypes.sizeof(storage)
            )
    else:
        storage.value = value


def _assign_item(array: Any, index: int, value: Any) -> None:
    if isinstance(value, ctypes.Structure | ctypes.Union):
        size = ctypes.sizeof(value)
        ctypes.memmove(ctypes.addressof(array) + index * size, ctypes.addressof(value), size)
    else:
        array[index] = value


def _item_storage(array: Any, index: int) -> Any:
    kind = array._type_
    return kind.from_address(ctypes.addressof(array) + index * ctypes.sizeof(kind))


def _raw(storage: Any) -> Any:
    """What a structure field of the storage's type would read as (see _Builder.reader)."""
    return storage.value if isinstance(storage, ctypes._SimpleCData) else storage


def _set_ref(ref: ByRef[Any], value: Any) -> None:
    ref.value = value


def _read_c_string(address: int, wide: bool) -> str:
    if not wide:
        return ctypes.string_at(address).decode("utf-8", "surrogateescape")
    end = address
    while ctypes.c_uint16.from_address(end).value:
        end += 2
    return ctypes.string_at(address, end - address).decode("utf-16-le", "surrogatepass")


# --------------------------------------------------------------------------- VARIANT


def fill_variant(var: ole.VARIANT, value: object, abi: int) -> None:
    """Store a Python value in an empty VARIANT (which then owns what was allocated).

    None → VT_EMPTY, bool → VT_BOOL, int → VT_I4 (VT_I8 when larger), float → VT_R8,
    str → VT_BSTR, Decimal → VT_DECIMAL, datetime → VT_DATE, a proxy or a Python
    implementation (exposed) → VT_DISPATCH or VT_UNKNOWN (AddRef'ed), bytes →
    VT_ARRAY|VT_UI1, another sequence → VT_ARRAY|VT_VARIANT; :data:`MISSING` → VT_ERROR
    ``DISP_E_PARAMNOTFOUND``.
    """
    proxy = _proxy()
    v = var.value
    if value is None:
        var.vt = ole.VT_EMPTY
    elif value is MISSING:
        var.vt, v.scode = ole.VT_ERROR, DISP_E_PARAMNOTFOUND - (1 << 32)
    elif isinstance(value, bool):
        var.vt, v.boolVal = ole.VT_BOOL, -1 if value else 0
    elif isinstance(value, int):
        if -(1 << 31) <= value < (1 << 31):
            var.vt, v.lVal = ole.VT_I4, value
        elif -(1 << 63) <= value < (1 << 63):
            var.vt, v.llVal = ole.VT_I8, value
        else:
            raise OverflowError(f"{value} does not fit a VARIANT")
    elif isinstance(value, float):
        var.vt, v.dblVal = ole.VT_R8, value
    elif isinstance(value, str):
        v.bstrVal = ole.automation().bstr_alloc(value)
        var.vt = ole.VT_BSTR
    elif isinstance(value, decimal.Decimal):
        ole.decimal_from_python(value, ole.DECIMAL.from_address(ctypes.addressof(var)))
        var.vt = ole.VT_DECIMAL
    elif isinstance(value, datetime.date):
        var.vt, v.date = ole.VT_DATE, ole.date_from_python(value)
    elif isinstance(value, proxy.NativeProxy):
        address = proxy.pointer_of(value, None)
        proxy.add_ref(value)
        var.vt = ole.VT_DISPATCH if value._idlgen_info_.dispatch else ole.VT_UNKNOWN
        v.punkVal = address
    elif _expose().is_com_object(value):  # a Python implementation, exposed
        expose = _expose()
        dispatch = isinstance(value, IDispatch) or expose.answers(value, IID_IDispatch)
        v.punkVal = expose.reference_to(value, d.IDISPATCH if dispatch else d.IUNKNOWN, abi)
        var.vt = ole.VT_DISPATCH if dispatch else ole.VT_UNKNOWN
    elif isinstance(value, bytes | bytearray):
        var.vt = ole.VT_ARRAY | ole.VT_UI1
        v.parray = make_safearray(Scalar("u8"), list(value), None, abi)
    elif isinstance(value, Sequence):
        v.parray = make_safearray(Scalar("variant"), value, None, abi)
        var.vt = ole.VT_ARRAY | ole.VT_VARIANT
    else:
        raise _type_error("a value a VARIANT can hold", value)


_VT_SCALAR_READ = {
    ole.VT_I1: "cVal",
    ole.VT_UI1: "bVal",
    ole.VT_I2: "iVal",
    ole.VT_UI2: "uiVal",
    ole.VT_I4: "lVal",
    ole.VT_UI4: "ulVal",
    ole.VT_INT: "lVal",
    ole.VT_UINT: "ulVal",
    ole.VT_I8: "llVal",
    ole.VT_UI8: "ullVal",
    ole.VT_R4: "fltVal",
    ole.VT_R8: "dblVal",
}
_VT_ELEMENT = {
    ole.VT_I1: "i8",
    ole.VT_UI1: "u8",
    ole.VT_I2: "i16",
    ole.VT_UI2: "u16",
    ole.VT_I4: "i32",
    ole.VT_UI4: "u32",
    ole.VT_INT: "i32",
    ole.VT_UINT: "u32",
    ole.VT_I8: "i64",
    ole.VT_UI8: "u64",
    ole.VT_R4: "f32",
    ole.VT_R8: "f64",
    ole.VT_BOOL: "vbool",
    ole.VT_BSTR: "bstr",
    ole.VT_VARIANT: "variant",
    ole.VT_DATE: "date",
    ole.VT_CY: "cy",
    ole.VT_ERROR: "hresult",
    ole.VT_DECIMAL: "decimal",
}


def variant_value(var: ole.VARIANT, abi: int) -> Any:
    """The Python value of a VARIANT (copied: the VARIANT keeps what it owns).

    Interface pointers become proxies holding a reference of their own (AddRef'ed).
    """
    proxy = _proxy()
    vt, v = var.vt, var.value
    if vt in (ole.VT_EMPTY, ole.VT_NULL):
        return None
    if vt in _VT_SCALAR_READ:
        return getattr(v, _VT_SCALAR_READ[vt])
    if vt == ole.VT_BOOL:
        return bool(v.boolVal)
    if vt == ole.VT_BSTR:
        return ole.read_bstr(v.bstrVal or 0)
    if vt == ole.VT_ERROR:
        return v.scode & 0xFFFFFFFF
    if vt == ole.VT_CY:
        return ole.cy_to_python(v.cyVal)
    if vt == ole.VT_DATE:
        return ole.date_to_python(v.date)
    if vt == ole.VT_DECIMAL:
        return ole.decimal_to_python(ole.DECIMAL.from_address(ctypes.addressof(var)))
    if vt in (ole.VT_UNKNOWN, ole.VT_DISPATCH):
        info = d.IDISPATCH if vt == ole.VT_DISPATCH else d.IUNKNOWN
        return proxy.borrowed(v.punkVal, info, abi)
    if vt & ole.VT_ARRAY and (vt & 0xFFF) in _VT_ELEMENT:
        if not v.parray:
            return None
        return safearray_items(Scalar(_VT_ELEMENT[vt & 0xFFF]), v.parray, None, abi, copy=True)
    if vt & ole.VT_BYREF and v.byref:
        inner = ole.VARIANT()
        base = vt & ~ole.VT_BYREF
        if base == ole.VT_VARIANT:
            return variant_value(ole.VARIANT.from_address(v.byref), abi)
        if base in _VT_SCALAR_READ or base in (ole.VT_BOOL, ole.VT_BSTR, ole.VT_CY, ole.VT_DATE):
            size = ctypes.sizeof(_VariantValueSize)
            ctypes.memmove(ctypes.addressof(inner.value), v.byref, min(size, 8))
            inner.vt = base
            return variant_value(inner, abi)
    raise COMError(0x80020008, f"VARIANT type {vt:#x} is not supported")  # DISP_E_BADVARTYPE


_VariantValueSize = ctypes.c_uint64


def variant_clear(address: int, abi: int) -> None:
    """``VariantClear``: free the BSTR, release the interface, destroy the array; VT_EMPTY."""
    proxy = _proxy()
    var = ole.VARIANT.from_address(address)
    vt, v = var.vt, var.value
    if vt == ole.VT_BSTR:
        ole.automation().bstr_free(v.bstrVal or 0)
    elif vt in (ole.VT_UNKNOWN, ole.VT_DISPATCH) and v.punkVal:
        proxy.release_pointer(v.punkVal, abi)
    elif vt & ole.VT_ARRAY and not vt & ole.VT_BYREF and v.parray:
        element = _VT_ELEMENT.get(vt & 0xFFF)
        if element is not None:
            destroy_safearray(Scalar(element), v.parray, None, abi)
        else:
            ole.automation().safearray_destroy_memory(v.parray)
    ctypes.memset(address, 0, ctypes.sizeof(ole.VARIANT))


# --------------------------------------------------------------------------- SAFEARRAY


def _element_vt(element: CType, scope: Scope | None) -> tuple[int, Any]:
    if isinstance(element, Scalar) and element.name in _VT_OF_SCALAR:
        return _VT_OF_SCALAR[element.name], storage_type(element, scope or _NO_SCOPE)
    if (
        isinstance(element, PointerTo)
        and isinstance(element.target, Named)
        and element.target.kind == "iface"
    ):
        info = (scope or _NO_SCOPE).interface(element.target.name)
        return (ole.VT_DISPATCH if info.dispatch else ole.VT_UNKNOWN), ctypes.c_void_p
    if isinstance(element, Named) and element.kind == "iface":
        return ole.VT_UNKNOWN, ctypes.c_void_p
    raise TypeError(f"SAFEARRAY of {_describe(element)} is not supported")


def _iface_element(element: CType, scope: Scope | None) -> d.Interface | None:
    target = element.target if isinstance(element, PointerTo) else element
    if isinstance(target, Named) and target.kind == "iface":
        return (scope or _NO_SCOPE).interface(target.name)
    return None


def make_safearray(element: CType, value: object, scope: Scope | None, abi: int) -> int:
    """A new one-dimensional SAFEARRAY of *element* holding the items of *value*."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise _type_error("a sequence", value)
    vt, ctype = _element_vt(element, scope)
    address = ole.automation().safearray_create(vt, len(value), ctypes.sizeof(ctype))
    data = ole.SAFEARRAY.from_address(address).pvData
    size = ctypes.sizeof(ctype)
    info = _iface_element(element, scope)
    try:
        for i, item in enumerate(value):
            slot = ctype.from_address(data + i * size)
            if vt == ole.VT_VARIANT:
                fill_variant(slot, item, abi)
            elif vt == ole.VT_BSTR:
                if not isinstance(item, str):
                    raise _type_error("a str", item)
                slot.value = ole.automation().bstr_alloc(item)
            elif vt == ole.VT_DECIMAL:
                ole.decimal_from_python(item, slot)
            elif info is not None or vt in (ole.VT_UNKNOWN, ole.VT_DISPATCH):
                if item is not None:
                    slot.value = _expose().reference_to(item, info, abi)
            else:
                slot.value = scalar_converter(_VT_ELEMENT[vt])(item)
    except BaseException:
        destroy_safearray(element, address, scope, abi)
        raise
    return address


def _elements_of(address: int) -> tuple[int, int]:
    sa = ole.SAFEARRAY.from_address(address)
    count = 1
    bounds = (ole.SAFEARRAYBOUND * sa.cDims).from_address(address + ole.SAFEARRAY.rgsabound.offset)
    for bound in bounds:
        count *= bound.cElements
    return sa.pvData or 0, count


def safearray_items(
    element: CType, address: int, scope: Scope | None, abi: int, *, copy: bool = False
) -> list[Any]:
    """The items of a SAFEARRAY as a list (all dimensions flattened in memory order).

    Interface items become proxies with references of their own.
    """
    vt, ctype = _element_vt(element, scope)
    data, count = _elements_of(address)
    size = ctypes.sizeof(ctype)
    info = _iface_element(element, scope) or (d.IDISPATCH if vt == ole.VT_DISPATCH else d.IUNKNOWN)
    proxy = _proxy()
    out: list[Any] = []
    for i in range(count):
        slot = ctype.from_address(data + i * size)
        if vt == ole.VT_VARIANT:
            out.append(variant_value(slot, abi))
        elif vt == ole.VT_BSTR:
            out.append(ole.read_bstr(slot.value or 0))
        elif vt == ole.VT_DECIMAL:
            out.append(ole.decimal_to_python(slot))
        elif vt in (ole.VT_UNKNOWN, ole.VT_DISPATCH):
            out.append(proxy.borrowed(slot.value, info, abi))
        elif vt == ole.VT_BOOL:
            out.append(bool(slot.value))
        elif vt == ole.VT_DATE:
            out.append(ole.date_to_python(slot.value))
        elif vt == ole.VT_CY:
            out.append(ole.cy_to_python(slot.value))
        else:
            out.append(slot.value)
    return out


def destroy_safearray(element: CType, address: int, scope: Scope | None, abi: int) -> None:
    """``SafeArrayDestroy``: clear the items (free, release, clear), then the memory."""
    if not address:
        return
    vt, ctype = _element_vt(element, scope)
    data, count = _elements_of(address)
    size = ctypes.sizeof(ctype)
    proxy = _proxy()
    for i in range(count if data else 0):
        at = data + i * size
        if vt == ole.VT_VARIANT:
            variant_clear(at, abi)
        elif vt == ole.VT_BSTR:
            ole.automation().bstr_free(ctypes.c_void_p.from_address(at).value or 0)
        elif vt in (ole.VT_UNKNOWN, ole.VT_DISPATCH):
            pointer = ctypes.c_void_p.from_address(at).value
            if pointer:
                proxy.release_pointer(pointer, abi)
    ole.automation().safearray_destroy_memory(address)


class _NoScope(Scope):
    def layout(self, kind: str, name: str) -> Any:
        raise TypeError(f"{kind} {name} in a SAFEARRAY is not supported")


_NO_SCOPE = _NoScope(None, ())


# --------------------------------------------------------------------------- sizes


def evaluate_size(expr: d.SizeExpr, values: dict[str, Any]) -> int | None:
    """The value of a ``size_is``/``length_is`` expression, or None when a name has no
    integer value (yet)."""
    if isinstance(expr, int):
        return expr
    if isinstance(expr, str):
        value = values.get(expr)
        if isinstance(value, ByRef):
            value = value.value
        return value if isinstance(value, int) else None
    if len(expr) == 2:
        return evaluate_size(expr[1], values)  # ("*", name): the pointed-to value
    op, left, right = expr[0], evaluate_size(expr[1], values), evaluate_size(expr[2], values)
    if left is None or right is None:
        return None
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":
        return left // right if right else None
    return None


# --------------------------------------------------------------------------- plans


class Plan:
    """Everything to call one described slot or function (see the module docstring)."""

    def __init__(
        self,
        qualname: str,
        returns: str,
        params: Sequence[d.Param],
        scope: Scope,
        abi: int,
        *,
        method: bool,
    ) -> None:
        self.qualname = qualname
        self.abi = abi
        self.method = method
        b = _Builder(qualname, scope, abi, params)
        self._builder = b
        rtype = parse_type(returns)
        fields: list[tuple[str, Any]] = []
        argtypes: list[int] = []
        c_args: list[str] = []
        #: (Python position, frame field setter, converter)
        self.inputs: list[tuple[int, Any, Converter]] = []
        #: per-call steps before the call: fn(frame, args, ctx)
        self.prepares: list[Callable[[Any, Sequence[Any], Ctx], None]] = []
        #: result readers: fn(frame, args, ctx) -> value
        self.readers: list[Reader] = []
        #: (Python position, size expression, parameter name) to check before the call
        self.size_checks: list[tuple[int, d.SizeExpr, str]] = []
        self.frame_links: list[tuple[str, str]] = []  # (argument field, out storage field)
        self.hresult = isinstance(rtype, Scalar) and rtype.name == "hresult"
        self.raw_return = False  # the result is the return value as ctypes reads it
        self.restore_arguments = False
        self.py_params: list[d.Param] = [p for p in params if p.direction != "out" and not p.retval]
        self.py_names = python_names([p.name for p in self.py_params])
        positions = {id(p): i for i, p in enumerate(self.py_params)}
        if method:
            fields.append(("a0", ctypes.c_void_p))
            argtypes.append(ffi_scalar("pointer"))
            c_args.append("a0")
        # the return value
        self.struct_return = method and _is_aggregate(rtype)
        ret_field: Any
        if self.struct_return:
            cls = storage_type(rtype, scope)
            field = f"a{len(c_args)}"
            fields.append((field, ctypes.c_void_p))
            argtypes.append(ffi_scalar("pointer"))
            c_args.append(field)
            setter = field
            read = b.reader(rtype)
            key = -1000

            def prepare_ret(frame: Any, args: Sequence[Any], ctx: Ctx) -> None:
                result = cls()
                ctx.objects[key] = result
                setattr(frame, setter, ctypes.addressof(result))

            self.prepares.append(prepare_ret)
            if isinstance(rtype, Named):  # the structure itself is the result
                self.readers.append(lambda frame, args, ctx: ctx.objects[key])
            else:
                self.readers.append(lambda frame, args, ctx: read(ctx.objects[key], ctx))
            b.needs_ctx = True
            ret_field = ctypes.c_void_p
            r_ffi = ffi_scalar("pointer")
        elif isinstance(rtype, Scalar) and rtype.name == "void":
            ret_field, r_ffi = None, ffi_scalar("void")
        elif _is_aggregate(rtype):
            cls = storage_type(rtype, scope)
            ret_field, r_ffi = cls, ffi_type(rtype, scope)
            read = b.reader(rtype)
            self.readers.append(
                lambda frame, args, ctx: read(type(frame.r).from_buffer_copy(frame.r), ctx)
            )
        else:
            ret_field, r_ffi = storage_type(rtype, scope), ffi_type(rtype, scope)
            if not self.hresult:
                self.readers.append(self._return_reader(rtype, b))
        # parameters
        for index, p in enumerate(params):
            ct = parse_type(p.type)
            field = f"a{len(c_args)}"
            c_args.append(field)
            if p.direction == "in":
                decayed = PointerTo(ct.element) if isinstance(ct, ArrayOf) else ct
                fields.append(
                    (
                        field,
                        storage_type(decayed, scope)
                        if not isinstance(ct, ArrayOf)
                        else ctypes.c_void_p,
                    )
                )
                argtypes.append(ffi_type(decayed, scope))
                conv = b.in_converter(ct, p)
                if _is_aggregate(decayed):
                    # libffi may point the argument array at its own copy of a structure
                    # passed by value: the array is restored before every call
                    self.restore_arguments = True
                    b.needs_ctx = True
                self.inputs.append((positions[id(p)], field, conv))
                if p.size_is is not None and isinstance(ct, PointerTo):
                    self.size_checks.append((positions[id(p)], p.size_is, p.name))
                continue
            fields.append((field, ctypes.c_void_p))
            argtypes.append(ffi_scalar("pointer"))
            self._out(index, p, ct, field, fields, positions, params)
        self.needs_ctx = b.needs_ctx
        ret_slot: list[tuple[str, Any]] = []
        if ret_field is not None:
            ret_slot = [("r", ret_field)]
            pad = 16 - ctypes.sizeof(ret_field) % 16 if ctypes.sizeof(ret_field) < 16 else 0
            if pad:
                ret_slot.append(("rpad", ctypes.c_uint8 * pad))
        else:
            ret_slot = [("rpad", ctypes.c_uint8 * 16)]
        self.arg_fields = c_args
        self.frame_class: Any = type(
            f"Frame_{qualname.replace('.', '_')}",
            (ctypes.Structure,),
            {"_fields_": [*ret_slot, *fields, ("av", ctypes.c_void_p * max(len(c_args), 1))]},
        )
        self.inputs = [
            (position, getattr(self.frame_class, field).__set__, conv)
            for position, field, conv in self.inputs
        ]
        self.cif = _ffi.prepare(abi, r_ffi, argtypes)
        self._call = _ffi.libffi().call
        self.cif_address = self.cif.address
        self.pool: list[tuple[Any, int, int, Any]] = []
        #: invoke(this, fn, args, owner=None): see :meth:`_make_invoke`
        self.invoke = self._make_invoke()

    # ------------------------------------------------------------------ building

    def _return_reader(self, rtype: CType, b: _Builder) -> Reader:
        proxy = _proxy()
        if isinstance(rtype, PointerTo):
            target = rtype.target
            if isinstance(target, Named) and target.kind in ("struct", "union"):
                cls = storage_type(target, b.scope)

                def view(frame: Any, args: Sequence[Any], ctx: Ctx) -> Any:
                    address = frame.r
                    if not address:
                        return None
                    result = cls.from_address(address)
                    owner = ctx.objects.get(-2000)
                    if owner is not None:
                        result._idlgen_owner_ = owner  # keeps the object alive while viewed
                    return result

                b.needs_ctx = True
                return view
            if isinstance(target, Named) and target.kind == "iface":
                info = b.scope.interface(target.name)
                b.needs_ctx = True  # the convention comes with the call's context
                return lambda frame, args, ctx: proxy.borrowed(frame.r, info, ctx.abi)
            if _is_char(target):
                wide = isinstance(target, Scalar) and target.name == "char16"
                return lambda frame, args, ctx: _read_c_string(frame.r, wide) if frame.r else None
            return lambda frame, args, ctx: frame.r
        read = b.reader(rtype)
        cls = storage_type(rtype, b.scope)

        def scalar(frame: Any, args: Sequence[Any], ctx: Ctx) -> Any:
            return read(cls(frame.r), ctx)

        if isinstance(rtype, Scalar) and rtype.name not in ("bstr", *_BOOLS, "date", "cy"):
            self.raw_return = True
            return lambda frame, args, ctx: frame.r
        b.needs_ctx = True
        return scalar

    def _out(
        self,
        index: int,
        p: d.Param,
        ct: CType,
        field: str,
        fields: list[tuple[str, Any]],
        positions: dict[int, int],
        params: Sequence[d.Param],
    ) -> None:
        b = self._builder
        b.needs_ctx = True
        setter = field
        inout = p.direction == "in,out"
        position = positions.get(id(p))
        if isinstance(ct, ArrayOf):
            ct = PointerTo(ct.element) if not (p.size_is or p.length_is) else ct
        if not isinstance(ct, PointerTo | ArrayOf):
            raise TypeError(f"{self.qualname}: [out] parameter {p.name} is not a pointer")
        target = ct.target if isinstance(ct, PointerTo) else ct.element
        fixed = ct.count if isinstance(ct, ArrayOf) else None
        sized = p.size_is is not None or p.length_is is not None or fixed is not None
        key = index
        if sized:
            element = storage_type(target, b.scope)
            item_read = b.reader(target)
            init_item = b.initializer(target, p) if inout else None
            size_is, length_is = p.size_is, p.length_is
            names = [q.name for q in params]
            qualname = self.qualname

            def prepare_array(frame: Any, args: Sequence[Any], ctx: Ctx) -> None:
                values = self._values(args)
                count = (
                    fixed if fixed is not None else evaluate_size(size_is or length_is or 0, values)
                )
                initial = args[position] if position is not None else None
                if count is None:
                    if isinstance(initial, Sequence):
                        count = len(initial)
                    else:
                        raise ValueError(
                            f"{qualname}: the size of [out] array {p.name} is not known"
                        )
                array = (element * max(count, 1))()
                if isinstance(initial, Sequence) and init_item is not None:
                    for i, item in enumerate(initial[:count]):
                        init_item(_item_storage(array, i), item, ctx)
                ctx.objects[key] = (array, count)
                setattr(frame, setter, ctypes.addressof(array))

            def read_array(frame: Any, args: Sequence[Any], ctx: Ctx) -> Any:
                array, count = ctx.objects[key]
                length = count
                if length_is is not None:
                    values = self._values(args)
                    values.update(self._out_values(frame, ctx, names))
                    found = evaluate_size(length_is, values)
                    if found is not None:
                        length = max(0, min(found, count))
                if _is_char(target):
                    wide = isinstance(target, Scalar) and target.name == "char16"
                    raw = ctypes.string_at(ctypes.addressof(array), length * (2 if wide else 1))
                    text = raw.decode("utf-16-le" if wide else "utf-8", "surrogatepass")
                    return text.split("\0", 1)[0]
                return [item_read(_raw(_item_storage(array, i)), ctx) for i in range(length)]

            self.prepares.append(prepare_array)
            self.readers.append(read_array)
            return
        if isinstance(target, Named) and target.kind in ("struct", "union"):
            cls = storage_type(target, b.scope)
            init_struct = b.initializer(target, p) if inout else None

            def prepare_struct(frame: Any, args: Sequence[Any], ctx: Ctx) -> None:
                result = cls()
                if init_struct is not None and position is not None:
                    init_struct(result, args[position], ctx)
                ctx.objects[key] = result
                setattr(frame, setter, ctypes.addressof(result))

            self.prepares.append(prepare_struct)
            self.readers.append(lambda frame, args, ctx: ctx.objects[key])
            return
        # one value in frame storage
        out_field = f"o{index}"
        storage = storage_type(target, b.scope)
        fields.append((out_field, storage))
        self.frame_links.append((field, out_field))
        iid_from: int | None = None
        if p.iid_is is not None and p.iid_is in b.by_name:
            source = params[b.by_name[p.iid_is]]
            if id(source) in positions:
                iid_from = positions[id(source)]
        read = b.reader(target, iid_from)
        getter = _field_getter(out_field)
        init = b.initializer(target, p) if inout else None
        simple = not issubclass(storage, ctypes.Structure | ctypes.Union | ctypes.Array)
        zero = None if storage is ctypes.c_void_p else 0
        offset: list[int] = []

        def view(frame: Any) -> Any:
            if not simple:
                return getter(frame)
            if not offset:
                offset.append(getattr(type(frame), out_field).offset)
            return storage.from_address(ctypes.addressof(frame) + offset[0])

        def prepare_value(frame: Any, args: Sequence[Any], ctx: Ctx) -> None:
            if simple:
                setattr(frame, out_field, zero)
            else:
                ctypes.memset(ctypes.addressof(getter(frame)), 0, ctypes.sizeof(storage))
            if init is not None and position is not None:
                init(view(frame), args[position], ctx)
            if iid_from is not None:
                ctx.objects[-1 - iid_from] = args[iid_from]

        self.prepares.append(prepare_value)
        self.readers.append(lambda frame, args, ctx: read(getter(frame), ctx))

    def _values(self, args: Sequence[Any]) -> dict[str, Any]:
        return {p.name: args[i] for i, p in enumerate(self.py_params) if i < len(args)}

    def _out_values(self, frame: Any, ctx: Ctx, names: Sequence[str]) -> dict[str, Any]:
        """The integer [out] values kept in the frame (field ``o<index>``), by IDL name:
        what a ``length_is(*written)`` reads after the call."""
        out: dict[str, Any] = {}
        for index, name in enumerate(names):
            storage = getattr(frame, f"o{index}", None)
            if isinstance(storage, int):
                out[name] = storage
        return out

    # ------------------------------------------------------------------ calling

    def new_frame(self) -> tuple[Any, int, int, Any]:
        """A frame with its argument pointers (and out-storage links) filled in:
        (frame, return value address, argument array address, copy of that array)."""
        frame = self.frame_class()
        base = ctypes.addressof(frame)
        cls = self.frame_class
        for i, name in enumerate(self.arg_fields):
            frame.av[i] = base + getattr(cls, name).offset
        for arg, storage in self.frame_links:
            setattr(frame, arg, base + getattr(cls, storage).offset)
        ret = base + cls.r.offset if hasattr(cls, "r") else base
        saved = type(frame.av).from_buffer_copy(frame.av) if self.restore_arguments else None
        return frame, ret, base + cls.av.offset, saved

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> list[Any]:
        """The full argument list from positional and keyword arguments and defaults."""
        names = self.py_names
        if len(args) > len(names):
            raise TypeError(f"{self.qualname}() takes {len(names)} argument(s), {len(args)} given")
        kwargs = dict(kwargs or {})
        position = {name: i for i, name in enumerate(names)}
        position.update({p.name: i for i, p in enumerate(self.py_params) if p.name not in position})
        for key in kwargs:
            if key not in position:
                raise TypeError(f"{self.qualname}() got an unexpected keyword argument {key!r}")
            if position[key] < len(args):
                raise TypeError(f"{self.qualname}() got multiple values for argument {key!r}")
        out = list(args)
        for i in range(len(args), len(names)):
            p = self.py_params[i]
            for key in (names[i], p.name):
                if key in kwargs:
                    out.append(kwargs.pop(key))
                    break
            else:
                if p.default is not NO_DEFAULT:
                    out.append(p.default)
                elif p.optional:
                    out.append(MISSING)
                else:
                    raise TypeError(f"{self.qualname}() missing argument {names[i]!r}")
        return out

    def _make_invoke(self) -> Callable[..., Any]:
        """``invoke(this, fn, args, owner=None)``: call *fn* (with *this* first for a method)
        with the complete Python *args* (see :meth:`bind`); the result by the stubs' rules."""
        pool, new_frame, call, cif = self.pool, self.new_frame, self._call, self.cif_address
        inputs, prepares, readers = tuple(self.inputs), tuple(self.prepares), tuple(self.readers)
        size_checks, check_sizes = bool(self.size_checks), self._check_sizes
        needs_ctx, abi, restore = self.needs_ctx, self.abi, self.restore_arguments
        hresult, qualname, argument_error = self.hresult, self.qualname, self._argument_error
        single = readers[0] if len(readers) == 1 else None

        def invoke(this: int | None, fn: int, args: Sequence[Any], owner: Any = None) -> Any:
            entry = pool.pop() if pool else new_frame()
            frame = entry[0]
            ctx = Ctx(abi) if needs_ctx else None
            try:
                if this is not None:
                    frame.a0 = this
                step = -1
                try:
                    for position, setter, conv in inputs:
                        step += 1
                        setter(frame, conv(args[position], ctx))  # type: ignore[arg-type]
                    if size_checks:
                        check_sizes(args, ctx)
                    if ctx is not None:
                        if owner is not None:
                            ctx.objects[-2000] = owner
                        for prepare in prepares:
                            prepare(frame, args, ctx)
                except (TypeError, ValueError, OverflowError) as exc:
                    raise argument_error(exc, step) from None
                if restore:
                    ctypes.memmove(entry[2], ctypes.addressof(entry[3]), ctypes.sizeof(entry[3]))
                call(cif, fn, entry[1], entry[2])
                if hresult and frame.r < 0:
                    raise COMError(frame.r, qualname)
                if single is not None:
                    result = single(frame, args, ctx)  # type: ignore[arg-type]
                elif readers:
                    result = tuple(r(frame, args, ctx) for r in readers)  # type: ignore[arg-type]
                else:
                    result = None
                if ctx is not None and ctx.writebacks:
                    for writeback in ctx.writebacks:
                        writeback()
                return result
            finally:
                if ctx is not None:
                    ctx.close()
                pool.append(entry)

        return invoke

    def method_function(self, slot: int) -> Callable[..., Any]:
        """The proxy method calling vtable *slot* (``method(proxy, *args, **kwargs)``).

        Plans that need no per-call context (scalar arguments and results, HRESULT) get a
        closure doing all the work inline; the others go through :meth:`invoke`.
        """
        bind, count = self.bind, len(self.py_names)
        if self.needs_ctx or self.size_checks or (self.readers and not self.raw_return):
            invoke = self.invoke

            def general(proxy: Any, *args: Any, **kwargs: Any) -> Any:
                address = proxy._idlgen_ptr_
                if not address:
                    raise proxy._idlgen_released_()
                if kwargs or len(args) != count:
                    args = tuple(bind(args, kwargs))
                return invoke(address, proxy._idlgen_fns_[slot], args, proxy)

            return general
        pool, new_frame, call, cif = self.pool, self.new_frame, self._call, self.cif_address
        inputs = tuple((position, setter, conv) for position, setter, conv in self.inputs)
        hresult, raw, qualname = self.hresult, self.raw_return, self.qualname
        argument_error = self._argument_error

        def lean(proxy: Any, *args: Any, **kwargs: Any) -> Any:
            address = proxy._idlgen_ptr_
            if not address:
                raise proxy._idlgen_released_()
            if kwargs or len(args) != count:
                args = tuple(bind(args, kwargs))
            entry = pool.pop() if pool else new_frame()
            frame = entry[0]
            frame.a0 = address
            if inputs:
                step = -1
                try:
                    for position, setter, conv in inputs:
                        step += 1
                        setter(frame, conv(args[position], None))  # type: ignore[arg-type]
                except (TypeError, ValueError, OverflowError) as exc:
                    pool.append(entry)
                    raise argument_error(exc, step) from None
            call(cif, proxy._idlgen_fns_[slot], entry[1], entry[2])
            if hresult:
                hr = frame.r
                pool.append(entry)
                if hr < 0:
                    raise COMError(hr, qualname)
                return None
            result = frame.r if raw else None
            pool.append(entry)
            return result

        if count or inputs:
            return lean

        def lean0(proxy: Any) -> Any:
            # no arguments: Python itself refuses extra ones, naming the method
            address = proxy._idlgen_ptr_
            if not address:
                raise proxy._idlgen_released_()
            entry = pool.pop() if pool else new_frame()
            frame = entry[0]
            frame.a0 = address
            call(cif, proxy._idlgen_fns_[slot], entry[1], entry[2])
            result: Any = frame.r if raw or hresult else None
            pool.append(entry)
            if hresult:
                if result < 0:
                    raise COMError(result, qualname)
                return None
            return result

        return lean0

    def _check_sizes(self, args: Sequence[Any], ctx: Ctx | None) -> None:
        values = self._values(args)
        for position, expr, name in self.size_checks:
            given = ctx.objects.get(self._param_index(name)) if ctx is not None else None
            wanted = evaluate_size(expr, values)
            if isinstance(given, int) and wanted is not None and wanted > given:
                raise ValueError(
                    f"{self.qualname}() argument {self.py_names[position]!r}: "
                    f"{given} item(s) where size_is asks for {wanted}"
                )

    def _param_index(self, name: str) -> int:
        return self._builder.by_name[name]

    def _argument_error(self, exc: Exception, step: int) -> Exception:
        if 0 <= step < len(self.inputs) and not str(exc).startswith(f"{self.qualname}()"):
            name = self.py_names[self.inputs[step][0]]
            return type(exc)(f"{self.qualname}() argument {name!r}: {exc}")
        return exc


def _field_getter(field: str) -> Callable[[Any], Any]:
    def getter(frame: Any) -> Any:
        return getattr(frame, field)

    return getter
