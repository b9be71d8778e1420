"""The names a resolved run defines: :class:`SymbolTable` (plain types, tags, constants and
enumerators, uuids), what the backends look names up in."""

from __future__ import annotations

from dataclasses import dataclass, field

from idlgen.model import (
    ApiContract,
    CoClass,
    Const,
    Declaration,
    Delegate,
    DispInterface,
    Enum,
    EnumMember,
    Function,
    Interface,
    Library,
    Module,
    RuntimeClass,
    Struct,
    Typedef,
    Union,
)

#: Type names every IDL compiler knows without a declaration (widl registers
#: these as built-in types; the grammar may hand them over as plain names).
BUILTIN_TYPE_NAMES = frozenset(
    {
        "boolean",
        "byte",
        "char",
        "double",
        "error_status_t",
        "float",
        "handle_t",
        "hyper",
        "int",
        "long",
        "short",
        "small",
        "void",
        "wchar_t",
        "__int8",
        "__int16",
        "__int32",
        "__int64",
        "__int3264",
        "signed",
        "unsigned",
    }
)


def describe(decl: Declaration | None) -> str:
    """A short noun for *decl* as used in messages (``interface``, ``typedef`` ...)."""
    names = {
        Typedef: "typedef",
        Interface: "interface",
        DispInterface: "dispinterface",
        CoClass: "coclass",
        Module: "module",
        Library: "library",
        Struct: "struct",
        Union: "union",
        Enum: "enum",
        Const: "constant",
        RuntimeClass: "runtimeclass",
        Delegate: "delegate",
        ApiContract: "apicontract",
        Function: "function",
    }
    for kind, noun in names.items():
        if isinstance(decl, kind):
            return noun
    return "declaration"


def is_defined(decl: Declaration) -> bool:
    """False for forward declarations (``interface X;``, ``struct S;``)."""
    return bool(getattr(decl, "is_defined", True))


@dataclass
class Symbol:
    """One name in a namespace: its first declaration and its definition, if any."""

    name: str
    first: Declaration | EnumMember
    definition: Declaration | EnumMember | None = None

    @property
    def decl(self) -> Declaration | EnumMember:
        """The definition when there is one, else the first declaration."""
        return self.definition if self.definition is not None else self.first


@dataclass
class SymbolTable:
    """The names visible in one run, in the three namespaces of classic IDL."""

    types: dict[str, Symbol] = field(default_factory=dict)
    tags: dict[tuple[str, str], Symbol] = field(default_factory=dict)
    values: dict[str, Symbol] = field(default_factory=dict)
    #: uuid (lowercase) -> the first declaration that carries it
    uuids: dict[str, Declaration] = field(default_factory=dict)

    def lookup_type(self, name: str) -> Declaration | None:
        """The declaration a type name stands for, or None."""
        sym = self.types.get(name)
        if sym is not None and isinstance(sym.decl, Declaration):
            return sym.decl
        return None

    def lookup_tag(self, keyword: str, tag: str) -> Declaration | None:
        """The ``struct``/``union``/``enum`` with tag *tag*, or None."""
        sym = self.tags.get((keyword, tag))
        if sym is not None and isinstance(sym.decl, Declaration):
            return sym.decl
        return None

    def lookup_value(self, name: str) -> Const | EnumMember | None:
        """The constant or enumerator called *name*, or None."""
        sym = self.values.get(name)
        if sym is None:
            return None
        d = sym.decl
        return d if isinstance(d, Const | EnumMember) else None
