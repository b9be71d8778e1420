"""C function pointers that call Python: libffi closures in either calling convention.

A closure is a piece of executable code libffi writes (``ffi_closure_alloc`` +
``ffi_prep_closure_loc``): native code calls it with the C signature of a prepared
``ffi_cif`` — in the Microsoft x64 convention when the cif was prepared with ``FFI_WIN64``,
which ctypes' own callbacks cannot do — and libffi hands the arguments to one C function of
ours as ``(cif, ret, args, user_data)``.  That function is a single ctypes callback shared by
every closure; *user_data* selects the Python handler, called as ``handler(ret, args)`` with
two addresses: where to store the result, and the array of pointers to the arguments.

Handlers must not raise: an exception escaping into ctypes is printed and the caller gets
whatever was in the result slot.  :func:`closure` wraps each handler so that anything it
lets through is logged and the result slot is filled with *on_error* (an HRESULT for methods
that return one).  Closures live as long as the process (vtables are built once per interface
and convention, and never freed).
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import threading
from collections.abc import Callable
from typing import Any

from idlgen.runtime.native import _ffi
from idlgen.runtime.native._memory import CTYPES, FORMATS, value_writer

__all__ = [
    "Handler",
    "closure",
    "register_normalizer",
    "register_type",
    "result_writer",
    "write_result",
]

log = logging.getLogger("idlgen.runtime.native")

#: ``handler(ret, args)``: *ret* is where the result goes, *args* the array of argument pointers
Handler = Callable[[int, int], None]

# generous: the real ffi_closure is a trampoline (at most 32 bytes on the targets CPython
# supports) and three pointers
_CLOSURE_SIZE = 128
_lock = threading.Lock()
_handlers: list[Handler] = []
_keep: list[object] = []

_TRAMPOLINE_FUNCTION = ctypes.CFUNCTYPE(
    None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p
)


def _trampoline(cif: int | None, ret: int | None, args: int | None, user_data: int | None) -> None:
    _handlers[user_data or 0](ret or 0, args or 0)


_TRAMPOLINE = _TRAMPOLINE_FUNCTION(_trampoline)
_TRAMPOLINE_ADDRESS = ctypes.cast(_TRAMPOLINE, ctypes.c_void_p).value


#: result type code -> (bits, signed) of the integer register libffi widens it to
_INTEGERS = {
    "i8": (8, True),
    "u8": (8, False),
    "i16": (16, True),
    "u16": (16, False),
    "i32": (32, True),
    "u32": (32, False),
    "i64": (64, True),
    "u64": (64, False),
    "iptr": (64, True),
    "uptr": (64, False),
    "char8": (8, True),
    "char16": (16, False),
    "hresult": (32, True),
    "bool32": (32, True),
    "bool8": (8, False),
    "vbool": (16, True),
    "cy": (64, True),
}
_WRITE_SIGNED = value_writer("q")
_WRITE_FLOAT = value_writer("f")
_WRITE_DOUBLE = value_writer("d")


@functools.cache
def register_normalizer(rtype: str) -> Callable[[Any], Any]:
    """``normal(value)``: a result of type code *rtype* in the range of its C type (an
    HRESULT given unsigned becomes the negative int32 it is; a pointer may be None)."""
    if rtype in ("f32", "f64", "date"):
        return float
    if rtype == "void":
        return lambda value: None
    bits, signed = _INTEGERS[rtype]
    mask, top = (1 << bits) - 1, 1 << (bits - 1)

    def normal(value: Any) -> int:
        number = int(value or 0) & mask
        return number - (1 << bits) if signed and number & top else number

    return normal


def register_type(rtype: str) -> Any:
    """The ctypes result type of a ctypes callback returning type code *rtype*."""
    if rtype == "void":
        return None
    if rtype == "uptr":
        return ctypes.c_void_p
    return CTYPES[FORMATS[rtype]]


@functools.cache
def result_writer(rtype: str) -> Callable[[int, Any], None]:
    """``store(ret, value)``: :func:`write_result` for one result type, prepared."""
    if rtype == "void":
        return lambda ret, value: None
    if rtype == "f32":
        return lambda ret, value: _WRITE_FLOAT(ret, float(value)) if ret else None
    if rtype in ("f64", "date"):
        return lambda ret, value: _WRITE_DOUBLE(ret, float(value)) if ret else None
    normal = register_normalizer(rtype)

    def store(ret: int, value: Any) -> None:
        if ret:
            number = normal(value)
            _WRITE_SIGNED(ret, number - (1 << 64) if number >= 1 << 63 else number)

    return store


def write_result(ret: int, rtype: str, value: Any) -> None:
    """Store *value* as a result of type code *rtype* the way libffi expects: integers
    narrower than a register widened to a whole (sign-extended) ``ffi_arg``, floats as they
    are."""
    result_writer(rtype)(ret, value)


def closure(cif: _ffi.Cif, handler: Handler, rtype: str, on_error: int, what: str) -> int:
    """A new C function pointer with the signature and convention of *cif* that calls
    ``handler(ret, args)``.

    *rtype* is the return type code (how to store *on_error*: the result given when the
    handler lets an exception through, which is logged naming *what*).
    """

    def guarded(ret: int, args: int) -> None:
        try:
            handler(ret, args)
        except BaseException:
            log.exception("%s: unexpected error in a native callback", what)
            with contextlib.suppress(BaseException):
                write_result(ret, rtype, on_error)

    ffi = _ffi.libffi()
    code = ctypes.c_void_p()
    with _lock:
        index = len(_handlers)
        _handlers.append(guarded)
        memory = ffi.closure_alloc(_CLOSURE_SIZE, ctypes.byref(code))
        if not memory or not code.value:
            _handlers.pop()
            raise MemoryError("ffi_closure_alloc failed")
        status = ffi.prep_closure_loc(memory, cif.address, _TRAMPOLINE_ADDRESS, index, code.value)
        if status != _ffi.FFI_OK:
            ffi.closure_free(memory)
            _handlers.pop()
            raise _ffi.NativeUnavailableError(f"ffi_prep_closure_loc failed with status {status}")
        _keep.append(cif)
    return code.value
