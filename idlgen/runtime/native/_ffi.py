"""libffi through ctypes: call interfaces (``ffi_cif``), calls, and closures.

ctypes itself is built on libffi, so the library is always there where ctypes works; this
module binds the few entry points idlgen needs (``ffi_prep_cif``, ``ffi_call``, and for
exposing Python objects ``ffi_closure_alloc``/``ffi_prep_closure_loc``/``ffi_closure_free``)
because ctypes cannot select a calling convention other than the platform's: the Microsoft
x64 convention (``__attribute__((ms_abi))``, libffi's ``FFI_WIN64``) on x86-64 Linux is the
reason this module exists.

Everything here is loaded lazily, on first use, so importing the package never fails where
libffi cannot be found; :func:`libffi` raises :class:`NativeUnavailableError` instead.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "ABI_DEFAULT",
    "ABI_MS",
    "FFI_TYPE_STRUCT",
    "Cif",
    "FFIType",
    "LibFFI",
    "NativeUnavailableError",
    "abi_code",
    "libffi",
]

#: The names :func:`idlgen.runtime.native.load` accepts for ``abi``.
ABI_DEFAULT = "default"
ABI_MS = "ms"

FFI_OK = 0
FFI_TYPE_STRUCT = 13


class NativeUnavailableError(OSError):
    """Native calls are not possible here (libffi not found, or an unsupported platform)."""


class FFIType(ctypes.Structure):
    """libffi's ``ffi_type``."""

    _fields_ = [
        ("size", ctypes.c_size_t),
        ("alignment", ctypes.c_ushort),
        ("type", ctypes.c_ushort),
        ("elements", ctypes.c_void_p),
    ]


class _FFICif(ctypes.Structure):
    """libffi's ``ffi_cif`` (the same on every platform CPython builds ctypes for)."""

    _fields_ = [
        ("abi", ctypes.c_int),
        ("nargs", ctypes.c_uint),
        ("arg_types", ctypes.c_void_p),
        ("rtype", ctypes.c_void_p),
        ("bytes", ctypes.c_uint),
        ("flags", ctypes.c_uint),
        # room for FFI_EXTRA_CIF_FIELDS of other targets
        ("extra", ctypes.c_void_p * 4),
    ]


_SCALAR_TYPE_NAMES = (
    "void",
    "uint8",
    "sint8",
    "uint16",
    "sint16",
    "uint32",
    "sint32",
    "uint64",
    "sint64",
    "float",
    "double",
    "pointer",
)


def _is_x86_64() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64")


def _abi_values() -> dict[str, int]:
    """libffi's ``ffi_abi`` values for this platform (from its ``ffitarget.h``)."""
    if _is_x86_64():
        if sys.platform == "win32":
            return {ABI_DEFAULT: 1, ABI_MS: 1}  # FFI_WIN64 (MSVC-built libffi's default)
        return {ABI_DEFAULT: 2, ABI_MS: 3}  # FFI_UNIX64, FFI_WIN64
    # FFI_SYSV is 1 on i386 (non-Windows), ARM, AArch64, PowerPC, RISC-V ...
    return {ABI_DEFAULT: 1}


def abi_code(abi: str) -> int:
    """libffi's ``ffi_abi`` for an ``abi`` name (``"default"`` or ``"ms"``).

    Raises ValueError for an unknown name, :class:`NativeUnavailableError` when the
    platform has no such convention (``"ms"`` exists only on x86-64).
    """
    if abi not in (ABI_DEFAULT, ABI_MS):
        raise ValueError(f"abi must be {ABI_DEFAULT!r} or {ABI_MS!r}, not {abi!r}")
    values = _abi_values()
    if abi not in values:
        raise NativeUnavailableError(
            f"the Microsoft x64 calling convention (abi={ABI_MS!r}) exists only on x86-64, "
            f"not on {platform.machine()}"
        )
    return values[abi]


def _candidates() -> list[str]:
    """Where libffi may be: the copy this process already mapped (ctypes'), then by name."""
    found: list[str] = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as maps:
            for line in maps:
                path = line.split(maxsplit=5)[-1].strip() if line.count(" ") >= 5 else ""
                if "/libffi" in path and path not in found and os.path.isfile(path):
                    found.append(path)
    except OSError:
        pass
    if sys.platform == "win32":
        dlls = os.path.join(sys.base_prefix, "DLLs")
        found += [os.path.join(dlls, f"libffi-{n}.dll") for n in (8, 7)]
        found += ["libffi-8.dll", "libffi-7.dll"]
    elif sys.platform == "darwin":
        found += ["libffi.8.dylib", "libffi.dylib", "/usr/lib/libffi.dylib"]
    else:
        found += ["libffi.so.8", "libffi.so.7", "libffi.so.6"]
    by_name = ctypes.util.find_library("ffi")
    if by_name:
        found.append(by_name)
    return found


class LibFFI:
    """The bound entry points and scalar types of one loaded libffi."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self.lib = lib
        voidp = ctypes.c_void_p
        self.prep_cif = lib.ffi_prep_cif
        self.prep_cif.argtypes = [voidp, ctypes.c_int, ctypes.c_uint, voidp, voidp]
        self.prep_cif.restype = ctypes.c_int
        #: ``ffi_call(cif, fn, rvalue, avalue)``, all four as addresses (ints)
        self.call = lib.ffi_call
        self.call.argtypes = [voidp, voidp, voidp, voidp]
        self.call.restype = None
        self.closure_alloc = lib.ffi_closure_alloc
        self.closure_alloc.argtypes = [ctypes.c_size_t, voidp]
        self.closure_alloc.restype = voidp
        self.prep_closure_loc = lib.ffi_prep_closure_loc
        self.prep_closure_loc.argtypes = [voidp, voidp, voidp, voidp, voidp]
        self.prep_closure_loc.restype = ctypes.c_int
        self.closure_free = lib.ffi_closure_free
        self.closure_free.argtypes = [voidp]
        self.closure_free.restype = None
        #: ``{"sint32": address of ffi_type_sint32, ...}``
        self.types = {
            name: ctypes.addressof(ctypes.c_ubyte.in_dll(lib, f"ffi_type_{name}"))
            for name in _SCALAR_TYPE_NAMES
        }


_lock = threading.Lock()
_loaded: LibFFI | None = None
_problem: str | None = None


def libffi() -> LibFFI:
    """The process's libffi (the one ctypes uses when it can be found), loaded once.

    Raises :class:`NativeUnavailableError` when no libffi with the needed entry points loads.
    """
    global _loaded, _problem
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            if _problem is not None:
                raise NativeUnavailableError(_problem)
            errors: list[str] = []
            for name in _candidates():
                try:
                    _loaded = LibFFI(ctypes.CDLL(name))
                    break
                except (OSError, AttributeError) as exc:
                    errors.append(f"{name}: {exc}")
            else:
                _problem = "libffi could not be loaded (" + "; ".join(errors or ["not found"]) + ")"
                raise NativeUnavailableError(_problem)
    return _loaded


@dataclass
class Cif:
    """A prepared ``ffi_cif``: its address, and the memory it points into (kept alive)."""

    address: int
    keep: tuple[Any, ...]


def prepare(abi: int, rtype: int, argtypes: Sequence[int]) -> Cif:
    """``ffi_prep_cif`` for return type *rtype* and *argtypes* (``ffi_type`` addresses)."""
    ffi = libffi()
    cif = _FFICif()
    args = (ctypes.c_void_p * max(len(argtypes), 1))(*argtypes)
    status = ffi.prep_cif(ctypes.addressof(cif), abi, len(argtypes), rtype, ctypes.addressof(args))
    if status != FFI_OK:
        raise NativeUnavailableError(f"ffi_prep_cif failed with status {status} (abi {abi})")
    return Cif(ctypes.addressof(cif), (cif, args))


def struct_type(elements: Sequence[int]) -> tuple[int, Any]:
    """A new ``ffi_type`` of kind struct with *elements* (addresses): (address, owner).

    libffi computes its size and alignment when a cif using it is prepared.
    """
    array = (ctypes.c_void_p * (len(elements) + 1))(*elements, None)
    t = FFIType(0, 0, FFI_TYPE_STRUCT, ctypes.addressof(array))
    return ctypes.addressof(t), (t, array)
