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
import logging
import threading
from collections.abc import Callable

from idlgen.runtime.native import _ffi

__all__ = ["Handler", "closure", "write_result"]

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


def write_result(ret: int, rtype: str, value: int | float) -> None:
    """Store *value* as a result of type code *rtype* the way libffi expects: integers
    narrower than a register widened to a whole ``ffi_arg``, floats as they are."""
    if not ret or rtype == "void":
        return
    if rtype == "f32":
        ctypes.c_float.from_address(ret).value = float(value)
    elif rtype in ("f64", "date"):
        ctypes.c_double.from_address(ret).value = float(value)
    elif rtype in ("u8", "u16", "u32", "u64", "uptr", "bool8", "char16"):
        ctypes.c_uint64.from_address(ret).value = int(value) & 0xFFFF_FFFF_FFFF_FFFF
    else:  # signed integers, HRESULT, BOOL, VARIANT_BOOL, pointers
        number = int(value)
        if number >= 1 << 63:
            number -= 1 << 64
        ctypes.c_int64.from_address(ret).value = number


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
