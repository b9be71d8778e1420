"""The Python naming rule, shared by every backend that writes or predicts Python names.

IDL names are kept as written.  The one renaming rule: a name that is a Python keyword, is
reserved in its place (see :data:`RESERVED_MODULE_NAMES`, :data:`RESERVED_MEMBER_NAMES`,
:data:`RESERVED_PARAM_NAMES`) or was already taken in the same scope gets ``_`` appended,
repeatedly, until it is free.  Names that are not plain ASCII identifiers are rejected (never
emitted).  The stubs (:mod:`idlgen.backends.python`) apply it; the conformance suite
(:mod:`idlgen.backends.conformance`) predicts the stubs' names with it.
"""

from __future__ import annotations

import keyword
import os
import re
import sys
from collections.abc import Iterable

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
        "Callable",
        "ClassVar",
        "Final",
        "Sequence",
        "TYPE_CHECKING",
        "TypeAlias",
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
        "modules",
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


def package_name_for(path: str) -> str:
    """The default package name of an IDL file: its stem, lowercased, made an identifier.

    Characters other than ASCII letters, digits and ``_`` become ``_``; a
    leading digit gets ``idl_`` in front; a keyword, a module of the standard
    library (``uuid``, ``types`` ...) or ``idlgen`` gets ``_`` appended, so the
    package never shadows what generated code imports.
    """
    stem = os.path.splitext(os.path.basename(path))[0].lower()
    name = re.sub(r"[^a-z0-9_]", "_", stem) or "idl"
    if name[0].isdigit():
        name = "idl_" + name
    return NameSpace(reserved={*sys.stdlib_module_names, "idlgen"}).add(name)
