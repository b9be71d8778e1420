"""Name resolution, constant evaluation and semantic checks (the stage after parsing).

:class:`Resolver` walks one *run* — a main file and, at each ``import``, the
imported file — in source order, the way widl does: a name is visible from
the point where it is declared, imported declarations first.  Like MIDL, which
resolves after reading the whole compilation, a name may also be used before its
declaration, anywhere in the run's files (see "Forward references" below).  It

- keeps a symbol table (plain types, ``struct``/``union``/``enum`` tags,
  constants and enumerators); a forward declaration and the definition are
  one symbol, clashes are reported with a note at the earlier declaration;
- binds every :class:`~idlgen.model.NamedType` and
  :class:`~idlgen.model.TaggedType` to its declaration (the definition when
  there is one);
- evaluates constant expressions: ``const`` values, enumerators (implicit
  increments too), ``id(...)`` DISPIDs and other attribute arguments;
- numbers vtable slots along the inheritance chain;
- checks what widl/MIDL check (``[out]`` pointers, ``[retval]``, ``[propput]``
  parameters, ``uuid`` on ``object`` interfaces, duplicate uuids).

Scoping follows widl: classic IDL has one global namespace for types and one
for constants, so typedefs, enums and consts declared inside an interface are
global too.  Typedefs may shadow a typedef of another (imported) file — MIDL
allows that — but not one of the same file.  Declarations from
``importlib("stdole2.tlb")`` form a fallback scope, consulted only when a name
is found nowhere else.

The Windows Runtime dialect adds namespaces: a declaration inside
``namespace A.B { }`` is registered as ``A.B.Name``, and a name used there is
looked up as ``A.B.Name``, ``A.Name``, then ``Name`` (MIDL 3; widl tries the
current namespace, then the global one); qualified names work the same way.
The type parameters of a parameterised interface or delegate (``IVector<T>``)
are in scope inside it only; uses of parameterised types are checked for their
number of type arguments.  Enumerators of an enum in a namespace are scoped to
that enum (``Enum.Member``), so two WinRT enums may both have a ``None``.
A file met twice in one run (as the main file and, through another main file's
imports, as an imported copy) is walked once.

Imported files are shared between runs (see :mod:`idlgen.frontend`): their
references are bound the first time they are resolved; later runs only
re-declare their symbols.

Forward references.  A lookup that finds nothing declared so far consults the
index of everything the run's files declare (:mod:`idlgen.frontend.declared`,
built on the first such miss) and declares the name out of order — "declare,
then define, same object", as widl does for ``interface X;``:

- an interface, dispinterface, coclass, module, struct or union found ahead is
  only *declared* (its name registered); its body is resolved when the walk
  reaches it, so a reference binds to the same object either way;
- a typedef, an enum, a constant (the statement that defines the name) is
  resolved there and then, so typedef chains, ``sizeof`` and values are complete
  where they are used (nesting is capped at :data:`MAX_FORWARD_NESTING`; past it a
  typedef is only declared);
- a file not walked yet (``import`` further down, or inside an interface body after
  the base list that needs it) is walked there and then, as a whole.

Hard dependencies are computed on demand and checked for cycles: the vtable size
of a base interface (:meth:`Resolver._vtable_size`: an interface that derives from
itself through others), the value of a constant or enumerator (constants defined by
each other), and, after the run, structs and unions that contain themselves by value
and typedefs that alias themselves.  A cycle is one error naming every member, with a
note at each.  Names found in order bind exactly as before, so a file that resolves in
definition order gives the same model, and a reordered copy of it the same model too.
"""

from __future__ import annotations

import difflib
import functools
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from idlgen.diagnostics import NO_SPAN, DiagnosticSink, Span
from idlgen.frontend.cycles import (
    aggregate_name,
    alias_cycles,
    containment_cycles,
    cycle_text,
    earliest_first,
    held_by_value,
)
from idlgen.frontend.declared import (
    TYPE_NAMING,
    Entry,
    FileIndex,
    compilation_files,
    expression_names,
    index_file,
    typedef_names,
    value_names,
)
from idlgen.frontend.evaluate import (
    NotConstant,
    Value,
    evaluate_strict,
    fits_type,
    real_type,
)
from idlgen.frontend.symbols import BUILTIN_TYPE_NAMES, Symbol, SymbolTable, describe, is_defined
from idlgen.model import (
    ApiContract,
    ArrayType,
    Attribute,
    BaseType,
    BinaryExpr,
    CastExpr,
    CoClass,
    ConditionalExpr,
    Const,
    CppQuote,
    Declaration,
    Declare,
    Delegate,
    DispInterface,
    Enum,
    EnumMember,
    Expr,
    Field,
    Function,
    FunctionType,
    IdlFile,
    Import,
    ImportLib,
    Interface,
    Library,
    Method,
    Module,
    NamedType,
    NameExpr,
    Namespace,
    Param,
    PointerType,
    Pragma,
    RuntimeClass,
    SafeArrayType,
    SizeofExpr,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    UnaryExpr,
    Union,
    Variable,
    inline_definition,
)

#: GUID_NULL: a placeholder, never a duplicate.
NIL_UUID = "00000000-0000-0000-0000-000000000000"

#: Attributes whose single argument is a constant expression worth evaluating.
_EVALUATED_ATTRIBUTES = frozenset({"id", "helpcontext", "helpstringcontext", "lcid", "dispid"})


#: How many declarations a forward reference may resolve inside one another (a chain of
#: typedefs or constants each used before its definition); deeper, a typedef is only
#: declared and a value is reported.  Keeps Python's stack well inside its limit.
MAX_FORWARD_NESTING = 48

#: What a statement is resolved in: symbol table, checking, in a library, file path, file,
#: WinRT namespace, type parameters in scope, enumerators of the WinRT enum being evaluated.
_Context = tuple[
    SymbolTable,
    bool,
    bool,
    str,
    IdlFile,
    "str | None",
    frozenset[str],
    dict[str, EnumMember],
]

#: Loads the declarations an ``importlib("name")`` stands for (None when unknown).
ImportLibLoader = Callable[[ImportLib], "IdlFile | None"]

#: Where an index of an unchanging (imported, cached) file is kept between resolvers.
IndexCache = Callable[[IdlFile], "FileIndex | None"]


@dataclass
class _FileState:
    """What the resolver remembers about a shared (imported) file across runs."""

    resolved: bool = False
    #: the registrations re-declaring the file amounts to, in order (built on first use)
    declare_ops: list[tuple[str, Any]] | None = None
    #: what the file declares, for forward references (built on first use)
    index: FileIndex | None = None
    #: the names it declares with typedef (built on first use)
    typedef_names: frozenset[str] | None = None


class Resolver:
    """Resolves runs; keep one instance per process to share imported files."""

    def __init__(
        self,
        sink: DiagnosticSink,
        load_importlib: ImportLibLoader | None = None,
        shared_index: IndexCache | None = None,
    ) -> None:
        self.sink = sink
        self.load_importlib = load_importlib
        #: the index of a file shared between resolvers (built by it when it has none)
        self.shared_index = shared_index
        self._files: dict[int, _FileState] = {}
        self._vtable_sizes: dict[int, int | None] = {}
        #: the first slot of an interface's own methods (its base's size)
        self._vtable_starts: dict[int, int | None] = {}
        self._realpaths: dict[str, str] = {}
        #: per file path: the other files whose declarations it used ahead of an import
        #: (forward references across the files of a compilation)
        self.borrowed: dict[str, set[str]] = {}
        # the context of the statement being resolved
        self._checking = False
        self._in_library = False
        self._current_file = ""
        #: the file whose statements are being resolved
        self._unit = IdlFile("")
        #: the typedef names that file declares (kept for the file last asked about)
        self._unit_of_types: IdlFile | None = None
        self._unit_typedefs: frozenset[str] = frozenset()
        #: type parameters in scope (inside a parameterised interface or delegate)
        self._type_params: frozenset[str] = frozenset()
        #: the WinRT namespace being resolved (dotted), None at file scope
        self._namespace: str | None = None
        #: enumerators of the WinRT enum being evaluated (scoped to it)
        self._local_values: dict[str, EnumMember] = {}
        self._start_run(IdlFile(""))

    def _start_run(self, main: IdlFile) -> None:
        """Forget the per-run state (symbols, statements resolved, forward lookups)."""
        self.table = SymbolTable()
        self.fallback = SymbolTable()
        self._main = main
        self._main_table = self.table
        self._visited: set[int] = set()
        self._visited_paths: set[str] = set()
        self._seen_bodies: set[int] = set()
        self._forward_refs: list[tuple[NamedType | TaggedType, Symbol]] = []
        self._pending_tags: list[tuple[TaggedType, list[str]]] = []
        self._suggestions: dict[str, str | None] = {}
        #: statements resolved (or being resolved) in this run
        self._done: set[int] = set()
        #: statements being resolved, innermost last
        self._active: list[Declaration] = []
        self._active_ids: set[int] = set()
        #: files whose statements are being walked
        self._walking: set[int] = set()
        self._run_files: list[IdlFile] | None = None
        self._no_forward: set[tuple[str, Any, bool]] = set()
        self._forward_depth = 0
        self._bases_bound: set[int] = set()
        self._reported_cycles: set[frozenset[int]] = set()
        #: structs and unions resolved in this run (checked for containing themselves)
        self._aggregates: list[Struct | Union] = []
        self._typedefs: list[Typedef] = []
        #: statements whose value failed through a reported cycle (no more errors for them)
        self._poisoned: set[int] = set()
        #: something was declared out of order in this run, or a struct holds by value one
        #: being defined (else no cycle is possible)
        self._out_of_order = False
        #: structs and unions whose fields are being resolved
        self._defining: set[int] = set()

    # ------------------------------------------------------------------ runs

    def resolve_run(self, main: IdlFile) -> SymbolTable:
        """Resolve *main* (and, once per process, the files it imports).

        Returns the run's symbol table: every name visible at the end of *main*.
        """
        self._start_run(main)
        self._walk_file(main, check=True)
        for ref, sym in self._forward_refs:
            target = sym.decl
            if isinstance(target, Declaration):
                ref.target = target
        self._forward_refs = []
        for tagged, names in self._pending_tags:
            for name in names:
                found = self.table.tags.get((tagged.keyword, name))
                if found is not None and isinstance(found.decl, Declaration):
                    tagged.target = found.decl
                    break
        self._pending_tags = []
        if self._out_of_order:
            # a typedef or struct comes back to itself only through a forward reference or
            # by holding what is being defined
            self._check_cycles()
        return self.table

    def _walk_file(self, f: IdlFile, *, check: bool) -> None:
        key = id(f)
        if key in self._visited:
            return
        self._visited.add(key)
        # one file read twice (as a main file and, through another main file's imports,
        # as an imported one) is still one file: walk the first copy met only
        real = self._realpath(f.path)
        if real in self._visited_paths:
            return
        self._visited_paths.add(real)
        state = self._files.setdefault(key, _FileState())
        saved = (self._checking, self._in_library, self._current_file, self._unit)
        self._checking, self._in_library, self._current_file = check, False, f.path
        self._unit = f
        try:
            if state.resolved and not check:
                if state.declare_ops is None:
                    state.declare_ops = []
                    for d in f.declarations:
                        self._declare_ops(d, state.declare_ops)
                self._replay(state.declare_ops)
            else:
                self._walking.add(key)
                try:
                    self._statements(f.declarations)
                finally:
                    self._walking.discard(key)
                state.resolved = True
        finally:
            self._checking, self._in_library, self._current_file, self._unit = saved

    def _realpath(self, path: str) -> str:
        real = self._realpaths.get(path)
        if real is None:
            try:
                real = os.path.realpath(path) if path else path
            except (OSError, ValueError):
                real = path
            self._realpaths[path] = real
        return real

    # ------------------------------------------------------------------ declaring

    def _replay(self, ops: list[tuple[str, Any]]) -> None:
        """Run the registrations recorded by :meth:`_declare_ops`."""
        register_type, register_tagged = self._register_type, self._register_tagged
        register_value = self._register_value
        for kind, arg in ops:
            if kind == "type":
                register_type(arg, quiet=True)
            elif kind == "value":
                register_value(arg.name, arg, quiet=True)
            elif kind == "tagged":
                register_tagged(arg, quiet=True)
            elif kind == "walk":
                self._walk_file(arg, check=False)
            else:
                self._importlib(arg)

    def _declare_ops(self, d: Declaration, out: list[tuple[str, Any]]) -> None:
        """Record, flat and in order, the registrations that re-declare the already
        resolved declaration *d* (its names only, no checks)."""
        if isinstance(d, Import):
            if d.resolved is not None:
                out.append(("walk", d.resolved))
        elif isinstance(d, ImportLib):
            out.append(("importlib", d))
        elif isinstance(d, Library | Module | Namespace):
            if isinstance(d, Module):
                out.append(("type", d))
            for inner in d.body:
                self._declare_ops(inner, out)
        elif isinstance(d, Interface):
            out.append(("type", d))
            for item in d.body:
                if isinstance(item, Declaration):
                    self._declare_ops(item, out)
        elif isinstance(d, Struct | Union | Enum):
            out.append(("tagged", d))
        elif isinstance(d, Typedef):
            out.append(("type", d))
            self._inline_ops(d.type, out)
        elif isinstance(d, Const):
            out.append(("value", d))
        elif isinstance(d, TYPE_NAMING):
            out.append(("type", d))
        elif isinstance(d, Function | Variable):
            self._inline_ops(d.type if isinstance(d, Variable) else d.return_type, out)

    @staticmethod
    def _inline_ops(t: TypeRef, out: list[tuple[str, Any]]) -> None:
        definition = inline_definition(t)
        if definition is not None:
            out.append(("tagged", definition))

    def _register_type(self, d: Declaration, *, quiet: bool = False) -> Symbol | None:
        name = d.qualified_name if d.namespace else d.name
        if not name:
            return None
        sym = self.table.types.get(name)
        if sym is None:
            sym = Symbol(name, d, d if is_defined(d) else None)
            self.table.types[name] = sym
            return sym
        if sym.first is d or sym.definition is d:
            return sym
        prev = sym.decl
        assert isinstance(prev, Declaration)
        if isinstance(d, Typedef):
            same_file = _decl_file(prev) == _decl_file(d)
            if same_file and not quiet:
                self._clash(d, prev, "redefinition of '{0}'")
            # MIDL lets a typedef shadow one from another (imported) file
            self.table.types[name] = Symbol(name, d, d)
            return self.table.types[name]
        if isinstance(prev, Interface) and not prev.is_defined and isinstance(d, DispInterface):
            # `interface X;` forward-declares what turns out to be a dispinterface (widl
            # accepts): the same symbol, so that uses so far are bound to the definition
            sym.definition = d if is_defined(d) else None
            return sym
        if isinstance(d, Interface) and not d.is_defined and isinstance(prev, DispInterface):
            return sym  # the same, written after the dispinterface
        if type(prev) is not type(d) and not isinstance(prev, Typedef):
            if not quiet:
                self._clash(
                    d,
                    prev,
                    f"'{{0}}' redeclared as a different kind of symbol "
                    f"({describe(d)}, previously {describe(prev)})",
                )
            return sym
        if isinstance(prev, Typedef):
            # a typedef then an interface/coclass of the same name: the newer wins
            if not quiet and _decl_file(prev) == _decl_file(d):
                self._clash(d, prev, "redefinition of '{0}'")
            self.table.types[name] = Symbol(name, d, d if is_defined(d) else None)
            return self.table.types[name]
        if is_defined(d):
            if sym.definition is not None and sym.definition is not d:
                if not quiet and isinstance(sym.definition, Declaration):
                    self._clash(d, sym.definition, f"redefinition of {describe(d)} '{{0}}'")
            else:
                sym.definition = d
        return sym

    def _register_tagged(
        self, d: Struct | Union | Enum, *, quiet: bool = False, values: bool = True
    ) -> None:
        """Register the tag of *d* and (unless not *values*) the enumerators of an enum."""
        if values and isinstance(d, Enum) and not d.namespace:
            # (WinRT enumerators are scoped to their enum: `Enum.Member`)
            for m in d.members:
                self._register_value(m.name, m, quiet=quiet)
        if not d.name:
            return
        keyword = describe(d)
        key = (keyword, d.qualified_name or d.name)
        sym = self.table.tags.get(key)
        if sym is None:
            self.table.tags[key] = Symbol(d.name, d, d if is_defined(d) else None)
            return
        if sym.first is d or sym.definition is d:
            return
        if is_defined(d):
            if sym.definition is not None:
                prev = sym.definition
                if not quiet and isinstance(prev, Declaration):
                    self._clash(d, prev, f"redefinition of '{keyword} {{0}}'")
            else:
                sym.definition = d

    def _register_value(self, name: str, d: Const | EnumMember, *, quiet: bool = False) -> None:
        sym = self.table.values.get(name)
        if sym is None or sym.decl is d:
            self.table.values[name] = Symbol(name, d, d)
            return
        prev = sym.decl
        if not quiet and _span_of(prev).file == d.span.file and d.span.file != NO_SPAN.file:
            kind = "enumerator" if isinstance(d, EnumMember) else "constant"
            self.sink.warning(
                d.span,
                f"redefinition of {kind} '{name}'",
                self.sink.note(_span_of(prev), f"previous definition of '{name}' was here"),
            )
        self.table.values[name] = Symbol(name, d, d)

    def _clash(self, d: Declaration, prev: Declaration, message: str) -> None:
        name = d.name or "?"
        pspan = prev.span
        note = self.sink.note(pspan, f"'{name}' previously declared at {pspan.file}:{pspan.line}")
        self.sink.error(d.span, message.format(name), note)

    # ------------------------------------------------------------------ statements

    def _statements(self, decls: list[Declaration]) -> None:
        """Resolve *decls* in order (those already resolved ahead are skipped)."""
        i = 0
        while i < len(decls):
            self._resolve_statement(decls[i], decls, i)
            i += 1

    def _resolve_statement(
        self,
        d: Declaration,
        parent: list[Declaration] | list[Method | Declaration],
        position: int = -1,
    ) -> None:
        """Resolve the statement *d* of the list *parent* once per run; an interface with
        ``async_uuid`` gets its ``Async`` twin inserted right after it (as widl does)."""
        key = id(d)
        if key in self._done:
            return
        self._done.add(key)
        self._active.append(d)
        self._active_ids.add(key)
        try:
            self._statement(d)
        finally:
            self._active.pop()
            self._active_ids.discard(key)
        if isinstance(d, Interface) and d.is_defined and d.get_attr("async_uuid"):
            i = position
            if not 0 <= i < len(parent) or parent[i] is not d:
                i = next((k for k, item in enumerate(parent) if item is d), len(parent) - 1)
            following = parent[i + 1] if i + 1 < len(parent) else None
            if not (isinstance(following, Interface) and following.name == "Async" + d.name):
                twin = self._async_interface(d)
                if twin is not None:
                    parent.insert(i + 1, twin)
                    self._resolve_statement(twin, parent, i + 1)

    def _async_interface(self, d: Interface) -> Interface | None:
        """widl's ``Async<Name>``: ``Begin_X``/``Finish_X`` for each method X."""
        a = d.get_attr("async_uuid")
        uuid = a.args[0] if a is not None and a.args else None
        if not isinstance(uuid, str):
            return None
        base_name = "IUnknown"
        base = d.base_interface
        if base is not None and base.name != "IUnknown":
            base_name = "Async" + base.name
            if self.table.lookup_type(base_name) is None and base.get_attr("async_uuid"):
                self._resolve_ahead(base)  # defined further on: its twin comes with it
            if self.table.lookup_type(base_name) is None:
                self.sink.error(
                    d.span,
                    f"async_uuid applied to interface '{d.name}' whose base "
                    f"'{base.name}' has no async_uuid",
                )
                return None
        methods: list[Method | Declaration] = []
        for m in d.methods:
            if m.has_attr("call_as"):
                continue
            begin = [
                _copy_param(p, exclude=("out", "retval"))
                for p in m.params
                if p.has_attr("in") or not p.has_attr("out")
            ]
            finish = [_copy_param(p, exclude=("in",)) for p in m.params if p.has_attr("out")]
            for prefix, params in (("Begin_", begin), ("Finish_", finish)):
                methods.append(
                    Method(
                        prefix + m.name,
                        m.return_type,
                        params,
                        attributes=list(m.attributes),
                        span=m.span,
                    )
                )
        attrs = [x for x in d.attributes if x.name not in ("uuid", "async_uuid")]
        attrs.append(Attribute("uuid", [uuid], span=a.span if a is not None else NO_SPAN))
        return Interface(
            "Async" + d.name,
            base=NamedType(base_name, span=d.base.span if d.base else d.span),
            body=methods,
            attributes=attrs,
            span=d.span,
            file=d.file,
            imported=d.imported,
        )

    def _statement(self, d: Declaration) -> None:
        if isinstance(d, Import):
            if d.resolved is not None:
                self._walk_file(d.resolved, check=False)
        elif isinstance(d, ImportLib):
            self._importlib(d)
        elif isinstance(d, Library):
            saved = self._in_library
            self._in_library = True
            self._attributes(d.attributes)
            self._note_uuid(d)
            self._statements(d.body)
            self._in_library = saved
        elif isinstance(d, Module):
            self._register_type(d)
            self._attributes(d.attributes)
            self._statements(d.body)
        elif isinstance(d, Namespace):
            saved_ns = self._namespace
            self._namespace = d.name
            self._attributes(d.attributes)
            try:
                self._statements(d.body)
            finally:
                self._namespace = saved_ns
        elif isinstance(d, Interface):
            self._interface(d)
        elif isinstance(d, DispInterface):
            self._dispinterface(d)
        elif isinstance(d, CoClass | RuntimeClass):
            self._coclass(d)
        elif isinstance(d, Struct | Union | Enum):
            self._tagged_definition(d)
        elif isinstance(d, Typedef):
            self._attributes(d.attributes)
            self._type(d.type)
            self._register_type(d)
            self._typedefs.append(d)
        elif isinstance(d, Const):
            self._type(d.type)
            value = self.evaluate(d.expr, what="constant")
            problem = fits_type(d.type, value) if value is not None else None
            if problem is not None:
                self.sink.error(d.expr.span if d.expr.span is not NO_SPAN else d.span, problem)
                value = None
            d.value = value
            self._register_value(d.name, d)
        elif isinstance(d, Function):
            self._attributes(d.attributes)
            self._type(d.return_type)
            self._params(d.params)
        elif isinstance(d, Variable):
            self._type(d.type)
        elif isinstance(d, Delegate):
            self._register_type(d)
            saved_params = self._type_params
            self._type_params = frozenset(d.type_params)
            try:
                self._attributes(d.attributes)
                self._type(d.return_type)
                self._params(d.params)
            finally:
                self._type_params = saved_params
            if is_defined(d):
                self._note_uuid(d)
        elif isinstance(d, ApiContract):
            self._register_type(d)
        elif isinstance(d, Declare):
            for inst in d.instantiations:
                self._type(inst)
                if not inst.args and not getattr(inst.target, "type_params", True):
                    self.sink.error(
                        inst.span,
                        f"'{inst.name}' in a declare block is not an instantiation "
                        "of a parameterised interface or delegate",
                    )
        elif isinstance(d, CppQuote | Pragma):
            pass

    def _importlib(self, d: ImportLib) -> None:
        if self.load_importlib is None:
            return
        lib = self.load_importlib(d)
        if lib is None or id(lib) in self._visited:
            return
        # the library's names go to the fallback scope
        saved_table = self.table
        self.table = self.fallback
        try:
            self._walk_file(lib, check=False)
        finally:
            self.table = saved_table

    # ------------------------------------------------------------------ COM types

    def _interface(self, d: Interface) -> None:
        saved_params = self._type_params
        self._type_params = frozenset(d.type_params)
        try:
            self._interface_body(d)
        finally:
            self._type_params = saved_params

    def _interface_body(self, d: Interface) -> None:
        self._register_type(d)
        self._attributes(d.attributes)
        if not d.is_defined:
            return
        self._bind_base(d)
        for item in d.body:
            if isinstance(item, Method):
                self._method(item)
            else:
                self._resolve_statement(item, d.body)
        self._number_vtable(d)
        self._note_uuid(d)
        if self._checking:
            self._check_interface(d)

    def _bind_base(self, d: Interface) -> None:
        """Find and bind the base interface of *d* (once per run)."""
        if d.base is None or id(d) in self._bases_bound:
            return
        self._bases_bound.add(id(d))
        base = d.base
        found = self._lookup_type_symbol(base.name)
        if found is not None and isinstance(found.decl, Interface) and not found.decl.is_defined:
            # `interface B;` so far: a definition further on is the base
            self._declare_ahead_definition(base.name)
            found = self._lookup_type_symbol(base.name)
        if found is None:
            self._unknown(base, "base interface")
            return
        target = found.decl
        if isinstance(target, Declaration) and not isinstance(target, Interface):
            self.sink.error(
                base.span,
                f"base of interface '{d.name}' is not an interface: "
                f"'{base.name}' is a {describe(target)}",
            )
        elif target is d:
            self.sink.error(base.span, f"interface '{d.name}' inherits from itself")
        else:
            self._bind(base, found)
            self._check_type_args(base)

    def _number_vtable(self, d: Interface) -> None:
        """Give each method its slot in the full vtable (IUnknown::QueryInterface is 0)."""
        self._vtable_size(d)
        slot = self._vtable_starts.get(id(d))
        for m in d.methods:
            if m.has_attr("call_as") or slot is None:
                m.vtable_index = None  # the wire form of a [local] method: no slot of its own
                continue
            m.vtable_index = slot
            slot += 1

    def _vtable_size(self, d: Interface) -> int | None:
        """The number of slots in the vtable of *d*, its bases' first (None when a base is
        unknown or the bases form a cycle, which is reported here).  Walks up the base
        chain without recursion, then counts down it (a chain defined in reverse order
        can be long)."""
        chain: list[Interface] = []
        on_chain: set[int] = set()
        x = d
        start: int | None = 0
        while True:
            key = id(x)
            if key in self._vtable_sizes:
                start = self._vtable_sizes[key]
                break
            if key in on_chain:
                self._report_inheritance_cycle(
                    chain[next(i for i, m in enumerate(chain) if m is x) :]
                )
                start = None
                break
            chain.append(x)
            on_chain.add(key)
            if x.base is None:
                start = 0
                break
            self._bind_base(x)
            base = x.base.target
            if not isinstance(base, Interface) or not base.is_defined or base is x:
                start = None
                break
            x = base
        size = start
        for member in reversed(chain):
            if id(member) not in self._vtable_sizes:
                self._vtable_starts[id(member)] = size
            size = None if size is None else size + _own_slots(member)
            self._vtable_sizes.setdefault(id(member), size)
        return self._vtable_sizes[id(d)]

    def _report_inheritance_cycle(self, members: list[Interface]) -> None:
        """The interfaces of *members* derive from one another, the last from the first."""
        self._vtable_sizes.update((id(m), None) for m in members)
        first = members[0]
        chain = cycle_text([m.name for m in members], first.name)
        self._report_cycle(
            members,
            lambda m: m.base.span if m.base is not None else m.span,
            f"interface '{first.name}' inherits from itself: {chain}",
            lambda m: f"'{m.name}' derives from '{m.base.name if m.base else '?'}' here",
        )

    def _dispinterface(self, d: DispInterface) -> None:
        self._register_type(d)
        self._attributes(d.attributes)
        if not d.is_defined:
            return
        if d.interface is not None:
            self._type(d.interface)
        for prop in d.properties:
            self._attributes(prop.attributes)
            self._type(prop.type)
            prop.id = self._attr_int(prop, "id")
        for m in d.methods:
            self._method(m)
        self._note_uuid(d)
        if self._checking:
            self._check_dispinterface(d)

    def _coclass(self, d: CoClass | RuntimeClass) -> None:
        self._register_type(d)
        self._attributes(d.attributes)
        if isinstance(d, RuntimeClass) and d.base is not None:
            self._type(d.base)
            base = d.base.target
            if base is not None and not isinstance(base, RuntimeClass):
                self.sink.error(
                    d.base.span,
                    f"base of runtimeclass '{d.name}' is not a runtimeclass: "
                    f"'{d.base.name}' is {_a(describe(base))}",
                )
        for member in d.interfaces:
            self._attributes(member.attributes)
            for arg in member.type.args:
                self._type(arg)
            found = self._lookup_type_symbol(member.type.name)
            if found is None:
                # widl declares the interface implicitly; say so, but carry on
                if self._checking:
                    self.sink.warning(
                        member.type.span,
                        f"{'dispinterface' if member.is_dispinterface else 'interface'} "
                        f"'{member.type.name}' of coclass '{d.name}' is not declared",
                    )
            else:
                self._bind(member.type, found)
                self._check_type_args(member.type)
                target = member.type.target
                if isinstance(d, RuntimeClass) and not isinstance(target, Interface | None):
                    self.sink.error(
                        member.type.span,
                        f"'{member.type.name}' of runtimeclass '{d.name}' is not an interface "
                        f"(it is {_a(describe(target))})",
                    )
        if is_defined(d):
            self._note_uuid(d)

    def _method(self, m: Method) -> None:
        self._attributes(m.attributes)
        self._type(m.return_type)
        self._params(m.params)
        m.id = self._attr_int(m, "id")

    def _params(self, params: Iterable[Param]) -> None:
        for p in params:
            self._type(p.type)
            self._attributes(p.attributes)

    def _tagged_definition(self, d: Struct | Union | Enum) -> None:
        """Declare and resolve a struct/union/enum (once, however often it is met)."""
        if id(d) in self._seen_bodies:
            return
        self._seen_bodies.add(id(d))
        self._attributes(d.attributes)
        if isinstance(d, Enum):
            self._enum(d)
            self._register_tagged(d)
            return
        # register first: a struct may point to itself
        self._register_tagged(d)
        self._aggregates.append(d)
        if isinstance(d, Union) and d.switch_type is not None:
            self._type(d.switch_type)
        self._defining.add(id(d))
        for f in d.fields:
            self._field(f)
            held = held_by_value(f.type)
            if held is not None and id(held) in self._defining:
                self._out_of_order = True  # holds itself, or what holds it: check for cycles
        self._defining.discard(id(d))

    def _field(self, f: Field) -> None:
        self._attributes(f.attributes)
        self._type(f.type)
        if f.bits is not None:
            self.evaluate(f.bits, what="bit-field width")
        for case in f.cases:
            self.evaluate(case, what="case label")

    def _enum(self, d: Enum) -> None:
        previous: int | None = -1
        for m in d.members:
            self._attributes(m.attributes)
            if m.expr is not None:
                v = self.evaluate(m.expr, what="enumerator value")
                if v is not None and not isinstance(v, int):
                    self.sink.error(
                        m.expr.span if m.expr.span is not NO_SPAN else m.span,
                        f"value of enumerator '{m.name}' is not an integer constant",
                    )
                    v = None
                m.value = v if isinstance(v, int) else None
            else:
                m.value = previous + 1 if previous is not None else None
            previous = m.value
            # an enumerator is visible to the following ones (WinRT: inside its enum only)
            if d.namespace:
                self._local_values[m.name] = m
            else:
                self._register_value(m.name, m)
        self._local_values = {}

    # ------------------------------------------------------------------ types

    def _type(self, t: TypeRef) -> None:
        if isinstance(t, NamedType):
            for arg in t.args:
                self._type(arg)
            if t.name in BUILTIN_TYPE_NAMES or (t.name in self._type_params and not t.args):
                return
            found = self._lookup_type_symbol(t.name)
            if found is None:
                self._unknown(t, "type")
            else:
                self._bind(t, found)
                self._check_type_args(t)
        elif isinstance(t, TaggedType):
            if t.definition is not None:
                self._tagged_definition(t.definition)
            if t.tag:
                sym = self._lookup_tag_symbol(t.keyword, t.tag)
                if sym is not None:
                    self._bind(t, sym)
                else:
                    # `typedef enum E E;` before `enum E {...}`: bound at the end of the run
                    names = self._scoped_names(t.tag) if self._namespace else [t.tag]
                    self._pending_tags.append((t, names))
            elif t.definition is not None:
                t.target = t.definition
        elif isinstance(t, PointerType):
            self._type(t.target)
        elif isinstance(t, ArrayType):
            self._type(t.element)
            if t.size is not None:
                self._array_size(t.size)
        elif isinstance(t, SafeArrayType):
            self._type(t.element)
        elif isinstance(t, FunctionType):
            self._type(t.return_type)
            self._params(t.params)
        elif isinstance(t, BaseType):
            pass

    def _array_size(self, e: Expr) -> None:
        # a fixed dimension must be constant; names of fields/params are for size_is
        size = self.evaluate(e, what="array dimension")
        if isinstance(size, int) and size < 0:
            self.sink.error(e.span, f"array dimension is negative ({size})")

    def _scoped_names(self, name: str) -> list[str]:
        """Where *name* may be declared, innermost first: inside namespace ``A.B``
        the name ``X`` is looked up as ``A.B.X``, ``A.X``, then ``X`` (MIDL 3;
        widl tries the current namespace and the global one)."""
        out: list[str] = []
        ns = self._namespace
        while ns:
            out.append(f"{ns}.{name}")
            ns = ns.rpartition(".")[0]
        out.append(name)
        return out

    def _check_type_args(self, t: NamedType) -> None:
        """A parameterised interface or delegate is used with as many type arguments as it
        has parameters; anything else with none."""
        target = t.target
        params = target.type_params if isinstance(target, Interface | Delegate) else []
        if t.args and not params:
            self.sink.error(
                t.span,
                f"{describe(target)} '{t.name}' is not parameterised but is given "
                f"{_plural(len(t.args), 'type argument')}",
            )
        elif params and not t.args:
            self.sink.error(
                t.span,
                f"parameterised {describe(target)} '{t.name}' is used without type arguments "
                f"(it takes {_plural(len(params), 'type argument')}: <{', '.join(params)}>)",
            )
        elif params and len(params) != len(t.args):
            self.sink.error(
                t.span,
                f"parameterised {describe(target)} '{t.name}' takes "
                f"{_plural(len(params), 'type argument')}, {len(t.args)} given",
            )

    def _lookup_type_symbol(self, name: str) -> Symbol | None:
        candidates = self._scoped_names(name) if self._namespace else (name,)
        for candidate in candidates:
            sym = self.table.types.get(candidate)
            if sym is not None:
                decl = sym.definition if sym.definition is not None else sym.first
                if isinstance(decl, Typedef) and decl.file != self._unit.path:
                    unit = self._unit
                    if unit is not self._unit_of_types:
                        self._unit_of_types = unit
                        state = self._files.get(id(unit))
                        if state is None:
                            state = self._files[id(unit)] = _FileState()
                        if state.typedef_names is None:
                            state.typedef_names = typedef_names(unit)
                        self._unit_typedefs = state.typedef_names
                    if candidate in self._unit_typedefs and self._declare_own_typedef(candidate):
                        return self._main_table.types.get(candidate) or sym
                return sym
        for candidate in candidates:
            if self._forward("types", candidate):
                sym = self._main_table.types.get(candidate)
                if sym is not None:
                    return sym
        # the type library of `importlib` last: only where nothing else declares the name
        for candidate in candidates:
            sym = self.fallback.types.get(candidate)
            if sym is not None:
                return sym
        return None

    def _lookup_tag_symbol(self, keyword: str, tag: str) -> Symbol | None:
        candidates = self._scoped_names(tag) if self._namespace else (tag,)
        for candidate in candidates:
            sym = self.table.tags.get((keyword, candidate))
            if sym is not None:
                return sym
        for candidate in candidates:
            key = (keyword, candidate)
            if self._forward("tags", key):
                sym = self._main_table.tags.get(key)
                if sym is not None:
                    return sym
        for candidate in candidates:
            sym = self.fallback.tags.get((keyword, candidate))
            if sym is not None:
                return sym
        return None

    def _declare_own_typedef(self, name: str) -> bool:
        """A file's own typedef of *name* shadows an imported one in the whole file, also
        where it is used before it (as in definition order): declare it now if it is
        further on; True when it was."""
        for entry in self._index(self._unit).types.get(name, ()):
            statement = id(entry.statement)
            if isinstance(entry.decl, Typedef) and statement not in self._done:
                return self._declare_entry(entry, "types")
        return False

    def _declare_ahead_definition(self, name: str) -> None:
        """Declare the first definition of the type *name* further on, if there is one."""
        for candidate in self._scoped_names(name) if self._namespace else (name,):
            if self._forward("types", candidate, definition=True):
                return

    # ------------------------------------------------------------------ forward references

    def _index(self, f: IdlFile) -> FileIndex:
        """What *f* declares (built once per file)."""
        state = self._files.get(id(f))
        if state is None:
            state = self._files[id(f)] = _FileState()
        index = state.index
        if index is None:
            shared = self.shared_index(f) if self.shared_index is not None else None
            index = state.index = shared if shared is not None else index_file(f)
        return index

    def _forward(self, space: str, key: str | tuple[str, str], *, definition: bool = False) -> bool:
        """Declare *key* of the namespace *space* (``types``, ``tags`` or ``values``) from
        its first declaration further on in the run's files; True when one was declared."""
        memo = (space, key, definition)
        if memo in self._no_forward:
            return False
        if self._run_files is None:
            self._run_files = compilation_files(self._main, self._index)
        for f in self._run_files:
            entries: list[Entry] = getattr(self._index(f), space).get(key, ())
            for entry in entries:
                statement = id(entry.statement)
                if statement in self._done and statement not in self._active_ids:
                    continue
                if definition and not getattr(entry.decl, "is_defined", True):
                    continue
                if self._declare_entry(entry, space):
                    return True
        self._no_forward.add(memo)
        return False

    def _declare_entry(self, entry: Entry, space: str) -> bool:
        """Declare what *entry* declares, out of order (see the module docstring)."""
        self._out_of_order = True
        f = entry.file
        if id(f) not in self._visited:
            self._note_borrowed(f)
            self._in_context(entry, lambda: self._walk_file(f, check=False))
            return True
        if id(f) not in self._walking:
            return False  # walked (or replayed) already: its names are all declared
        decl, statement = entry.decl, entry.statement
        if id(statement) in self._active_ids:
            # used inside its own definition, or through a cycle back to it
            if space == "values":
                self._report_value_cycle(entry)
                return False
            return self._declare_only(decl)
        self._note_borrowed(f)
        if isinstance(decl, Typedef | Enum | Const | EnumMember):
            if self._forward_depth >= MAX_FORWARD_NESTING:
                if isinstance(decl, Typedef):
                    return self._declare_only(decl)
                # a long chain of values each used before its definition: resolve the rest
                # of the chain from its far end, so that nesting stays shallow
                self._resolve_values_bottom_up(entry)
                if id(statement) in self._done:
                    return True
                if id(statement) in self._poisoned:
                    return False  # a cycle, reported
                self.sink.error(
                    decl.span,
                    f"'{decl.name}' is used before its definition through more than "
                    f"{MAX_FORWARD_NESTING} nested forward references",
                )
                self._no_forward.add((space, decl.name or "", False))
                return False
            self._in_context(entry, lambda: self._resolve_statement(statement, entry.parent))
            return True
        return self._declare_only(decl)

    def _resolve_values_bottom_up(self, root: Entry) -> None:
        """Resolve *root*'s statement after the statements defining the values it uses
        before their definition, and theirs before them: depth first without recursion,
        each resolved once the ones it needs are (a cycle is left to the evaluation,
        which reports it)."""
        stack: list[tuple[Entry, Iterator[Entry]]] = [(root, self._value_dependencies(root))]
        on_stack = {id(root.statement)}
        while stack:
            entry, dependencies = stack[-1]
            for dep in dependencies:
                key = id(dep.statement)
                if key in self._active_ids:  # the chain comes back: the whole cycle at once
                    self._report_value_cycle(dep, (e.statement for e, _ in stack))
                    return
                if key not in on_stack and key not in self._done:
                    stack.append((dep, self._value_dependencies(dep)))
                    on_stack.add(key)
                    break
            else:
                stack.pop()
                on_stack.discard(id(entry.statement))
                if id(entry.statement) not in self._done:
                    resolve = functools.partial(
                        self._resolve_statement, entry.statement, entry.parent
                    )
                    self._in_context(entry, resolve)

    def _value_dependencies(self, entry: Entry) -> Iterator[Entry]:
        """The statements further on that define values *entry*'s statement uses."""
        for name in sorted(value_names(entry.statement)):
            if self._main_table.lookup_value(name) is not None:
                continue
            for f in self._run_files or ():
                if id(f) not in self._walking:
                    continue
                found = [
                    e
                    for e in self._index(f).values.get(name, ())
                    if id(e.statement) not in self._done or id(e.statement) in self._active_ids
                ]
                if found:
                    yield found[0]
                    break

    def _resolve_ahead(self, decl: Interface) -> None:
        """Resolve the interface *decl*, written further on in a file being walked, now."""
        name = decl.qualified_name or decl.name
        for f in self._run_files or compilation_files(self._main, self._index):
            for entry in self._index(f).types.get(name, ()):
                if entry.decl is decl and id(f) in self._walking:
                    resolve = functools.partial(
                        self._resolve_statement, entry.statement, entry.parent
                    )
                    self._in_context(entry, resolve)
                    return

    def _declare_only(self, decl: Declaration | EnumMember) -> bool:
        """Register the name of *decl*; its body is resolved where the walk meets it."""
        if isinstance(decl, Struct | Union | Enum):
            self._register_tagged(decl, values=False)
            return True
        if isinstance(decl, TYPE_NAMING):
            self._register_type(decl)
            return True
        return False

    def _in_context(self, entry: Entry, action: Callable[[], None]) -> None:
        """Run *action* in the context of *entry*'s statement (its file, library, namespace)."""
        saved = self._context()
        self._set_context(
            (
                self._main_table,
                entry.file is self._main,
                entry.in_library,
                entry.file.path,
                entry.file,
                entry.namespace,
                frozenset(),
                {},
            )
        )
        self._forward_depth += 1
        try:
            action()
        finally:
            self._forward_depth -= 1
            self._set_context(saved)

    def _context(self) -> _Context:
        return (
            self.table,
            self._checking,
            self._in_library,
            self._current_file,
            self._unit,
            self._namespace,
            self._type_params,
            self._local_values,
        )

    def _set_context(self, context: _Context) -> None:
        (
            self.table,
            self._checking,
            self._in_library,
            self._current_file,
            self._unit,
            self._namespace,
            self._type_params,
            self._local_values,
        ) = context

    def _note_borrowed(self, source: IdlFile) -> None:
        """Remember that the file being resolved took a name from *source* ahead of time,
        when *source* is not among the files it imports itself."""
        user = self._current_file
        if not user or source.path == user:
            return
        unit = next((f for f in self._run_files or () if f.path == user), None)
        if unit is None:
            return
        if all(g is not source for g in compilation_files(unit, self._index)):
            self.borrowed.setdefault(user, set()).add(source.path)

    # ------------------------------------------------------------------ cycles

    def _report_cycle(
        self,
        members: list[_M],
        span_of: Callable[[_M], Span],
        message: str,
        note: Callable[[_M], str],
    ) -> None:
        """One error at the first member of a cycle, a note at each of the others."""
        key = frozenset(id(m) for m in members)
        if key in self._reported_cycles:
            return
        self._reported_cycles.add(key)
        notes = [self.sink.note(span_of(m), note(m)) for m in members[1:]]
        self.sink.error(span_of(members[0]), message, *notes)

    def _report_value_cycle(self, entry: Entry, more: Iterable[Declaration] = ()) -> None:
        """A constant or enumerator whose value depends on itself: the statements from
        *entry*'s (being resolved) to the innermost one, then *more*."""
        decl = entry.decl
        i = next(k for k, x in enumerate(self._active) if x is entry.statement)
        members = [*self._active[i:], *more]
        if len(members) == 1 and decl is not entry.statement:
            return  # used before its definition in the same declaration: reported at the use
        self._poisoned.update(id(m) for m in members)
        names = [m.name or describe(m) for m in members]
        chain = cycle_text(names, names[0])
        what = "constant" if isinstance(decl, Const) else "enumerator"
        if len(members) == 1:
            message = f"{what} '{decl.name}' is defined in terms of itself"
        else:
            message = f"{what} '{names[0]}' is defined in terms of itself: {chain}"
        self._report_cycle(
            members,
            lambda m: m.span,
            message,
            lambda m: f"'{m.name or describe(m)}' is defined here",
        )

    def _check_cycles(self) -> None:
        """After a run: typedefs that alias themselves, structs that contain themselves."""
        for chain in alias_cycles(self._typedefs):
            chain = earliest_first(chain, lambda t: t.span)
            names = cycle_text([t.name for t in chain], chain[0].name)
            self._report_cycle(
                chain,
                lambda t: t.span,
                f"typedef '{chain[0].name}' is defined in terms of itself: {names}",
                lambda t: f"'{t.name}' is defined here",
            )
        for path in containment_cycles(self._aggregates):
            self._report_containment(earliest_first(path, lambda step: step[1].span))

    def _report_containment(self, path: list[tuple[Struct | Union, Field]]) -> None:
        """Structs or unions that hold one another by value, through the fields of *path*."""
        first = path[0][0]
        steps = cycle_text([f"{aggregate_name(a)}.{f.name or '?'}" for a, f in path])
        holder = {id(f): a for a, f in path}
        self._report_cycle(
            [f for _, f in path],
            lambda f: f.span,
            f"{describe(first)} '{aggregate_name(first)}' contains itself by value: "
            f"{steps} -> {aggregate_name(first)}",
            lambda f: (
                f"'{f.name or '?'}' of {describe(holder[id(f)])} "
                f"'{aggregate_name(holder[id(f)])}' is held by value here"
            ),
        )

    def _bind(self, ref: NamedType | TaggedType, sym: Symbol) -> None:
        target = sym.decl
        if isinstance(target, Declaration):
            ref.target = target
            if not is_defined(target):
                self._forward_refs.append((ref, sym))

    def _unknown(self, t: NamedType, what: str) -> None:
        notes = []
        close = self._suggestion(t.name)
        if close is not None:
            declared = self._declared_type(close)
            if declared is not None:
                hint = f"did you mean '{close}' (declared here)?"
                notes.append(self.sink.note(_span_of(declared), hint))
        self.sink.error(t.span, f"unknown {what} '{t.name}'", *notes)

    def _suggestion(self, name: str) -> str | None:
        """A type name declared in the run (so far or further on) close to *name* (only for
        the first few unknown names)."""
        if name in self._suggestions:
            return self._suggestions[name]
        close: str | None = None
        if len(self._suggestions) < 20:
            candidates = set(self.table.types) | set(self.fallback.types)
            if self._run_files is None:
                self._run_files = compilation_files(self._main, self._index)
            for f in self._run_files:
                candidates.update(self._index(f).types)
            matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.8)
            close = matches[0] if matches else None
        self._suggestions[name] = close
        return close

    def _declared_type(self, name: str) -> Declaration | EnumMember | None:
        """Where the type *name* is declared (so far, or further on), without declaring it."""
        sym = self.table.types.get(name) or self.fallback.types.get(name)
        if sym is not None:
            return sym.decl
        for f in self._run_files or ():
            entries = self._index(f).types.get(name)
            if entries:
                return entries[0].decl
        return None

    # ------------------------------------------------------------------ attributes

    def _attributes(self, attrs: list[Attribute]) -> None:
        for a in attrs:
            if a.name == "contract" and a.args and isinstance(a.args[0], NameExpr):
                self._contract(a.args[0])
            for arg in a.args:
                if isinstance(arg, TypeRef):
                    self._type(arg)
                elif isinstance(arg, Expr):
                    self._expr_types(arg)
                    if a.name in _EVALUATED_ATTRIBUTES:
                        self.evaluate(arg, what=f"argument of [{a.name}]")

    def _contract(self, e: NameExpr) -> None:
        """``[contract(Name, version)]``: Name must be an apicontract (as in widl)."""
        found = self._lookup_type_symbol(e.name)
        if found is None:
            self._unknown(NamedType(e.name, span=e.span), "apicontract")
            return
        target = found.decl
        if isinstance(target, Declaration) and not isinstance(target, ApiContract):
            self.sink.error(
                e.span,
                f"'{e.name}' in [contract] is not an apicontract: it is {_a(describe(target))}",
            )

    def _expr_types(self, e: Expr) -> None:
        """Bind the types named inside an expression (casts, sizeof)."""
        if isinstance(e, CastExpr):
            self._type(e.type)
            self._expr_types(e.operand)
        elif isinstance(e, SizeofExpr):
            self._type(e.type)
        elif isinstance(e, UnaryExpr):
            self._expr_types(e.operand)
        elif isinstance(e, BinaryExpr):
            self._expr_types(e.left)
            self._expr_types(e.right)
        elif isinstance(e, ConditionalExpr):
            self._expr_types(e.cond)
            self._expr_types(e.then)
            self._expr_types(e.otherwise)

    def _attr_int(self, node: Method | Field, name: str) -> int | None:
        a = node.get_attr(name)
        if a is None or not a.args or not isinstance(a.args[0], Expr):
            return None
        v = self.evaluate(a.args[0], what=f"argument of [{name}]")
        return v if isinstance(v, int) and not isinstance(v, bool) else None

    # ------------------------------------------------------------------ expressions

    def evaluate(self, e: Expr, *, what: str = "expression", report: bool = True) -> Value | None:
        """Evaluate a constant expression with C semantics.

        Names refer to constants and enumerators declared earlier in the run.
        Returns None (after reporting an error when *report*) when *e* is not
        constant.
        """
        self._bind_expression_types(e)
        try:
            return evaluate_strict(e, self._lookup_value)
        except NotConstant as exc:
            if report and not self._follows_a_cycle(e):
                span = exc.span if exc.span is not NO_SPAN else e.span
                self.sink.error(span, exc.message.format(what=what))
            return None

    def _follows_a_cycle(self, e: Expr) -> bool:
        """Whether *e* failed because of a value cycle already reported: it is part of the
        cycle, or it uses a value that is (or that failed so); then it is too."""
        top = self._active[-1] if self._active else None
        if top is None or not self._poisoned:
            return False
        if id(top) in self._poisoned:
            return True
        for name in expression_names(e):
            used = self.table.lookup_value(name)
            if used is not None and id(used) in self._poisoned:
                self._poisoned.add(id(top))
                return True
        return False

    def _bind_expression_types(self, e: Expr) -> None:
        """Bind the type names used in ``sizeof(T)`` and casts inside *e*."""
        stack: list[Expr] = [e]
        while stack:
            x = stack.pop()
            if isinstance(x, SizeofExpr):
                self._type(x.type)
            elif (
                isinstance(x, BinaryExpr)
                and x.op in ("+", "-")
                and isinstance(x.left, NameExpr)
                and x.left.parenthesized
                and self._lookup_value(x.left.name) is None
            ):
                # `(DWORD) -1`: remember the type, so the cast applies its width
                cast = NamedType(x.left.name, span=x.left.span)
                self._type(cast)
                if cast.target is not None:
                    x.left.cast_type = cast
                stack.append(x.right)
            elif isinstance(x, CastExpr):
                self._type(x.type)
                stack.append(x.operand)
            elif isinstance(x, UnaryExpr):
                stack.append(x.operand)
            elif isinstance(x, BinaryExpr):
                stack.extend((x.left, x.right))
            elif isinstance(x, ConditionalExpr):
                stack.extend((x.cond, x.then, x.otherwise))

    def _lookup_value(self, name: str) -> Const | EnumMember | None:
        local = self._local_values.get(name)
        if local is not None:
            return local
        found = self.table.lookup_value(name)
        if found is None and self._forward("values", name):
            found = self._main_table.lookup_value(name)
        return found or self.fallback.lookup_value(name)

    # ------------------------------------------------------------------ uuids and checks

    def _note_uuid(self, d: Declaration) -> None:
        u = d.uuid
        if u is None or u == NIL_UUID:
            return  # the nil uuid is a placeholder (mingw-w64 uses it "to make widl happy")
        prev = self.table.uuids.get(u)
        if prev is None:
            self.table.uuids[u] = d
            return
        if prev is d or not self._checking or d.span.file != self._current_file:
            return
        same_file = prev.span.file == d.span.file
        note = self.sink.note(prev.span, f"'{prev.name}' declared here with the same uuid")
        message = f"uuid {u} of {describe(d)} '{d.name}' is already used by '{prev.name}'"
        if same_file:
            self.sink.error(d.span, message, note)
        else:
            self.sink.warning(d.span, message, note)

    def _check_interface(self, d: Interface) -> None:
        if d.has_attr("object") and d.uuid is None and not d.has_attr("local"):
            # MIDL rejects this; widl (the reference) accepts it, so it is a warning
            self.sink.warning(d.span, f"object interface '{d.name}' has no uuid attribute")
        remoted = not self._in_library and not d.has_attr("local")
        for m in d.methods:
            self._check_method(m, remoted=remoted and not m.has_attr("local"))

    def _check_dispinterface(self, d: DispInterface) -> None:
        for m in d.methods:
            self._check_method(m, remoted=False)

    def _check_method(self, m: Method, *, remoted: bool) -> None:
        """Check a method's parameters.

        Where the method is remoted (outside a library, not ``local``) the
        problems are errors, as in widl; elsewhere (type library or local
        interfaces, which widl does not check) they are warnings.
        """
        report = self.sink.error if remoted else self.sink.warning
        n = len(m.params)
        for i, p in enumerate(m.params):
            pname = p.name or f"#{i + 1}"
            if p.is_retval:
                if not p.has_attr("out"):
                    report(
                        p.span,
                        f"[retval] parameter '{pname}' of method '{m.name}' must be [out]",
                    )
                elif i != n - 1:
                    report(
                        p.span,
                        f"[retval] parameter '{pname}' must be the last parameter "
                        f"of method '{m.name}'",
                    )
            if p.has_attr("out"):
                problem = _out_problem(p.type)
                if problem:
                    report(p.span, f"[out] parameter '{pname}' of method '{m.name}' {problem}")
        kind = m.kind
        if kind in ("propput", "propputref") and n == 0:
            self.sink.error(
                m.span, f"[{kind}] method '{m.name}' has no parameter for the value to set"
            )


# --------------------------------------------------------------------------- helpers


_M = TypeVar("_M", Interface, Declaration, Typedef, Field)


def _own_slots(d: Interface) -> int:
    """The vtable slots *d* adds to its base's (a ``[call_as]`` wire form has none)."""
    return sum(1 for m in d.methods if not m.has_attr("call_as"))


def _copy_param(p: Param, *, exclude: tuple[str, ...]) -> Param:
    attrs = [a for a in p.attributes if a.name not in exclude]
    return Param(p.name, p.type, attributes=attrs, span=p.span)


def _a(noun: str) -> str:
    """*noun* with its indefinite article."""
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _decl_file(d: Declaration) -> str:
    """The file (import unit) a declaration was parsed from: ``#include``d headers count
    as part of the file that includes them, as in widl."""
    return d.file or d.span.file


def _span_of(d: Declaration | EnumMember) -> Span:
    return d.span


def _is_interface_type(t: TypeRef) -> bool:
    t = real_type(t)
    return isinstance(t, NamedType) and isinstance(t.target, Interface | DispInterface)


def _out_problem(t: TypeRef) -> str | None:
    """Why an ``[out]`` parameter of type *t* cannot return a value (None when it can)."""
    r = real_type(t)
    if isinstance(r, PointerType):
        if _is_interface_type(r.target):
            return "is not a double pointer (an [out] interface pointer needs '**')"
        return None
    if isinstance(r, ArrayType | SafeArrayType):
        return None if isinstance(r, ArrayType) else "is not a pointer"
    if isinstance(r, NamedType) and r.target is None:
        return None  # unknown type: already reported
    if isinstance(r, NamedType) and isinstance(r.target, Interface | DispInterface):
        return "is not a pointer"
    if isinstance(r, BaseType) and r.name == "handle_t":
        return None
    return "is not a pointer"
