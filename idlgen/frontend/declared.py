"""What each file of a compilation declares, and where: the index through which the resolver
finds a name used before its declaration (MIDL reads the whole compilation before it
resolves; see :mod:`idlgen.frontend.resolve`).

:func:`index_file` lists, for one parsed file, every name a statement of it declares in
the three namespaces of classic IDL — plain types (typedefs, interfaces, coclasses ...),
``struct``/``union``/``enum`` tags and values (constants, enumerators) — with the
statement that declares it and that statement's context (the list holding it, the WinRT
namespace, whether it stands in a library).  Names are keyed exactly as the resolver
registers them.  An index depends on its file's declarations only, so the index of an
imported file (shared between runs) is built once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from idlgen.model import (
    ApiContract,
    ArrayType,
    BinaryExpr,
    CastExpr,
    CoClass,
    ConditionalExpr,
    Const,
    Declaration,
    Delegate,
    DispInterface,
    Enum,
    EnumMember,
    Expr,
    Function,
    FunctionType,
    IdlFile,
    Import,
    Interface,
    Library,
    Method,
    Module,
    NameExpr,
    Namespace,
    PointerType,
    RuntimeClass,
    SafeArrayType,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    UnaryExpr,
    Union,
    Variable,
)

_K = TypeVar("_K", str, tuple[str, str])

_TAG_KEYWORDS: dict[type, str] = {Struct: "struct", Union: "union", Enum: "enum"}

#: Declarations that put their own name in the plain-type namespace.
TYPE_NAMING = (
    Typedef,
    Interface,
    DispInterface,
    CoClass,
    Module,
    RuntimeClass,
    Delegate,
    ApiContract,
)


@dataclass(slots=True)
class Entry:
    """One declaration of a name, with the statement to resolve to declare it.

    ``decl`` is what the name stands for (a typedef, a struct, a constant, an
    enumerator ...); ``statement`` the item of ``parent`` that declares it (the
    declaration itself, or the typedef or struct that defines it inline).
    """

    decl: Declaration | EnumMember
    statement: Declaration
    parent: list[Declaration] | list[Method | Declaration]
    file: IdlFile
    namespace: str | None
    in_library: bool


@dataclass
class FileIndex:
    """The names one file declares (first declaration first) and the files it imports."""

    types: dict[str, list[Entry]] = field(default_factory=dict)
    tags: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)
    values: dict[str, list[Entry]] = field(default_factory=dict)
    imports: list[IdlFile] = field(default_factory=list)


def index_file(f: IdlFile) -> FileIndex:
    """List what *f* declares (see the module docstring)."""
    builder = _IndexBuilder(f)
    builder.statements(f.declarations, None, in_library=False)
    return builder.index


def compilation_files(main: IdlFile, index_of: Callable[[IdlFile], FileIndex]) -> list[IdlFile]:
    """*main* and every file it imports, directly or not, in the order a walk meets them."""
    order: list[IdlFile] = []
    seen: set[int] = set()
    stack = [main]
    while stack:
        f = stack.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        order.append(f)
        stack.extend(reversed([g for g in index_of(f).imports if id(g) not in seen]))
    return order


class _IndexBuilder:
    def __init__(self, f: IdlFile) -> None:
        self.file = f
        self.index = FileIndex()

    def statements(
        self,
        items: Iterable[Declaration | Method],
        namespace: str | None,
        *,
        in_library: bool,
        parent: list[Declaration] | list[Method | Declaration] | None = None,
    ) -> None:
        holder = parent if parent is not None else items
        assert isinstance(holder, list)
        for item in items:
            if isinstance(item, Declaration):
                self.statement(item, holder, namespace, in_library)

    def statement(
        self,
        d: Declaration,
        parent: list[Declaration] | list[Method | Declaration],
        namespace: str | None,
        in_library: bool,
    ) -> None:
        def add_type(decl: Declaration) -> None:
            name = decl.qualified_name if decl.namespace else decl.name
            if name:
                self._add(self.index.types, name, Entry(decl, d, parent, self.file, *ctx))

        ctx = (namespace, in_library)
        if isinstance(d, Import):
            if d.resolved is not None:
                self.index.imports.append(d.resolved)
        elif isinstance(d, Library):
            self.statements(d.body, namespace, in_library=True)
        elif isinstance(d, Namespace):
            self.statements(d.body, d.name, in_library=in_library)
        elif isinstance(d, Module):
            add_type(d)
            self.statements(d.body, namespace, in_library=in_library)
        elif isinstance(d, Interface):
            # (a struct or enum defined inside a method's parameter list declares nothing
            # usable: not indexed, which spares a walk of every parameter type)
            add_type(d)
            self.statements(d.body, namespace, in_library=in_library, parent=d.body)
        elif isinstance(d, Struct | Union | Enum):
            self.tagged(d, d, parent, ctx)
        elif isinstance(d, TYPE_NAMING):
            add_type(d)
            if isinstance(d, Typedef):
                self.inline(d.type, d, parent, ctx)
        elif isinstance(d, Const):
            self._add(self.index.values, d.name, Entry(d, d, parent, self.file, *ctx))
            self.inline(d.type, d, parent, ctx)
        elif isinstance(d, Function | Variable):
            self.inline(d.type if isinstance(d, Variable) else d.return_type, d, parent, ctx)

    def tagged(
        self,
        t: Struct | Union | Enum,
        statement: Declaration,
        parent: list[Declaration] | list[Method | Declaration],
        ctx: tuple[str | None, bool],
    ) -> None:
        """A struct/union/enum defined by *statement*, and what it defines inside."""
        if t.name and t.is_defined:
            key = (_TAG_KEYWORDS[type(t)], t.qualified_name or t.name)
            self._add(self.index.tags, key, Entry(t, statement, parent, self.file, *ctx))
        if isinstance(t, Enum):
            if not t.namespace:  # WinRT enumerators are scoped to their enum
                for m in t.members:
                    entry = Entry(m, statement, parent, self.file, *ctx)
                    self._add(self.index.values, m.name, entry)
            return
        if isinstance(t, Union) and t.switch_type is not None:
            self.inline(t.switch_type, statement, parent, ctx)
        for f in t.fields:
            self.inline(f.type, statement, parent, ctx)

    def inline(
        self,
        t: TypeRef,
        statement: Declaration,
        parent: list[Declaration] | list[Method | Declaration],
        ctx: tuple[str | None, bool],
    ) -> None:
        """The struct/union/enum definitions written inside the type *t*."""
        stack = [t]
        while stack:
            x = stack.pop()
            if isinstance(x, TaggedType):
                if x.definition is not None:
                    self.tagged(x.definition, statement, parent, ctx)
            elif isinstance(x, PointerType):
                stack.append(x.target)
            elif isinstance(x, ArrayType | SafeArrayType):
                stack.append(x.element)
            elif isinstance(x, FunctionType):
                stack.append(x.return_type)

    @staticmethod
    def _add(table: dict[_K, list[Entry]], key: _K, entry: Entry) -> None:
        """Append *entry* to the entries of *key* (the first declaration stays first)."""
        found = table.get(key)
        if found is None:
            table[key] = [entry]
        else:
            found.append(entry)


def value_names(statement: Declaration) -> set[str]:
    """The names the values *statement* defines are computed from: those in a constant's
    expression and in the enumerators of the enums it defines (inline ones too)."""
    exprs: list[Expr] = []
    if isinstance(statement, Const):
        exprs.append(statement.expr)
    builder = _IndexBuilder(IdlFile(""))
    builder.statement(statement, [], None, False)
    for entries in builder.index.values.values():
        for entry in entries:
            if isinstance(entry.decl, EnumMember) and entry.decl.expr is not None:
                exprs.append(entry.decl.expr)
    return expression_names(*exprs)


def expression_names(*exprs: Expr) -> set[str]:
    """The names (of constants, enumerators) that *exprs* use."""
    stack = list(exprs)
    names: set[str] = set()
    while stack:
        e = stack.pop()
        if isinstance(e, NameExpr):
            names.add(e.name)
        elif isinstance(e, UnaryExpr):
            stack.append(e.operand)
        elif isinstance(e, BinaryExpr):
            stack.extend((e.left, e.right))
        elif isinstance(e, ConditionalExpr):
            stack.extend((e.cond, e.then, e.otherwise))
        elif isinstance(e, CastExpr):
            stack.append(e.operand)
    return names


def typedef_names(f: IdlFile) -> frozenset[str]:
    """The names *f* declares with ``typedef`` (top level, blocks, interface bodies): a
    cheaper question than :func:`index_file` asked for every file resolved."""
    names: set[str] = set()
    stack: list[Declaration | Method] = list(f.declarations)
    while stack:
        d = stack.pop()
        if isinstance(d, Typedef):
            names.add(d.qualified_name or d.name)
        elif isinstance(d, Library | Module | Namespace | Interface):
            stack.extend(d.body)
    return frozenset(names)
