"""Scalar type codes as ctypes types and libffi types, and plain calls of function pointers."""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any

from idlgen.runtime.native import _ffi

__all__ = ["SCALAR_CTYPES", "RawFunction", "ffi_scalar"]

_PTR64 = ctypes.sizeof(ctypes.c_void_p) == 8

#: scalar code -> (ctypes type, libffi type name) for the codes that are plain C scalars
SCALAR_CTYPES: dict[str, tuple[Any, str]] = {
    "i8": (ctypes.c_int8, "sint8"),
    "u8": (ctypes.c_uint8, "uint8"),
    "i16": (ctypes.c_int16, "sint16"),
    "u16": (ctypes.c_uint16, "uint16"),
    "i32": (ctypes.c_int32, "sint32"),
    "u32": (ctypes.c_uint32, "uint32"),
    "i64": (ctypes.c_int64, "sint64"),
    "u64": (ctypes.c_uint64, "uint64"),
    "iptr": (ctypes.c_ssize_t, "sint64" if _PTR64 else "sint32"),
    "uptr": (ctypes.c_size_t, "uint64" if _PTR64 else "uint32"),
    "f32": (ctypes.c_float, "float"),
    "f64": (ctypes.c_double, "double"),
    "char8": (ctypes.c_int8, "sint8"),
    "char16": (ctypes.c_uint16, "uint16"),
    "hresult": (ctypes.c_int32, "sint32"),
    "bool32": (ctypes.c_int32, "sint32"),
    "bool8": (ctypes.c_uint8, "uint8"),
    "vbool": (ctypes.c_int16, "sint16"),
    "date": (ctypes.c_double, "double"),
    "cy": (ctypes.c_int64, "sint64"),
    "bstr": (ctypes.c_void_p, "pointer"),
    "fn": (ctypes.c_void_p, "pointer"),
    "ptr": (ctypes.c_void_p, "pointer"),
}


def ffi_scalar(name: str) -> int:
    """The address of libffi's ``ffi_type_<name>``."""
    return _ffi.libffi().types[name]


class RawFunction:
    """A C function pointer called with plain values (ints, floats) in a given convention.

    ``RawFunction(address, abi, "i32", ["ptr", "u32"])(p, 3)``: the codes are those of
    :data:`SCALAR_CTYPES` (``"ptr"`` for any pointer) or ``"void"`` for no result.  Used for
    the few helper functions idlgen calls itself (allocators, ``DllGetClassObject`` is a
    described call instead); nothing is checked beyond what ctypes checks.
    """

    def __init__(self, address: int, abi: int, returns: str, params: Sequence[str]) -> None:
        if not address:
            raise ValueError("null function pointer")
        self.address = address
        self._types = [SCALAR_CTYPES[p][0] for p in params]
        rtype = ffi_scalar("void") if returns == "void" else ffi_scalar(SCALAR_CTYPES[returns][1])
        self._cif = _ffi.prepare(abi, rtype, [ffi_scalar(SCALAR_CTYPES[p][1]) for p in params])
        self._rtype = None if returns == "void" else SCALAR_CTYPES[returns][0]
        self._call = _ffi.libffi().call

    def __call__(self, *args: Any) -> Any:
        if len(args) != len(self._types):
            raise TypeError(f"takes {len(self._types)} arguments, {len(args)} given")
        values = [t(a) for t, a in zip(self._types, args, strict=True)]
        pointers = (ctypes.c_void_p * max(len(values), 1))(*(ctypes.addressof(v) for v in values))
        result = ctypes.c_uint64 * 2
        ret = result()
        self._call(
            self._cif.address, self.address, ctypes.addressof(ret), ctypes.addressof(pointers)
        )
        if self._rtype is None:
            return None
        return self._rtype.from_buffer(ret).value
