"""The ``abi`` emit kind: ``<package>/abi.py``, ctypes layouts of the IDL's data types.

:func:`render_abi` is the emitter (registered by :func:`register` as the emit kind ``abi``,
see :data:`idlgen.api.OWN_EMITTERS`).  :class:`AbiModule` makes every decision — what the
module defines, what it imports, the Python names, the order of statements — from the
layouts of :mod:`idlgen.backends.abi.layout`; the template ``templates/abi/abi.py.jinja``
only lays the pieces out.  ``docs/generated-code.md`` documents the module.

What one ``abi.py`` defines: every struct, union, enum and typedef its IDL file declares, and
the types those reach (fields, pointers, method parameters) that come from imported files —
defined in the same module when the imported file has no package of its own in the run,
else imported from that package's ``abi`` module (``--with-imports``).
"""

from __future__ import annotations

import json
import keyword
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

import jinja2

from idlgen.backends.common.emitters import register_emitter
from idlgen.backends.common.idl import defined_declarations
from idlgen.backends.common.naming import NameSpace, is_identifier
from idlgen.backends.common.templates import load_template
from idlgen.frontend import Program
from idlgen.frontend.evaluate import ValueLookup
from idlgen.model import (
    Declaration,
    Enum,
    IdlFile,
    Interface,
    Module,
    Struct,
    Typedef,
    TypeRef,
    Union,
)
from idlgen.version import __version__

from . import vtables
from .cview import stand_ins
from .layout import (
    Alias,
    Array,
    BitUnit,
    CType,
    EnumType,
    LayoutEngine,
    LayoutError,
    Member,
    Opaque,
    Pointer,
    Record,
    Scalar,
    describe,
    real_type,
)

#: Module-level names an ``abi`` module keeps for itself.
RESERVED_NAMES = frozenset({"ctypes", "annotations", "__all__", "__doc__", "__name__"})

#: Attribute names of ctypes classes that a field must not shadow.
RESERVED_FIELD_NAMES = frozenset(
    {
        "_fields_",
        "_pack_",
        "_align_",
        "_anonymous_",
        "_layout_",
        "_b_base_",
        "_b_needsfree_",
        "_objects",
        "from_address",
        "from_buffer",
        "from_buffer_copy",
        "from_param",
        "in_dll",
        "mro",
    }
)


# --------------------------------------------------------------------------- views


@dataclass
class FieldView:
    """One entry of ``_fields_``: ``(name, type)`` or ``(name, type, bits)``."""

    name: str
    type: str
    bits: int | None = None

    @property
    def source(self) -> str:
        """The tuple as Python source."""
        if self.bits is None:
            return f"({literal(self.name)}, {self.type})"
        return f"({literal(self.name)}, {self.type}, {self.bits})"


@dataclass
class RecordView:
    """A ctypes class: the class statement, and the ``_fields_`` assigned after it."""

    name: str
    base: str  # "Structure" | "Union"
    doc: str
    pack: int | None
    anonymous: list[str]
    fields: list[FieldView]


@dataclass
class Statement:
    """A statement after the class statements: an alias or a class's ``_fields_``."""

    alias: tuple[str, str, str | None] | None = None  # (name, expression, comment)
    record: RecordView | None = None


@dataclass
class ModuleView:
    """What the template renders."""

    header: str
    doc: str
    imports: list[tuple[str, list[tuple[str, str]]]]  # (module, [(name, as name)])
    aliases: list[tuple[str, str, str | None]]
    units: list[RecordView]
    records: list[RecordView]
    statements: list[Statement]
    skipped: list[str]
    all_names: list[str]


# --------------------------------------------------------------------------- the module


class AbiModule:
    """Decides the ``abi`` module of one IDL file.

    *packages* maps the path of every IDL file that gets a package in the run to that
    package: declarations of those files (other than *file*) are imported from their
    ``abi`` module; those of other files are defined here.  :meth:`python_name` gives the
    Python name of a type (what :mod:`idlgen.backends.abi.vtables` refers to).
    """

    def __init__(
        self,
        file: IdlFile,
        engine: LayoutEngine,
        packages: Mapping[str, str],
        program: Program | None = None,
    ) -> None:
        self.file = file
        self.engine = engine
        self.packages = packages
        self.program = program
        self.names = NameSpace(RESERVED_NAMES)
        self.local_names: dict[int, str] = {}  # id(Record | Alias | EnumType) -> name
        #: the Python name of the tag of a struct, union or enum whose typedef names it
        #: (``tagX = X``), when that name is free
        self.tag_names: dict[int, str] = {}
        self.external: dict[int, tuple[str, str]] = {}  # id(...) -> (module, name there)
        self.items: list[Record | Alias | EnumType] = []  # what is defined here, in order
        self.skipped: list[str] = []
        self._seen: set[int] = set()
        self._sibling_names: dict[str, dict[int, str]] = {}
        self._imported: dict[tuple[str, str], str] = {}  # (module, name there) -> name here
        self._stand_ins: dict[str, set[int]] = {}
        self._collect()

    # ------------------------------------------------------------------ what is defined

    def _owner(self, decl: Declaration) -> str | None:
        """The package whose ``abi`` module defines *decl*, None for this one."""
        if decl.file == self.file.path or decl.file not in self.packages:
            return None
        return self.packages[decl.file]

    def _roots(self) -> Iterator[tuple[Declaration | None, CType | None]]:
        """The file's own declarations with their types (None: not laid out), in source
        order; then the types of its interface methods and module functions (no
        declaration of their own: None)."""
        signatures: list[CType] = []
        for d in defined_declarations(self.file):
            if isinstance(d, Struct | Union | Typedef):
                if isinstance(d, Typedef) or d.is_defined:
                    yield d, self._lay_out(d)
            elif isinstance(d, Enum) and (d.typedef_name or d.name):
                yield d, self.engine.enum(d)
            elif isinstance(d, Interface | Module):
                for ref in _signature_types(d):
                    try:
                        signatures.append(self.engine.ctype(ref))
                    except LayoutError:
                        continue  # not a data type (a method's own problem, not ours)
        for t in signatures:
            yield None, t

    def _lay_out(self, decl: Struct | Union | Typedef) -> CType | None:
        """The record or alias of *decl*; None (and a note in the module) when it fails."""
        try:
            if isinstance(decl, Typedef):
                return self.engine.alias(decl)
            return self.engine.record(decl)
        except LayoutError as exc:
            where = f"{os.path.basename(exc.span.file or decl.file)}:{exc.span.line}"
            what = f"typedef {decl.name}" if isinstance(decl, Typedef) else describe(decl)
            self.skipped.append(
                "# " + comment_text(f"{what}: not laid out ({where}: {exc.message})")
            )
            return None

    def _collect(self) -> None:
        own = list(self._roots())
        # names first: the file's own declarations claim their IDL names in source order
        mine = [t for decl, t in own if t is not None and _decl_of_type(t) is decl]
        for t in mine:
            self._claim(t)
        for t in mine:
            self._claim_tag(t)
        for _decl, reached in own:
            if reached is not None:
                self._reach(reached)

    def _claim(self, t: CType) -> None:
        """Give a type defined here its IDL name (the first claim of a name wins it)."""
        if id(t) in self.local_names:
            return
        name = _idl_name(t)
        if name is None or not is_identifier(name):
            return
        if isinstance(t, Alias) and _alias_is_record_name(t):
            return
        self.local_names[id(t)] = self.names.add(name)

    def _claim_tag(self, t: CType) -> None:
        """Give the tag of a typedef'd struct, union or enum its name too, if it is free."""
        if not isinstance(t, Record | EnumType) or id(t) in self.tag_names:
            return
        tag, typedef = t.decl.name, t.decl.typedef_name
        if tag is None or typedef is None or tag == typedef or not is_identifier(tag):
            return
        claimed = self.names.add(tag)
        if claimed == tag:
            self.tag_names[id(t)] = tag
        else:
            self.names.taken.discard(claimed)

    def _reach(self, t: CType) -> None:
        """Define *t* here (or import it) and everything it needs."""
        if isinstance(t, Scalar | Opaque):
            return
        if isinstance(t, Pointer):
            self._reach(t.target)
            return
        if isinstance(t, Array):
            self._reach(t.element)
            return
        if id(t) in self._seen:
            return
        self._seen.add(id(t))
        decl = _decl_of(t)
        owner = self._owner(decl)
        if owner is not None and not (isinstance(t, Record) and t.parent is not None):
            sibling = self._sibling(owner, decl.file).get(id(t))
            if sibling is not None:
                self.external[id(t)] = (f"{owner}.abi", sibling)
                return
        if isinstance(t, Alias):
            self._reach(t.target)
            if isinstance(real_type(t), Opaque):
                return  # `typedef void VOID`, function types: nothing to bind
            self._claim(t)
            self.items.append(t)
        elif isinstance(t, EnumType):
            self._claim(t)
            self._claim_tag(t)
            self.items.append(t)
        else:
            if t.parent is None:
                self._claim(t)
                self._claim_tag(t)
            self.items.append(t)
            inner = list(t.nested())
            self._seen.update(id(r) for r in inner)
            for r in (t, *inner):
                for m in r.members:
                    if isinstance(m, Member):
                        self._reach(m.type)

    def _sibling(self, package: str, path: str) -> dict[int, str]:
        """The names the ``abi`` module of another file gives that file's own types."""
        found = self._sibling_names.get(package)
        if found is None:
            target = self._file(path)
            found = {}
            if target is not None:
                other = AbiModule(target, self.engine, {})
                found = {k: v for k, v in other.local_names.items() if k in other._own_ids()}
            self._sibling_names[package] = found
        return found

    def _own_ids(self) -> set[int]:
        return {id(t) for t in self.items if _decl_of(t).file == self.file.path}

    def is_stand_in(self, t: Record | Alias | EnumType) -> bool:
        """Whether widl's C header hides the declaration (``cpp_quote("#if 0")``): C code
        sees another definition, which idlgen does not know."""
        path = t.decl.file
        found = self._stand_ins.get(path)
        if found is None:
            f = self.file if path == self.file.path else self._file(path)
            found = self._stand_ins[path] = stand_ins(f) if f is not None else set()
        return id(t.decl) in found

    def stand_ins_inside(self, r: Record) -> list[str]:
        """The IDL stand-ins (see :meth:`is_stand_in`) of *r*'s own file that *r* holds by
        value, by IDL name: its layout in C may differ where theirs does.  (The system IDL's
        stand-ins for windows.h's types, ``DWORD``, ``HWND``, ``POINT`` ..., are faithful.)"""
        found: list[str] = []
        seen: set[int] = set()

        def visit(t: CType) -> None:
            while isinstance(t, Array):
                t = t.element
            if not isinstance(t, Record | Alias | EnumType) or id(t) in seen:
                return
            seen.add(id(t))
            if t is not r and t.decl.file == r.decl.file and self.is_stand_in(t):
                found.append(_idl_name(t) or "?")
                return
            if isinstance(t, Alias):
                visit(t.target)
            elif isinstance(t, Record):
                for m in t.members:
                    if isinstance(m, Member):
                        visit(m.type)

        visit(r)
        return found

    def _file(self, path: str) -> IdlFile | None:
        if self.program is None:
            return None
        for f in (*self.program.files, *self.program.imports):
            if f.path == path:
                return f
        return None

    # ------------------------------------------------------------------ names

    def record_name(self, r: Record) -> str:
        """The class name of a record defined here (nested records: parent name + member)."""
        name = self.local_names.get(id(r))
        if name is not None:
            return name
        if r.parent is not None:
            parent = self.record_name(r.parent)
            suffix = "arms" if r.part == "arms" else self._member_label(r)
            name = self.names.add(f"{parent}_{suffix}")
        else:
            name = self.names.add(f"_{r.kind}_{len(self.local_names)}")
        self.local_names[id(r)] = name
        return name

    @staticmethod
    def _member_label(r: Record) -> str:
        assert r.parent is not None
        for index, m in enumerate(r.parent.members):
            if isinstance(m, Member) and _records_in(m.type) is r:
                if m.name is None or not is_identifier(m.name):
                    return str(index)
                return m.name.lstrip("_") or str(index)
        return "0"

    def python_name(self, t: CType) -> str:
        """The Python expression of a type in this module (``UINT``, ``ctypes.c_int32``,
        ``ctypes.POINTER(D3D12_BOX)``, ``ctypes.c_float * 4``)."""
        if isinstance(t, Scalar):
            return f"ctypes.{t.ctype}"
        if isinstance(t, Pointer):
            if t.is_void:
                return "ctypes.c_void_p"
            return f"ctypes.POINTER({self.python_name(t.target)})"
        if isinstance(t, Array):
            inner = self.python_name(t.element)
            if isinstance(t.element, Array):
                inner = f"({inner})"
            return f"{inner} * {t.count}"
        if isinstance(t, Opaque):
            return "ctypes.c_void_p"
        external = self.external.get(id(t))
        if external is not None:
            return self._import_name(*external)
        if isinstance(t, Record):
            return self.record_name(t)
        name = self.local_names.get(id(t))
        if name is not None:
            return name
        if isinstance(t, EnumType):
            return f"ctypes.{t.scalar.ctype}"
        return self.python_name(t.target)

    def _import_name(self, module: str, name: str) -> str:
        key = (module, name)
        found = self._imported.get(key)
        if found is None:
            found = self._imported[key] = self.names.add(name)
        return found

    # ------------------------------------------------------------------ the view

    @staticmethod
    def field_names(r: Record) -> dict[int, str]:
        """The ``_fields_`` name of each member of *r* (keyed by ``id(member)``) and of
        each bit-field (keyed by ``id(bitfield)``): the C name, with ``_`` appended to a
        Python keyword or a name ctypes classes use (``from_buffer`` ...); members without
        a name (anonymous members, bit-field units) get ``_anonN`` / ``_bitsN``."""
        taken: set[str] = set()

        def claim(name: str) -> str:
            while keyword.iskeyword(name) or name in RESERVED_FIELD_NAMES or name in taken:
                name += "_"
            taken.add(name)
            return name

        out: dict[int, str] = {}
        for m in r.members:
            if isinstance(m, Member) and m.name is not None and is_identifier(m.name):
                out[id(m)] = claim(m.name)
            elif isinstance(m, BitUnit):
                for b in m.bits:
                    if b.name is not None and is_identifier(b.name):
                        out[id(b)] = claim(b.name)
        for index, m in enumerate(r.members):
            if id(m) not in out:
                out[id(m)] = claim(f"_{'bits' if isinstance(m, BitUnit) else 'anon'}{index}")
            if isinstance(m, BitUnit):
                for j, b in enumerate(m.bits):
                    if id(b) not in out:
                        out[id(b)] = claim(f"_pad{index}_{j}")
        return out

    def view(self, source: str) -> ModuleView:
        """The module view (names, order) to render."""
        records: list[Record] = []
        for t in self.items:
            if isinstance(t, Record):
                records.append(t)
                records.extend(t.nested())
        units: dict[int, tuple[Record, BitUnit, str]] = {}
        record_views: dict[int, RecordView] = {}
        unit_views: list[RecordView] = []
        for r in records:
            record_views[id(r)] = self._record_view(r, units, unit_views)
        statements = self._order(records, record_views)
        aliases = [s.alias for s in statements[0] if s.alias is not None]
        imports: dict[str, list[tuple[str, str]]] = {}
        for (module, name), as_name in sorted(self._imported.items()):
            imports.setdefault(module, []).append((name, as_name))
        defined = [
            *(v.name for v in record_views.values()),
            *(v.name for v in unit_views),
            *(a[0] for s in (*statements[0], *statements[1]) if (a := s.alias) is not None),
        ]
        return ModuleView(
            header=f"# Generated by idlgen {__version__} from {comment_text(source)}. "
            "Do not edit.\n",
            doc=f'"""ctypes layouts (Windows x64) of the data types of {_doc_text(source)}."""',
            imports=sorted(imports.items()),
            aliases=aliases,
            units=unit_views,
            records=[record_views[id(r)] for r in records],
            statements=statements[1],
            skipped=self.skipped,
            all_names=sorted(set(defined)),
        )

    def _record_view(
        self,
        r: Record,
        units: dict[int, tuple[Record, BitUnit, str]],
        unit_views: list[RecordView],
    ) -> RecordView:
        name = self.record_name(r)
        names = self.field_names(r)
        fields: list[FieldView] = []
        anonymous: list[str] = []
        for m in r.members:
            fname = names[id(m)]
            if isinstance(m, BitUnit):
                unit_name = self.names.add(f"_{name}_{fname.lstrip('_')}")
                bits = [
                    FieldView(names[id(b)], f"ctypes.{b.type.bitfield_ctype}", b.width)
                    for b in m.bits
                ]
                unit_views.append(
                    RecordView(
                        unit_name,
                        "Structure",
                        f'"""A bit-field storage unit of {_doc_text(name)} ({_bytes(m.size)})."""',
                        None,
                        [],
                        bits,
                    )
                )
                units[id(m)] = (r, m, unit_name)
                fields.append(FieldView(fname, unit_name))
                anonymous.append(fname)
                continue
            fields.append(FieldView(fname, self.python_name(m.type)))
            if m.anonymous and isinstance(m.type, Record):
                anonymous.append(fname)
        return RecordView(
            name,
            "Union" if r.kind == "union" else "Structure",
            self._doc(r),
            r.pack,
            anonymous,
            fields,
        )

    def _doc(self, r: Record) -> str:
        where = f"{os.path.basename(r.decl.file or r.span.file)}:{r.span.line}"
        if r.part == "arms":
            text = f"The arms of {describe(r.decl)} ({where})."
        elif r.parent is not None:
            keyword = "struct" if r.kind == "struct" else "union"
            text = f"A {keyword} nested in {self.record_name(r.parent)} ({where})."
        else:
            text = f"{describe(r.decl)} ({where})."
            if isinstance(r.decl, Union) and r.decl.switch_type is not None:
                text = f"{describe(r.decl)}, encapsulated: discriminant and arms ({where})."
            if self.is_stand_in(r):
                text += (
                    "\n\nThe IDL's stand-in: widl's C header hides it in cpp_quote(\"#if 0\"), "
                    "C code uses another definition (from another C header)."
                )
            else:
                inside = self.stand_ins_inside(r)
                if inside:
                    text += (
                        f"\n\nHolds IDL stand-ins ({', '.join(inside)}): widl's C header hides "
                        'their IDL definitions in cpp_quote("#if 0"), C code uses other ones; '
                        "the C layout may differ."
                    )
        return f'"""{_doc_text(text)}"""'

    def _order(
        self, records: list[Record], views: dict[int, RecordView]
    ) -> tuple[list[Statement], list[Statement]]:
        """(aliases that need no class, then everything else in dependency order)."""
        early: list[Statement] = []
        late: list[Statement] = []
        done: set[int] = set()
        busy: set[int] = set()
        record_ids = {id(r) for r in records}

        def needs_class(t: CType) -> bool:
            if isinstance(t, Record):
                return id(t) in record_ids
            if isinstance(t, Pointer):
                return not t.is_void and needs_class(t.target)
            if isinstance(t, Array):
                return needs_class(t.element)
            if isinstance(t, Alias):
                return id(t) not in self.external and needs_class(t.target)
            return False

        def require(t: CType, complete: bool) -> None:
            if id(t) in self.external:
                return
            if isinstance(t, Record):
                if complete and id(t) in record_ids:
                    define_fields(t)
            elif isinstance(t, Pointer):
                if not t.is_void:
                    require(t.target, False)
            elif isinstance(t, Array):
                require(t.element, True)
            elif isinstance(t, Alias):
                if id(t) in self.local_names:
                    define_alias(t)
                require(t.target, complete)
            elif isinstance(t, EnumType) and id(t) in self.local_names:
                define_alias(t)

        def define_alias(t: Alias | EnumType) -> None:
            if id(t) in done or id(t) in busy:
                return
            busy.add(id(t))
            target: CType = t.scalar if isinstance(t, EnumType) else t.target
            require(target, False)
            busy.discard(id(t))
            done.add(id(t))
            name = self.local_names[id(t)]
            statement = Statement(alias=(name, self.python_name(target), _alias_comment(t)))
            section = late if needs_class(target) else early
            section.append(statement)
            tag = self.tag_names.get(id(t))
            if tag is not None:
                section.append(Statement(alias=(tag, name, None)))

        def define_fields(r: Record) -> None:
            if id(r) in done or id(r) in busy:
                return
            busy.add(id(r))
            for m in r.members:
                if isinstance(m, Member):
                    require(m.type, True)
            busy.discard(id(r))
            done.add(id(r))
            late.append(Statement(record=views[id(r)]))
            tag = self.tag_names.get(id(r))
            if tag is not None:
                late.append(Statement(alias=(tag, views[id(r)].name, None)))

        for t in self.items:
            if isinstance(t, Record):
                for inner in reversed(list(t.nested())):
                    define_fields(inner)
                define_fields(t)
            elif id(t) in self.local_names:
                define_alias(t)
        return early, late


# --------------------------------------------------------------------------- helpers


def _signature_types(d: Interface | Module) -> Iterator[TypeRef]:
    for member in d.body:
        params = getattr(member, "params", None)
        if params is None:
            continue
        ret = getattr(member, "return_type", None)
        if ret is not None:
            yield ret
        for p in params:
            yield p.type


def _decl_of(t: Record | Alias | EnumType) -> Declaration:
    return t.decl


def _decl_of_type(t: CType) -> Declaration | None:
    return t.decl if isinstance(t, Record | Alias | EnumType) else None


def _idl_name(t: CType) -> str | None:
    if isinstance(t, Alias):
        return t.name
    if isinstance(t, EnumType | Record):
        return t.decl.typedef_name or t.decl.name
    return None


def _alias_is_record_name(t: Alias) -> bool:
    """``typedef struct X {...} X``-like: the typedef names its own definition."""
    target = t.target
    return (
        isinstance(target, Record | EnumType)
        and (target.decl.typedef_name or target.decl.name) == t.name
    )


def _records_in(t: CType) -> Record | None:
    while isinstance(t, Array):
        t = t.element
    return t if isinstance(t, Record) else None


def _alias_comment(t: Alias | EnumType) -> str | None:
    if isinstance(t, EnumType):
        return "# " + comment_text(f"enum {t.decl.typedef_name or t.decl.name}")
    real = real_type(t.target)
    if isinstance(real, Pointer) and isinstance(real_type(real.target), Opaque):
        what = real_type(real.target)
        assert isinstance(what, Opaque)
        return "# " + comment_text(f"pointer to {what.what}")
    return None


def _bytes(n: int) -> str:
    return f"{n} byte" if n == 1 else f"{n} bytes"


def literal(text: str) -> str:
    """A Python string literal of *text* (JSON's escapes are Python's)."""
    return json.dumps(text)


def comment_text(text: str) -> str:
    """*text* for a ``#`` comment: one line, escaped like a string literal."""
    return json.dumps(text)[1:-1]


def _doc_text(text: str) -> str:
    """*text* for the inside of a ``\"\"\"`` docstring: each line escaped like a string
    literal (so no quote, backslash or control character is left bare)."""
    return "\n".join(json.dumps(line)[1:-1] for line in text.split("\n"))


# --------------------------------------------------------------------------- rendering


def _lookup(program: Program, f: IdlFile) -> ValueLookup | None:
    symbols = program.symbols.get(f.path) or next(iter(program.symbols.values()), None)
    return symbols.lookup_value if symbols is not None else None


def abi_module(program: Program, package: str, packages: Mapping[str, str]) -> AbiModule | None:
    """The :class:`AbiModule` of the file of *program* whose package is *package* (see
    :func:`render_abi`); None when there is no such file."""
    path = next((p for p, name in packages.items() if name == package), None)
    files = [*program.files, *program.imports]
    f = next((x for x in files if x.path == path), program.files[0] if program.files else None)
    if f is None:
        return None
    return AbiModule(f, LayoutEngine(_lookup(program, f)), packages, program)


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: load_template(f"abi/{name}")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["lit"] = literal
    return env


def render_module(module: AbiModule) -> str:
    """The source of the module (not formatted)."""
    view = module.view(os.path.basename(module.file.path))
    return _environment().get_template("abi.py.jinja").render(module=view)


def render_abi(program: Program, package: str, packages: Mapping[str, str]) -> dict[str, str]:
    """The ``abi`` emitter: ``{"<package>/abi.py": text}`` for the file of *program* whose
    package is *package* (nothing when the file declares no data type).  *packages* maps the
    path of every IDL file with a package in the run to it (see
    :func:`idlgen.backends.common.emitters.register_emitter`)."""
    module = abi_module(program, package, packages)
    if module is None or (not module.items and not module.skipped):
        return {}
    return {f"{package.replace('.', '/')}/abi.py": render_module(module)}


def _render_main(program: Program, package: str) -> dict[str, str]:
    """``render_abi`` for the main file alone (no sibling packages)."""
    main = program.files[0].path if program.files else ""
    return render_abi(program, package, {main: package})


def _render_main_all(program: Program, package: str) -> dict[str, str]:
    """``abi.py`` and ``vtables.py`` for the main file alone."""
    return {**_render_main(program, package), **vtables.render_main_vtables(program, package)}


def _render_all(program: Program, package: str, packages: Mapping[str, str]) -> dict[str, str]:
    """``abi.py`` and ``vtables.py`` for the file whose package is *package*."""
    return {
        **render_abi(program, package, packages),
        **vtables.render_file_vtables(program, package, packages),
    }


def register() -> None:
    """Register the ``abi`` emit kind (see :mod:`idlgen.backends.common.emitters`): the ctypes
    layouts (``abi.py``) and the vtable descriptions (``vtables.py``, :mod:`.vtables`)."""
    register_emitter("abi", _render_main_all, every_file=_render_all)


__all__ = [
    "AbiModule",
    "ModuleView",
    "RecordView",
    "abi_module",
    "register",
    "render_abi",
    "render_module",
]
