"""Small helpers that turn IDL facts into pieces of Python source.

Everything that decides *what* the generated code says lives here, in
:mod:`.builder`, :mod:`.typemap` and :mod:`idlgen.backends.common.naming`; the Jinja
templates only lay the pieces out.

- **Literals** (:func:`docstring`, :func:`py_literal`, from :mod:`idlgen.output.pysource`):
  strings from IDL reach the output only as escaped literals.
"""

from __future__ import annotations

from collections.abc import Iterable

from idlgen.output.pysource import (
    clean_doc,
    docstring,
    escape_text,
    joined_docstring,
    py_literal,
    safe_comment,
)

# --------------------------------------------------------------------------- literals

# Literals, docstrings and comments are shared by every backend (idlgen.output.pysource).
__all__ = [
    "clean_doc",
    "docstring",
    "escape_text",
    "hex_literal",
    "hresult_value",
    "is_flag_enum",
    "joined_docstring",
    "py_literal",
    "safe_comment",
]


def hex_literal(value: int) -> str:
    """``0x81000751`` style for HRESULT values."""
    return f"0x{value:08X}" if value >= 0 else repr(value)


# --------------------------------------------------------------------------- HRESULTs


def hresult_value(value: object) -> int | None:
    """The unsigned HRESULT for a failure code, or None when *value* is not one.

    The rule: an integer whose 32-bit form has the severity bit set — a value in
    ``0x80000000..0xFFFFFFFF``, or a negative value in ``-2**31..-65536`` (the
    two's complement of the same range; small negatives like ``-1`` are not
    error codes).
    """
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if 0x80000000 <= value <= 0xFFFFFFFF:
        return value
    if -0x80000000 <= value <= -0x10000:
        return value & 0xFFFFFFFF
    return None


# --------------------------------------------------------------------------- enums


def is_flag_enum(name: str, values: Iterable[int]) -> bool:
    """Whether an enum becomes ``IntFlag`` (else ``IntEnum``).

    The rule: every value is non-negative, the non-zero values that are single
    bits are pairwise distinct, and either (a) there are at least three of them
    and no other non-zero values, or (b) the enum's name contains ``flag``
    (any case), it has at least one single-bit value and every other non-zero
    value is an OR of its single-bit values (masks such as ``ALL = 7``).
    """
    vals = list(values)
    if not vals or any(v < 0 for v in vals):
        return False
    bits = [v for v in vals if v and v & (v - 1) == 0]
    if len(set(bits)) != len(bits):
        return False
    others = [v for v in vals if v and v & (v - 1) != 0]
    if not others and len(bits) >= 3:
        return True
    if "flag" in name.lower() and bits:
        mask = 0
        for b in bits:
            mask |= b
        return all(v & ~mask == 0 for v in others)
    return False
