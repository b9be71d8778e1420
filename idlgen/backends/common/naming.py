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


def _runtime_attributes() -> frozenset[str]:
    """Every attribute the runtime's base classes define (a generated interface, event sink
    or coclass inherits them; a member of that name would replace one)."""
    from idlgen.runtime import CoClass, EventSink, IDispatch

    return frozenset(name for cls in (IDispatch, EventSink, CoClass) for name in dir(cls))


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
        *_runtime_attributes(),
    }
)

#: Parameter names taken by the generated signatures themselves.
RESERVED_PARAM_NAMES = frozenset({"self", "cls"})

#: Enumerator names ``enum`` gives a meaning (besides the ``_sunder_`` ones).
RESERVED_ENUM_MEMBER_NAMES = frozenset({"name", "value", "mro"})


def is_identifier(name: str | None) -> bool:
    """True for a plain ASCII identifier (what IDL allows); keywords included."""
    return name is not None and _IDENT.match(name) is not None


def is_python_special(name: str) -> bool:
    """True for names Python or the runtime give a meaning in a class body.

    Dunder and class-private names (``__x``: mangled in a class body; ``__x__``: Python's)
    and ``_sunder_`` names (``enum``'s, and the runtime's tables ``_members_``,
    ``_events_``, ...).  Appending ``_`` always ends the match (``__x___``, ``_x__``), which
    is what makes the renaming rule terminate.
    """
    if name.startswith("__"):
        return not name.endswith("___")
    return len(name) > 2 and name[0] == name[-1] == "_" and name[1] != "_" and name[-2] != "_"


def _reserved(name: str, reserved: Iterable[str]) -> bool:
    return keyword.iskeyword(name) or name in reserved or is_python_special(name)


class NameSpace:
    """One scope of Python names (a module, a class body, a parameter list).

    :meth:`add` applies the renaming rule: keywords, reserved names, the names of
    :func:`is_python_special`, names :attr:`private_prefixes` start (an enum's private
    names) and names already taken in this scope get ``_`` appended until free (``__x``
    ends as ``__x___``); every condition stops matching after a few ``_``, so the rule
    always ends.
    """

    def __init__(
        self,
        reserved: Iterable[str] = (),
        taken: Iterable[str] = (),
        private_prefixes: Iterable[str] = (),
    ) -> None:
        self.reserved = frozenset(reserved)
        self.taken: set[str] = set(taken)
        #: ``_E__`` for an enum class ``E``: ``enum`` ignores such names unless they end
        #: with ``__``
        self.private_prefixes = tuple(private_prefixes)

    def _free(self, name: str) -> bool:
        if _reserved(name, self.reserved) or name in self.taken:
            return False
        return not (name.startswith(self.private_prefixes) and not name.endswith("__"))

    def add(self, name: str) -> str:
        """Claim a Python name for IDL *name* (which must be a valid identifier)."""
        out = name
        while not self._free(out):
            out += "_"
        self.taken.add(out)
        return out


def member_namespace(module_names: Iterable[str] = ()) -> NameSpace:
    """The scope of a generated class body (an interface, an event sink, a struct).

    Besides the runtime's attributes, a member may not take a name the class body itself
    uses: what the module imports or the builtins its annotations and defaults name
    (:data:`RESERVED_MODULE_NAMES`: ``property``, ``abc``, ``uuid``, ``float`` ...) and
    *module_names*, the package's own classes (``Color`` as a method would hide the enum
    ``Color`` from the annotations and defaults that follow it).
    """
    return NameSpace(member_reserved_names(module_names))


def member_reserved_names(module_names: Iterable[str] = ()) -> frozenset[str]:
    """The names :func:`member_namespace` reserves (build it once for many classes)."""
    return frozenset({*RESERVED_MEMBER_NAMES, *RESERVED_MODULE_NAMES, *module_names})


def enum_namespace(class_name: str) -> NameSpace:
    """The scope of the members of the enum class *class_name*: ``enum``'s reserved and
    private names (``_E__x`` is not a member of ``E``) are renamed too."""
    prefixes = {f"_{class_name}__", f"_{class_name.lstrip('_')}__"}
    return NameSpace(RESERVED_ENUM_MEMBER_NAMES, private_prefixes=prefixes)


def enum_member_name(name: str, class_name: str = "") -> str:
    """The Python name of enumerator *name* alone in its enum (see :func:`enum_namespace`)."""
    return enum_namespace(class_name).add(name)


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
    return NameSpace(reserved=RESERVED_PACKAGE_NAMES).add(name)


#: Top-level package names generated code must not take: the standard library, idlgen and
#: what a generated suite imports (a package of that name would shadow the real one).
RESERVED_PACKAGE_NAMES = frozenset(
    {*sys.stdlib_module_names, "idlgen", "pytest", "_pytest", "pluggy", "conftest"}
)


def package_name_problem(name: str) -> str | None:
    """Why *name* cannot be the name of a generated package (None when it can)."""
    parts = name.split(".")
    if not all(is_identifier(p) and not keyword.iskeyword(p) for p in parts):
        return "is not a valid Python package name"
    if parts[0] in RESERVED_PACKAGE_NAMES:
        return f"would shadow the module '{parts[0]}' that Python or generated code imports"
    if any(is_python_special(p) for p in parts):
        return "is a name Python reserves"
    return None
