"""The C type spelling of vtable descriptions (``"*struct:D3D12_RESOURCE_DESC"``), parsed.

A type code is a small, closed language (no expressions, nothing evaluated)::

    code   := "*" code                 a pointer to code
            | "[" N "]" code           a fixed array of N (decimal) elements
            | "safearray(" code ")"    a SAFEARRAY of code (the C type is SAFEARRAY*)
            | "struct:" NAME | "union:" NAME     a layout of the package's ``abi`` module
            | "iface:" NAME            an interface (so "*iface:X" is an interface pointer)
            | "opaque:" NAME           a type without a description (only pointers to it
                                       can be passed, as addresses)
            | SCALAR

SCALARs are C types at the Windows (LLP64) widths: ``i8 u8 i16 u16 i32 u32 i64 u64``,
``iptr uptr`` (pointer-sized), ``f32 f64``, ``void``, ``char8 char16`` (``char`` and
``WCHAR``/``OLECHAR``), and the COM types that marshal specially: ``hresult`` (i32, a failure
raises), ``bool32`` (``BOOL``), ``bool8`` (``boolean``), ``vbool`` (``VARIANT_BOOL``: -1/0),
``date`` (``DATE``), ``cy`` (``CY``), ``guid`` (``GUID``), ``decimal``, ``variant``
(``VARIANT``), ``bstr`` (``BSTR``) and ``fn`` (a function pointer).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "SCALARS",
    "ArrayOf",
    "CType",
    "Named",
    "PointerTo",
    "SafeArrayOf",
    "Scalar",
    "parse_type",
]

#: Every scalar name of the language.
SCALARS = frozenset(
    {
        "i8",
        "u8",
        "i16",
        "u16",
        "i32",
        "u32",
        "i64",
        "u64",
        "iptr",
        "uptr",
        "f32",
        "f64",
        "void",
        "char8",
        "char16",
        "hresult",
        "bool32",
        "bool8",
        "vbool",
        "date",
        "cy",
        "guid",
        "decimal",
        "variant",
        "bstr",
        "fn",
    }
)

_NAMED_KINDS = ("struct", "union", "iface", "opaque")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(frozen=True)
class CType:
    """A parsed type code."""


@dataclass(frozen=True)
class Scalar(CType):
    """One of :data:`SCALARS`."""

    name: str


@dataclass(frozen=True)
class PointerTo(CType):
    """``*target``."""

    target: CType


@dataclass(frozen=True)
class ArrayOf(CType):
    """``[count]element``."""

    count: int
    element: CType


@dataclass(frozen=True)
class SafeArrayOf(CType):
    """``safearray(element)``: a ``SAFEARRAY*`` whose elements are *element*."""

    element: CType


@dataclass(frozen=True)
class Named(CType):
    """``struct:NAME``, ``union:NAME``, ``iface:NAME`` or ``opaque:NAME``."""

    kind: str
    name: str


@lru_cache(maxsize=4096)
def parse_type(code: str) -> CType:
    """Parse a type code; raises ValueError (naming the code) when it is not one."""
    try:
        return _parse(code)
    except ValueError:
        raise ValueError(f"not a type code: {code!r}") from None


def _parse(code: str) -> CType:
    if code.startswith("*"):
        return PointerTo(_parse(code[1:]))
    if code.startswith("["):
        count, sep, rest = code[1:].partition("]")
        if not sep or not count.isdigit():
            raise ValueError(code)
        return ArrayOf(int(count), _parse(rest))
    if code.startswith("safearray(") and code.endswith(")"):
        return SafeArrayOf(_parse(code[len("safearray(") : -1]))
    kind, sep, name = code.partition(":")
    if sep:
        if kind not in _NAMED_KINDS or not _NAME.match(name):
            raise ValueError(code)
        return Named(kind, name)
    if code not in SCALARS:
        raise ValueError(code)
    return Scalar(code)
