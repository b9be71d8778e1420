"""Small helpers that turn IDL facts into pieces of Python source.

Everything that decides *what* the generated code says lives here, in
:mod:`.builder`, :mod:`.typemap` and :mod:`idlgen.backends.common.naming`; the Jinja
templates only lay the pieces out.

- **Literals** (:func:`docstring`, :func:`py_literal`): strings from IDL reach
  the output only as escaped literals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

# --------------------------------------------------------------------------- literals


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def escape_text(text: str, *, keep_newlines: bool, all_quotes: bool = False) -> str:
    """Escape *text* for the inside of a ``\"\"\"`` string literal.

    Backslashes are doubled; a quote is escaped when another quote or the end
    follows it (so no ``\"\"\"`` can form and the closing quotes stay closing),
    every quote when *all_quotes* (for ``"..."`` literals);
    characters that are not printable (controls, format characters such as
    bidi overrides, line/paragraph separators, tabs) become ``\\x``/``\\u``
    escapes; printable non-ASCII is kept.  Newlines are kept as line breaks
    when *keep_newlines*, else escaped.
    """
    if text.isprintable() and "\\" not in text and '"' not in text:
        return text  # nothing to escape (most names and type spellings): the fast way
    out: list[str] = []
    n = len(text)
    for i, ch in enumerate(text):
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            nxt = text[i + 1] if i + 1 < n else ""
            out.append('\\"' if all_quotes or nxt in ('"', "") else '"')
        elif ch == "\n":
            out.append("\n" if keep_newlines else "\\n")
        elif ch.isprintable():
            out.append(ch)
        else:
            out.append(_escape_char(ch))
    return "".join(out)


def clean_doc(text: str) -> str:
    """Normalise a helpstring for a docstring: unify newlines, strip line ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    # leading indentation of lines would be re-indented by black; make it explicit
    return "\n".join(line.strip() for line in lines)


def docstring(text: str) -> str:
    """A safe triple-quoted docstring literal for *text* (already :func:`clean_doc`-ed)."""
    return '"""' + escape_text(text, keep_newlines=True) + '"""'


def joined_docstring(*parts: str | None) -> str:
    """The docstring literal of the non-empty *parts*, cleaned, as paragraphs."""
    cleaned = [clean_doc(p) for p in parts if p]
    return docstring("\n\n".join(c for c in cleaned if c))


def py_literal(value: object) -> str:
    """Python source for a constant value (str, int, float, bool, None)."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return 'float("nan")'
        if math.isinf(value):
            return 'float("inf")' if value > 0 else '-float("inf")'
        return repr(value).replace("e+", "e")  # 1e+38 -> 1e38, as black writes it
    if isinstance(value, str):
        return '"' + escape_text(value, keep_newlines=False, all_quotes=True) + '"'
    raise TypeError(f"no literal for {type(value).__name__}")


def hex_literal(value: int) -> str:
    """``0x81000751`` style for HRESULT values."""
    return f"0x{value:08X}" if value >= 0 else repr(value)


def safe_comment(text: str) -> str:
    """Text for a ``#`` comment: one line, non-printables escaped."""
    return "".join(ch if ch.isprintable() else _escape_char(ch) for ch in text)


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
