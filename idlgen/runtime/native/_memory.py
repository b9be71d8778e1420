"""Reading and writing plain C values at addresses, cheaply: what native callers hand to an
exposed object's closures (argument pointers, ``this``, result slots) is read here.

``ctypes.c_int32.from_address(a).value`` builds a ctypes object for every value; a
``struct.Struct`` unpacking from one memoryview that spans the address space reads the same
bytes without one (about twice as fast, which counts on a path run for every call native
code makes into Python).  The view is made once, over the addresses a pointer can hold; where
it cannot be made (or for an address beyond it) the ctypes way is used.  Either way an
address must be valid: these are the bytes native code gave us.
"""

from __future__ import annotations

import ctypes
import struct
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["CTYPES", "FORMATS", "pointers_reader", "value_reader", "value_writer"]

#: scalar type code -> ``struct`` format (native sizes: the Windows widths on LP64 targets)
FORMATS: dict[str, str] = {
    "i8": "b",
    "u8": "B",
    "i16": "h",
    "u16": "H",
    "i32": "i",
    "u32": "I",
    "i64": "q",
    "u64": "Q",
    "iptr": "n",
    "uptr": "N",
    "f32": "f",
    "f64": "d",
    "char8": "b",
    "char16": "H",
    "hresult": "i",
    "bool32": "i",
    "bool8": "B",
    "vbool": "h",
    "date": "d",
    "cy": "q",
    "bstr": "P",
    "fn": "P",
}
#: ``struct`` format -> ctypes type
CTYPES: dict[str, Any] = {
    "b": ctypes.c_int8,
    "B": ctypes.c_uint8,
    "h": ctypes.c_int16,
    "H": ctypes.c_uint16,
    "i": ctypes.c_int32,
    "I": ctypes.c_uint32,
    "q": ctypes.c_int64,
    "Q": ctypes.c_uint64,
    "n": ctypes.c_ssize_t,
    "N": ctypes.c_size_t,
    "f": ctypes.c_float,
    "d": ctypes.c_double,
    "P": ctypes.c_void_p,
}


def _address_space() -> tuple[memoryview | None, int]:
    limit = 1 << 62 if sys.maxsize > 1 << 32 else 1 << 30
    try:
        view = memoryview((ctypes.c_char * limit).from_address(0)).cast("B")
    except (ValueError, TypeError, OverflowError, MemoryError):  # pragma: no cover
        return None, 0
    return view, limit


_MEMORY, _LIMIT = _address_space()


def value_reader(fmt: str) -> Callable[[int], Any]:
    """``read(address)``: the value of ``struct`` format *fmt* stored there (a pointer is
    an int, 0 for NULL)."""
    unpack = struct.Struct(fmt).unpack_from
    ctype = CTYPES[fmt]
    memory, limit = _MEMORY, _LIMIT
    if memory is None:  # pragma: no cover - platforms without the view
        return lambda address: ctype.from_address(address).value or 0

    def read(address: int) -> Any:
        if address < limit:
            return unpack(memory, address)[0]
        return ctype.from_address(address).value or 0  # pragma: no cover

    return read


def value_writer(fmt: str) -> Callable[[int, Any], None]:
    """``write(address, value)``: store *value* with ``struct`` format *fmt*."""
    pack = struct.Struct(fmt).pack_into
    ctype = CTYPES[fmt]
    memory, limit = _MEMORY, _LIMIT

    def write(address: int, value: Any) -> None:
        if memory is not None and address < limit:
            pack(memory, address, value)
        else:  # pragma: no cover
            ctype.from_address(address).value = value

    return write


def pointers_reader(count: int) -> Callable[[int], tuple[int, ...]]:
    """``read(address)``: *count* consecutive pointers (libffi's argument array)."""
    unpack = struct.Struct(f"{count}P").unpack_from
    memory, limit = _MEMORY, _LIMIT

    def read(address: int) -> tuple[int, ...]:
        if memory is not None and address < limit:
            return unpack(memory, address)
        return tuple(  # pragma: no cover
            p or 0 for p in (ctypes.c_void_p * count).from_address(address)
        )

    return read
