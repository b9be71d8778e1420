"""OLE Automation memory: GUID, BSTR, VARIANT and SAFEARRAY with their Windows layouts.

On Windows the functions are oleaut32's (``SysAllocStringLen``, ``SysFreeString``,
``VariantClear``, ``SafeArrayCreateVector``, ``SafeArrayDestroy``) and ole32's
``CoTaskMemFree``.  Elsewhere idlgen has its own implementation with the same memory
layout — a BSTR is a pointer to UTF-16 text preceded by its length in bytes (32 bits) and
followed by a NUL, allocated with the C library's ``malloc`` — and a library that brings
its own ``SysAllocString``/``SysFreeString`` (Wine-derived code) can be made the allocator
with :func:`use_library_functions`, so that strings it frees were allocated by it.
"""

from __future__ import annotations

import ctypes
import datetime
import decimal
import sys
import threading
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from idlgen.runtime.native import _ffi
from idlgen.runtime.native.ctypes_map import RawFunction

__all__ = [
    "DECIMAL",
    "GUID",
    "SAFEARRAY",
    "VARIANT",
    "Automation",
    "LibraryAutomation",
    "OwnAutomation",
    "automation",
    "cy_from_python",
    "cy_to_python",
    "date_from_python",
    "date_to_python",
    "decimal_from_python",
    "decimal_to_python",
    "guid_struct",
    "read_bstr",
    "use_library_functions",
]

# VARTYPE values
VT_EMPTY, VT_NULL, VT_I2, VT_I4, VT_R4, VT_R8, VT_CY, VT_DATE, VT_BSTR = 0, 1, 2, 3, 4, 5, 6, 7, 8
VT_DISPATCH, VT_ERROR, VT_BOOL, VT_VARIANT, VT_UNKNOWN, VT_DECIMAL = 9, 10, 11, 12, 13, 14
VT_I1, VT_UI1, VT_UI2, VT_UI4, VT_I8, VT_UI8, VT_INT, VT_UINT = 16, 17, 18, 19, 20, 21, 22, 23
VT_RECORD = 36
VT_ARRAY, VT_BYREF = 0x2000, 0x4000

FADF_HAVEVARTYPE, FADF_BSTR, FADF_UNKNOWN, FADF_DISPATCH, FADF_VARIANT = (
    0x80,
    0x100,
    0x200,
    0x400,
    0x800,
)


class GUID(ctypes.Structure):
    """``GUID``/``IID``/``CLSID`` (16 bytes, the in-memory order of ``uuid.UUID.bytes_le``)."""

    _fields_ = [
        ("Data1", ctypes.c_uint32),
        ("Data2", ctypes.c_uint16),
        ("Data3", ctypes.c_uint16),
        ("Data4", ctypes.c_uint8 * 8),
    ]

    def to_uuid(self) -> uuid.UUID:
        """The GUID as a ``uuid.UUID``."""
        return uuid.UUID(bytes_le=bytes(self))


_guids: dict[uuid.UUID, GUID] = {}
_guid_lock = threading.Lock()
_GUID_CACHE_LIMIT = 4096


def guid_struct(value: uuid.UUID) -> GUID:
    """A read-only ``GUID`` holding *value*, shared (cached) so REFIIDs cost no copy."""
    g = _guids.get(value)
    if g is None:
        g = GUID.from_buffer_copy(value.bytes_le)
        with _guid_lock:
            if len(_guids) >= _GUID_CACHE_LIMIT:
                _guids.clear()
            _guids[value] = g
    return g


class _BRecord(ctypes.Structure):
    _fields_ = [("pvRecord", ctypes.c_void_p), ("pRecInfo", ctypes.c_void_p)]


class _VariantValue(ctypes.Union):
    _fields_ = [
        ("llVal", ctypes.c_int64),
        ("ullVal", ctypes.c_uint64),
        ("lVal", ctypes.c_int32),
        ("ulVal", ctypes.c_uint32),
        ("iVal", ctypes.c_int16),
        ("uiVal", ctypes.c_uint16),
        ("cVal", ctypes.c_int8),
        ("bVal", ctypes.c_uint8),
        ("fltVal", ctypes.c_float),
        ("dblVal", ctypes.c_double),
        ("boolVal", ctypes.c_int16),
        ("scode", ctypes.c_int32),
        ("cyVal", ctypes.c_int64),
        ("date", ctypes.c_double),
        ("bstrVal", ctypes.c_void_p),
        ("punkVal", ctypes.c_void_p),
        ("pdispVal", ctypes.c_void_p),
        ("parray", ctypes.c_void_p),
        ("byref", ctypes.c_void_p),
        ("record", _BRecord),
    ]


class VARIANT(ctypes.Structure):
    """``VARIANT`` (24 bytes on 64-bit platforms, 16 on 32-bit ones)."""

    _fields_ = [
        ("vt", ctypes.c_uint16),
        ("wReserved1", ctypes.c_uint16),
        ("wReserved2", ctypes.c_uint16),
        ("wReserved3", ctypes.c_uint16),
        ("value", _VariantValue),
    ]


class DECIMAL(ctypes.Structure):
    """``DECIMAL`` (16 bytes; in a VARIANT it overlays the whole value, ``vt`` included)."""

    _fields_ = [
        ("wReserved", ctypes.c_uint16),
        ("scale", ctypes.c_uint8),
        ("sign", ctypes.c_uint8),
        ("Hi32", ctypes.c_uint32),
        ("Lo64", ctypes.c_uint64),
    ]


class SAFEARRAYBOUND(ctypes.Structure):
    """One dimension of a SAFEARRAY."""

    _fields_ = [("cElements", ctypes.c_uint32), ("lLbound", ctypes.c_int32)]


class SAFEARRAY(ctypes.Structure):
    """``SAFEARRAY`` with one dimension's bound (more follow in memory for more dimensions)."""

    _fields_ = [
        ("cDims", ctypes.c_uint16),
        ("fFeatures", ctypes.c_uint16),
        ("cbElements", ctypes.c_uint32),
        ("cLocks", ctypes.c_uint32),
        ("pvData", ctypes.c_void_p),
        ("rgsabound", SAFEARRAYBOUND * 1),
    ]


# --------------------------------------------------------------------------- values

_OLE_EPOCH = datetime.datetime(1899, 12, 30)
_CY_SCALE = 10000


def date_to_python(value: float) -> datetime.datetime:
    """An OLE ``DATE`` (days since 1899-12-30; the fraction is the time of day, also for
    negative dates) as a naive ``datetime``."""
    days = int(value)
    fraction = abs(value - days)
    return _OLE_EPOCH + datetime.timedelta(days=days) + datetime.timedelta(days=fraction)


def date_from_python(value: object) -> float:
    """A ``datetime``/``date`` (or a number of days) as an OLE ``DATE``."""
    if isinstance(value, datetime.datetime):
        delta = value.replace(tzinfo=None) - _OLE_EPOCH
    elif isinstance(value, datetime.date):
        delta = datetime.datetime(value.year, value.month, value.day) - _OLE_EPOCH
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    else:
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    days = delta.days
    fraction = delta.seconds / 86400 + delta.microseconds / 86400e6
    # before the epoch the day counts down but the time of day still counts up
    return days - fraction if days < 0 else days + fraction


def cy_to_python(value: int) -> decimal.Decimal:
    """A ``CY`` (a 64-bit count of 1/10000) as a ``Decimal``."""
    digits = tuple(int(c) for c in str(abs(value)))
    return decimal.Decimal((1 if value < 0 else 0, digits, -4))


def cy_from_python(value: object) -> int:
    """A number as a ``CY`` (rounded to 1/10000)."""
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    scaled = decimal.Decimal(value) * _CY_SCALE
    return int(scaled.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))


def decimal_to_python(d: DECIMAL) -> decimal.Decimal:
    """A ``DECIMAL`` as a ``Decimal``."""
    magnitude = (d.Hi32 << 64) | d.Lo64
    digits = tuple(int(c) for c in str(magnitude))  # exact: no context rounding
    return decimal.Decimal((1 if d.sign & 0x80 else 0, digits, -d.scale))


def decimal_from_python(value: object, out: DECIMAL) -> None:
    """Store a number in the ``DECIMAL`` *out* (at most 28 decimal places, 96 bits)."""
    if isinstance(value, bool) or not isinstance(value, int | float | decimal.Decimal):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    dec = decimal.Decimal(value)
    sign, digits, exponent = dec.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"{value!r} cannot be a DECIMAL")
    magnitude = int("".join(map(str, digits)) or "0")
    scale = 0
    if exponent < 0:
        scale = -exponent
    else:
        magnitude *= 10**exponent
    while scale > 28 or magnitude >> 96:
        if scale == 0:
            raise OverflowError(f"{value!r} does not fit a DECIMAL")
        magnitude, scale = (magnitude + 5) // 10, scale - 1
    out.wReserved = 0
    out.scale = scale
    out.sign = 0x80 if sign else 0
    out.Hi32 = magnitude >> 64
    out.Lo64 = magnitude & 0xFFFF_FFFF_FFFF_FFFF


def read_bstr(address: int) -> str:
    """The text of the BSTR at *address* (its length prefix is part of the BSTR layout)."""
    if not address:
        return ""
    size = ctypes.c_uint32.from_address(address - 4).value
    return ctypes.string_at(address, size & ~1).decode("utf-16-le", "surrogatepass")


# --------------------------------------------------------------------------- allocators


class Automation(Protocol):
    """The memory functions marshalling uses for BSTR/VARIANT/SAFEARRAY."""

    def bstr_alloc(self, text: str) -> int:
        """A new BSTR holding *text*."""
        ...

    def bstr_free(self, address: int) -> None:
        """``SysFreeString``."""
        ...

    def safearray_create(self, vt: int, count: int, element_size: int) -> int:
        """``SafeArrayCreateVector(vt, 0, count)``: zeroed elements."""
        ...

    def safearray_destroy_memory(self, address: int) -> None:
        """Free the array descriptor and its data (elements already cleared)."""
        ...

    def task_free(self, address: int) -> None:
        """``CoTaskMemFree``: for strings and arrays a callee allocated for an ``[out]``."""
        ...

    def task_alloc(self, size: int) -> int:
        """``CoTaskMemAlloc`` (zeroed): what an exposed Python object returns as an ``[out]``
        string is allocated here, for the caller to free with ``CoTaskMemFree``."""
        ...


class _LibC:
    def __init__(self) -> None:
        libc = ctypes.CDLL(None) if sys.platform != "win32" else ctypes.CDLL("msvcrt")
        self.calloc = libc.calloc
        self.calloc.argtypes = [ctypes.c_size_t, ctypes.c_size_t]
        self.calloc.restype = ctypes.c_void_p
        self.free = libc.free
        self.free.argtypes = [ctypes.c_void_p]
        self.free.restype = None


_libc: _LibC | None = None


def _c() -> _LibC:
    global _libc
    if _libc is None:
        _libc = _LibC()
    return _libc


def _encode(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass")


class OwnAutomation:
    """idlgen's implementation: Windows layouts, memory from the C library's allocator."""

    def bstr_alloc(self, text: str) -> int:
        """A new BSTR holding *text*."""
        data = _encode(text)
        block = _c().calloc(1, len(data) + 6)
        if not block:
            raise MemoryError("cannot allocate a BSTR")
        ctypes.c_uint32.from_address(block).value = len(data)
        ctypes.memmove(block + 4, data, len(data))
        return int(block) + 4

    def bstr_free(self, address: int) -> None:
        """Free a BSTR made by :meth:`bstr_alloc` (None/0 is ignored)."""
        if address:
            _c().free(address - 4)

    def safearray_create(self, vt: int, count: int, element_size: int) -> int:
        """A one-dimensional array descriptor (the VARTYPE stored before it, as oleaut32
        does with ``FADF_HAVEVARTYPE``) and zeroed data."""
        block = _c().calloc(1, 16 + ctypes.sizeof(SAFEARRAY))
        if not block:
            raise MemoryError("cannot allocate a SAFEARRAY")
        address = int(block) + 16
        sa = SAFEARRAY.from_address(address)
        data = _c().calloc(max(count, 1), element_size)
        if not data:
            _c().free(block)
            raise MemoryError("cannot allocate SAFEARRAY data")
        features = FADF_HAVEVARTYPE | {
            VT_BSTR: FADF_BSTR,
            VT_UNKNOWN: FADF_UNKNOWN,
            VT_DISPATCH: FADF_DISPATCH,
            VT_VARIANT: FADF_VARIANT,
        }.get(vt, 0)
        ctypes.c_uint32.from_address(address - 4).value = vt
        sa.cDims, sa.fFeatures, sa.cbElements, sa.cLocks = 1, features, element_size, 0
        sa.pvData = data
        sa.rgsabound[0].cElements, sa.rgsabound[0].lLbound = count, 0
        return address

    def safearray_destroy_memory(self, address: int) -> None:
        """Free what :meth:`safearray_create` allocated."""
        if address:
            sa = SAFEARRAY.from_address(address)
            if sa.pvData:
                _c().free(sa.pvData)
            _c().free(address - 16)

    def task_free(self, address: int) -> None:
        """``CoTaskMemFree`` stands for the C library's ``free`` here."""
        if address:
            _c().free(address)

    def task_alloc(self, size: int) -> int:
        """``CoTaskMemAlloc`` stands for the C library's ``calloc`` here."""
        block = _c().calloc(1, max(size, 1))
        if not block:
            raise MemoryError("cannot allocate task memory")
        return int(block)


class LibraryAutomation(OwnAutomation):
    """BSTRs (and, where exported, arrays and task memory) through a library's own
    ``SysAllocStringLen``/``SysFreeString``/``SafeArrayCreateVector``/``SafeArrayDestroy``/
    ``CoTaskMemFree``/``CoTaskMemAlloc``; idlgen's implementation for what it does not export."""

    def __init__(self, lookup: Callable[[str], int | None], abi: int) -> None:
        def bind(name: str, returns: str, params: list[str]) -> RawFunction | None:
            address = lookup(name)
            return RawFunction(address, abi, returns, params) if address else None

        alloc = bind("SysAllocStringLen", "ptr", ["ptr", "u32"])
        free = bind("SysFreeString", "void", ["ptr"])
        if alloc is None or free is None:
            raise LookupError("the library exports no SysAllocStringLen and SysFreeString")
        self._alloc, self._free = alloc, free
        self._create = bind("SafeArrayCreateVector", "ptr", ["u16", "i32", "u32"])
        self._destroy_descriptor = bind("SafeArrayDestroyDescriptor", "i32", ["ptr"])
        self._destroy_data = bind("SafeArrayDestroyData", "i32", ["ptr"])
        self._task_free = bind("CoTaskMemFree", "void", ["ptr"])
        self._task_alloc = bind("CoTaskMemAlloc", "ptr", ["uptr"])

    def bstr_alloc(self, text: str) -> int:
        """``SysAllocStringLen(text, len)``."""
        data = _encode(text)
        buffer = ctypes.create_string_buffer(data, len(data) + 2)
        address = self._alloc(ctypes.addressof(buffer), len(data) // 2)
        if not address:
            raise MemoryError("SysAllocStringLen failed")
        return int(address)

    def bstr_free(self, address: int) -> None:
        """``SysFreeString``."""
        if address:
            self._free(address)

    def safearray_create(self, vt: int, count: int, element_size: int) -> int:
        """``SafeArrayCreateVector`` when exported."""
        if self._create is None or self._destroy_descriptor is None:
            return super().safearray_create(vt, count, element_size)
        address = self._create(vt, 0, count)
        if not address:
            raise MemoryError("SafeArrayCreateVector failed")
        return int(address)

    def safearray_destroy_memory(self, address: int) -> None:
        """``SafeArrayDestroyData`` + ``SafeArrayDestroyDescriptor`` when exported."""
        if self._destroy_descriptor is None or self._destroy_data is None:
            super().safearray_destroy_memory(address)
        elif address:
            SAFEARRAY.from_address(address).fFeatures &= ~(
                FADF_BSTR | FADF_UNKNOWN | FADF_DISPATCH | FADF_VARIANT
            )
            self._destroy_data(address)
            self._destroy_descriptor(address)

    def task_free(self, address: int) -> None:
        """``CoTaskMemFree`` when exported."""
        if self._task_free is None:
            super().task_free(address)
        elif address:
            self._task_free(address)

    def task_alloc(self, size: int) -> int:
        """``CoTaskMemAlloc`` (zeroed) when exported."""
        if self._task_alloc is None:
            return super().task_alloc(size)
        block = self._task_alloc(max(size, 1))
        if not block:
            raise MemoryError("CoTaskMemAlloc failed")
        ctypes.memset(block, 0, max(size, 1))
        return int(block)


_current: Automation | None = None


def automation() -> Automation:
    """The functions in use: oleaut32's on Windows, idlgen's own elsewhere (unless changed
    by :func:`use_library_functions`)."""
    global _current
    if _current is None:
        _current = _windows() if sys.platform == "win32" else OwnAutomation()
    return _current


def _windows() -> Automation:  # pragma: no cover - Windows only
    oleaut32 = ctypes.WinDLL("oleaut32")  # type: ignore[attr-defined]
    ole32 = ctypes.WinDLL("ole32")  # type: ignore[attr-defined]

    def lookup(name: str) -> int | None:
        for dll in (oleaut32, ole32):
            try:
                return ctypes.cast(getattr(dll, name), ctypes.c_void_p).value
            except AttributeError:
                continue
        return None

    return LibraryAutomation(lookup, _ffi.abi_code(_ffi.ABI_DEFAULT))


def use_library_functions(library: Any | None) -> None:
    """Allocate and free BSTRs (and arrays, task memory) with *library*'s own functions.

    *library* is a :class:`~idlgen.runtime.native.Library` that exports
    ``SysAllocStringLen`` and ``SysFreeString`` (called in its calling convention); None
    goes back to the default.  Raises LookupError when it does not export them.
    """
    global _current
    if library is None:
        _current = None
        return
    _current = LibraryAutomation(library.symbol_address, library.abi_code)
