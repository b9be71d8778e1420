"""Small helpers that turn IDL facts into pieces of Python source.

Everything that decides *what* the generated code says lives here or in
:mod:`idlgen.backends.python`; the Jinja templates only lay the pieces out.

- **Names** (:func:`is_identifier`, :class:`NameSpace`): IDL names are kept as
  written.  The one renaming rule: a name that is a Python keyword, is
  reserved in its place (see :data:`RESERVED_MODULE_NAMES`,
  :data:`RESERVED_MEMBER_NAMES`, :data:`RESERVED_PARAM_NAMES`) or was already
  taken in the same scope gets ``_`` appended, repeatedly, until it is free.
  Names that are not plain ASCII identifiers are rejected (never emitted).
- **Literals** (:func:`docstring`, :func:`py_literal`): strings from IDL reach
  the output only as escaped literals.
- **Types** (:data:`NAMED_TYPES`, :data:`BASE_TYPES`): the documented type map.
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Iterable

# --------------------------------------------------------------------------- names

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

#: Names the generated modules import or define themselves; a declaration of
#: the IDL with one of these names is renamed (``uuid`` -> ``uuid_``).
RESERVED_MODULE_NAMES = frozenset(
    {
        "abc",
        "annotations",
        "dataclasses",
        "datetime",
        "decimal",
        "enum",
        "typing",
        "uuid",
        "Any",
        "ClassVar",
        "Final",
        "Sequence",
        "TYPE_CHECKING",
        "ByRef",
        "CoClass",
        "COMError",
        "EventSink",
        "IDispatch",
        "IUnknown",
        "MemberInfo",
        "NO_DEFAULT",
        "ParamInfo",
        "register_hresult_names",
        "DISP_E_MEMBERNOTFOUND",
        # the generated modules (attributes of the package once imported)
        "coclasses",
        "constants",
        "enums",
        "events",
        "interfaces",
        "structs",
        "__all__",
        "__doc__",
        "__name__",
        "__path__",
        "__file__",
        "__spec__",
        "__loader__",
        "__package__",
        "__builtins__",
        # builtins used as annotations by generated code
        "bool",
        "bytes",
        "float",
        "int",
        "object",
        "str",
        "tuple",
        "type",
        "dict",
        "list",
        "property",
        "None",
    }
)

#: Attribute names the runtime base classes (or Python) use on generated classes.
RESERVED_MEMBER_NAMES = frozenset(
    {
        "IID",
        "CLSID",
        "QueryInterface",
        "AddRef",
        "Release",
        "GetIDsOfNames",
        "GetTypeInfo",
        "GetTypeInfoCount",
        "Invoke",
        "FindConnectionPoint",
        "EnumConnectionPoints",
        "fire_event",
        "interfaces_of",
        "mro",
        "register",
    }
)

#: Parameter names taken by the generated signatures themselves.
RESERVED_PARAM_NAMES = frozenset({"self", "cls"})


def is_identifier(name: str | None) -> bool:
    """True for a plain ASCII identifier (what IDL allows); keywords included."""
    return name is not None and _IDENT.match(name) is not None


def _reserved(name: str, reserved: Iterable[str]) -> bool:
    return (
        keyword.iskeyword(name)
        or name in reserved
        # dunder names belong to Python; other "__x" names are mangled in classes
        or (name.startswith("__") and not name.endswith("___"))
    )


class NameSpace:
    """One scope of Python names (a module, a class body, a parameter list).

    :meth:`add` applies the renaming rule: keywords, reserved names, names
    starting with ``__`` (dunder or class-private) and names already taken in
    this scope get ``_`` appended until free (``__x`` ends as ``__x___``).
    """

    def __init__(self, reserved: Iterable[str] = (), taken: Iterable[str] = ()) -> None:
        self.reserved = frozenset(reserved)
        self.taken: set[str] = set(taken)

    def add(self, name: str) -> str:
        """Claim a Python name for IDL *name* (which must be a valid identifier)."""
        out = name
        while _reserved(out, self.reserved) or out in self.taken:
            out += "_"
        self.taken.add(out)
        return out


def enum_member_name(name: str) -> str:
    """Names ``enum`` itself reserves (``_sunder_``) get the usual ``_`` suffix too."""
    out = name
    while (
        keyword.iskeyword(out)
        or (len(out) > 2 and out.startswith("_") and out.endswith("_"))
        or out in ("name", "value", "mro")
    ):
        out += "_"
    return out


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
        return repr(value)
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


# --------------------------------------------------------------------------- the type map

#: IDL type names mapped before typedefs are followed: (annotation, import).
#: An import is ``("module", "name")`` meaning ``import module`` for a dotted
#: annotation, or ``("from", "module:name")`` for ``from module import name``.
NAMED_TYPES: dict[str, tuple[str, str | None]] = {
    "BSTR": ("str", None),
    "LPWSTR": ("str", None),
    "LPCWSTR": ("str", None),
    "LPOLESTR": ("str", None),
    "LPCOLESTR": ("str", None),
    "LPSTR": ("str", None),
    "LPCSTR": ("str", None),
    "HSTRING": ("str", None),
    "VARIANT_BOOL": ("bool", None),
    "BOOL": ("bool", None),
    "BOOLEAN": ("bool", None),
    "DATE": ("datetime.datetime", "datetime"),
    "CY": ("decimal.Decimal", "decimal"),
    "CURRENCY": ("decimal.Decimal", "decimal"),
    "DECIMAL": ("decimal.Decimal", "decimal"),
    "VARIANT": ("object", None),
    "VARIANTARG": ("object", None),
    "HRESULT": ("int", None),
    "SCODE": ("int", None),
    "GUID": ("uuid.UUID", "uuid"),
    "UUID": ("uuid.UUID", "uuid"),
    "IID": ("uuid.UUID", "uuid"),
    "CLSID": ("uuid.UUID", "uuid"),
    "REFGUID": ("uuid.UUID", "uuid"),
    "REFIID": ("uuid.UUID", "uuid"),
    "REFCLSID": ("uuid.UUID", "uuid"),
}

#: Interfaces the runtime provides classes for.
RUNTIME_INTERFACES = frozenset({"IUnknown", "IDispatch"})

#: C base types (normalised spelling, see :class:`idlgen.model.BaseType`).
BASE_TYPES: dict[str, str] = {
    "float": "float",
    "double": "float",
    "boolean": "bool",
    "void": "None",
}

#: Character types whose pointers are strings.
CHAR_TYPES = frozenset({"char", "wchar_t", "WCHAR", "OLECHAR", "CHAR", "TCHAR", "unsigned char"})
