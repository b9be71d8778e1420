"""Generate a typed Python package from a resolved :class:`~idlgen.frontend.Program`.

:func:`render_package` is the API (see ``notes/CONTRACT.md`` and
``docs/generated-code.md``): it builds *view* objects from the model (every
decision — names, annotations, defaults, imports — is made here and in
:mod:`idlgen.pyview`), renders one Jinja2 template per output module and
formats the result with black (:mod:`idlgen.format`).  It writes nothing.

Only declarations of the main files are generated; imported declarations are
referenced through the type map (``IUnknown``/``IDispatch`` come from
:mod:`idlgen.runtime`, other imported interfaces are typed as the nearest of
those two, imported enums as ``int``, imported structs/unions as ``object``).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import jinja2

from idlgen import __version__
from idlgen.diagnostics import NO_SPAN, CompileError, Diagnostic, DiagnosticSink, Severity, Span
from idlgen.dump import defined_declarations, type_spelling
from idlgen.format import LINE_LENGTH, format_python
from idlgen.frontend import Program
from idlgen.model import (
    ArrayType,
    BaseType,
    CoClass,
    Const,
    Declaration,
    DispInterface,
    Enum,
    Expr,
    Field,
    FunctionType,
    IdlFile,
    Interface,
    Library,
    Method,
    NamedType,
    Namespace,
    Param,
    PointerType,
    RuntimeClass,
    SafeArrayType,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
)
from idlgen.pyview import (
    BASE_TYPES,
    CHAR_TYPES,
    NAMED_TYPES,
    RESERVED_MEMBER_NAMES,
    RESERVED_MODULE_NAMES,
    RESERVED_PARAM_NAMES,
    RUNTIME_INTERFACES,
    NameSpace,
    clean_doc,
    docstring,
    enum_member_name,
    hex_literal,
    hresult_value,
    is_flag_enum,
    is_identifier,
    py_literal,
    safe_comment,
)
from idlgen.resolve import BUILTIN_TYPE_NAMES, SymbolTable, evaluate_expression
from idlgen.winrt import is_winrt_declaration

__all__ = [
    "EMITTERS",
    "FILE_EMITTERS",
    "Emitter",
    "FileEmitter",
    "package_name_for",
    "register_emitter",
    "render_package",
]

Emitter = Callable[[Program, str], dict[str, str]]

#: ``fn(program, package, packages)``: see :func:`register_emitter`.
FileEmitter = Callable[[Program, str, Mapping[str, str]], dict[str, str]]

#: Extra emit targets (``"tests"`` is added by :mod:`idlgen.conformance`).
EMITTERS: dict[str, Emitter] = {}

#: Extra emit targets rendered for imported files' packages too (see :func:`register_emitter`).
FILE_EMITTERS: dict[str, FileEmitter] = {}

#: The emit targets this module knows itself.
BUILTIN_TARGETS = ("stubs", "events")

_MODULE_ORDER = ("constants", "enums", "structs", "interfaces", "events", "coclasses")

_COM_ERROR_NOTE = "A failed HRESULT is raised as :class:`idlgen.runtime.COMError`."


def register_emitter(name: str, fn: Emitter, *, every_file: FileEmitter | None = None) -> None:
    """Add an emit target: ``fn(program, package) -> {relative path: text}``.

    With *every_file*, the target is rendered by ``every_file(program, package, packages)``
    for every package of the run (with ``with_imports``, the imported files' too), where
    *packages* maps the path of each IDL file generated in the run to its package.
    """
    if name in BUILTIN_TARGETS:
        raise ValueError(f"emit target {name!r} is built in")
    EMITTERS[name] = fn
    if every_file is not None:
        FILE_EMITTERS[name] = every_file
    else:
        FILE_EMITTERS.pop(name, None)


# --------------------------------------------------------------------------- templates


def _load_template(name: str) -> str | None:
    """Template text from the installed package (``idlgen/templates``) or the source tree."""
    if ".." in name.replace("\\", "/").split("/"):
        return None
    try:
        res = resources.files("idlgen").joinpath("templates", name)
        if res.is_file():
            return res.read_text(encoding="utf-8")
    except (OSError, ModuleNotFoundError):  # pragma: no cover - odd installs
        pass
    path = Path(__file__).resolve().parent.parent / "templates" / name
    if path.is_file():
        return path.read_text(encoding="utf-8")
    return None


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the generator (strict, no autoescape)."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load_template),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["lit"] = py_literal
    return env


# --------------------------------------------------------------------------- views


@dataclass
class Imports:
    """The imports one generated module needs (rendered sorted, so deterministic)."""

    module: str
    modules: set[str] = field(default_factory=set)
    typing: set[str] = field(default_factory=set)
    abc_types: set[str] = field(default_factory=set)
    runtime: set[str] = field(default_factory=set)
    local: dict[str, set[str]] = field(default_factory=dict)
    type_only: dict[str, set[str]] = field(default_factory=dict)
    #: absolute imports from other generated packages: module -> {"Name" or "Name as Alias"}
    external: dict[str, set[str]] = field(default_factory=dict)
    external_type_only: dict[str, set[str]] = field(default_factory=dict)

    def use_external(self, module: str, name: str, *, runtime: bool) -> None:
        """Import *name* (possibly ``X as Y``) from *module* of another generated package."""
        target = self.external if runtime else self.external_type_only
        target.setdefault(module, set()).add(name)

    def use_local(self, module: str, name: str, *, runtime: bool) -> None:
        """Import *name* from the sibling *module* (only for type checking unless *runtime*)."""
        if module == self.module:
            return
        target = self.local if runtime else self.type_only
        target.setdefault(module, set()).add(name)

    def lines(self) -> list[str]:
        """The import statements, one per line ("" for blank lines), laid out as black would."""
        out = ["from __future__ import annotations", ""]
        std = [f"import {m}" for m in sorted(self.modules)]
        if self.abc_types:
            std += _import_lines("collections.abc", self.abc_types, 0)
        typing = set(self.typing)
        type_only = {f".{m}": n - self.local.get(m, set()) for m, n in self.type_only.items()}
        type_only.update(
            {m: n - self.external.get(m, set()) for m, n in self.external_type_only.items()}
        )
        type_only = {m: n for m, n in type_only.items() if n}
        if type_only:
            typing.add("TYPE_CHECKING")
        if typing:
            std += _import_lines("typing", typing, 0)
        if std:
            out += [*std, ""]
        if self.runtime:
            out += [*_import_lines("idlgen.runtime", self.runtime, 0), ""]
        external = [
            line for m, n in sorted(self.external.items()) if n for line in _import_lines(m, n, 0)
        ]
        if external:
            out += [*external, ""]
        locals_ = [
            line
            for m, n in sorted(self.local.items())
            if n
            for line in _import_lines(f".{m}", n, 0)
        ]
        if locals_:
            out += [*locals_, ""]
        if type_only:
            out.append("if TYPE_CHECKING:")
            # absolute (other packages) before relative (this one), as isort orders them
            for m, n in sorted(type_only.items(), key=lambda item: (item[0][0] == ".", item[0])):
                out += _import_lines(m, n, 4)
        while out and not out[-1]:
            out.pop()
        return out


def _import_lines(module: str, names: Collection[str], indent: int) -> list[str]:
    pad = " " * indent
    line = f"{pad}from {module} import {', '.join(sorted(names))}"
    if fits(0, line):
        return [line]
    return [f"{pad}from {module} import (", *(f"{pad}    {n}," for n in sorted(names)), f"{pad})"]


@dataclass
class ParamView:
    """One parameter of a generated signature, and its ``ParamInfo`` facts."""

    name: str
    idl_name: str
    annotation: str
    direction: str
    retval: bool = False
    optional: bool = False
    default: str | None = None  # Python source of the default in the signature
    info_default: str | None = None  # Python source for ParamInfo(default=...)
    type_text: str = ""

    @property
    def source(self) -> str:
        """The parameter in a ``def``: ``name: annotation[ = default]``."""
        default = f" = {self.default}" if self.default is not None else ""
        return f"{self.name}: {self.annotation}{default}"

    @property
    def info(self) -> str:
        """The ``ParamInfo(...)`` expression describing it."""
        parts = [py_literal(self.idl_name), py_literal(self.direction)]
        if self.retval:
            parts.append("retval=True")
        if self.optional:
            parts.append("optional=True")
        if self.info_default is not None:
            parts.append(f"default={self.info_default}")
        parts.append(f"type={py_literal(self.type_text)}")
        return f"ParamInfo({', '.join(parts)})"


@dataclass
class MemberInfoView:
    """One ``MemberInfo(...)`` entry of ``_members_``."""

    name: str  # literal
    kind: str
    dispid: str
    python_name: str | None  # literal, when it differs from name
    params: list[ParamView]

    @property
    def params_source(self) -> str:
        """The tuple of ``ParamInfo`` on one line."""
        infos = [p.info for p in self.params]
        return f"({', '.join(infos)}{',' if len(infos) == 1 else ''})"

    @property
    def args(self) -> list[str]:
        """The arguments of ``MemberInfo(...)`` (the tuple of parameters on one line)."""
        out = [self.name, self.kind, self.dispid, self.params_source]
        if self.python_name is not None:
            out.append(f"python_name={self.python_name}")
        return out

    @property
    def layout(self) -> str:
        """How black lays it out: "line", "hug" (the arguments on one line of their own),
        "args" (one per line) or "params" (the parameter tuple exploded too)."""
        if fits(8, f"MemberInfo({', '.join(self.args)}),"):
            return "line"
        if fits(12, ", ".join(self.args)):
            return "hug"
        if all(fits(12, a + ",") for a in self.args):
            return "args"
        return "params"


@dataclass
class MethodView:
    """A generated method (abstract in interfaces, a no-op in sinks)."""

    name: str
    params: list[ParamView]
    returns: str
    doc: str | None
    #: "override" when it redefines an inherited member with another signature
    ignore: str | None = None
    #: an abstract stub without docstring: black puts its ``...`` on the ``def`` line
    dummy_body: bool = False

    @property
    def layout(self) -> str:
        """The ``def`` line as black lays it out: "line" (all on one line), "hug" (the
        parameters on one line of their own) or "exploded" (one parameter per line)."""
        args = ", ".join(["self", *(p.source for p in self.params)])
        tail = f") -> {self.returns}:" + (" ..." if self.dummy_body else "")
        if self.ignore is None and fits(4, f"def {self.name}({args}{tail}"):
            return "line"
        if fits(8, args) and fits(4, tail):
            return "hug"
        return "exploded"

    @property
    def args_source(self) -> str:
        """``self`` and the parameters, on one line."""
        return ", ".join(["self", *(p.source for p in self.params)])

    @property
    def key(self) -> tuple[object, ...]:
        """What decides whether two definitions of the name are the same."""
        params = tuple((p.annotation, p.default is not None) for p in self.params)
        return ("method", params, self.returns)


@dataclass
class PropertyView:
    """A generated property (abstract getter, abstract setter unless read-only)."""

    name: str
    annotation: str
    setter_param: str | None
    setter_annotation: str | None
    readable: bool
    doc: str | None
    ignore: str | None = None

    @property
    def key(self) -> tuple[object, ...]:
        """What decides whether two definitions of the name are the same."""
        return ("property", self.annotation, self.setter_annotation, self.readable)


@dataclass
class InterfaceView:
    """An interface (or non-source dispinterface) class."""

    name: str
    bases: list[str]
    iid: str
    doc: str
    members: list[MemberInfoView]
    items: list[MethodView | PropertyView]

    @property
    def members_inline(self) -> str | None:
        """``_members_``'s tuple on the ``_members_`` line, when black would put it there."""
        if not self.members:
            return "()"
        if len(self.members) == 1 and self.members[0].layout == "line":
            text = f"(MemberInfo({', '.join(self.members[0].args)}),)"
            if fits(4, f"_members_: ClassVar[tuple[MemberInfo, ...]] = {text}"):
                return text
        return None


@dataclass
class SinkView:
    """An event sink class for a source interface."""

    name: str
    iid: str
    doc: str
    events: list[tuple[str, str]]  # (dispid literal, method name)
    methods: list[MethodView]


@dataclass
class EnumView:
    """An ``IntEnum``/``IntFlag`` class (``name`` None: only bare constants)."""

    name: str | None
    base: str
    doc: str | None
    members: list[tuple[str, str]]  # (member name, value literal)
    constants: list[tuple[str, str]]  # (module constant name, expression)


@dataclass
class StructView:
    """A dataclass for a struct."""

    name: str
    doc: str | None
    fields: list[tuple[str, str]]  # (name, annotation)


@dataclass
class CoClassView:
    """A coclass class."""

    name: str
    bases: list[str]
    clsid: str
    doc: str
    interfaces: list[str]
    outgoing: list[str]
    default_interface: str
    default_source: str
    type_ignore: bool = False


@dataclass
class ModuleView:
    """One generated module: its imports and contents."""

    name: str
    doc: str
    imports: Imports
    consts: list[tuple[str, str]] = field(default_factory=list)  # (name, value literal)
    enums: list[EnumView] = field(default_factory=list)
    structs: list[StructView] = field(default_factory=list)
    interfaces: list[InterfaceView] = field(default_factory=list)
    sinks: list[SinkView] = field(default_factory=list)
    coclasses: list[CoClassView] = field(default_factory=list)
    hresults: list[tuple[str, str]] = field(default_factory=list)  # (hex value, name literal)
    exports: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the module would define nothing."""
        return not self.exports


# --------------------------------------------------------------------------- the builder


@dataclass
class _Symbol:
    name: str
    module: str


def _doc(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = clean_doc(text)
    return docstring(cleaned) if cleaned else None


def _doc_lines(*parts: str | None) -> str:
    cleaned = [clean_doc(p) for p in parts if p]
    return docstring("\n\n".join(c for c in cleaned if c))


def _uuid_text(d: Declaration) -> str | None:
    u = d.uuid
    if u is None:
        return None
    try:
        import uuid

        return str(uuid.UUID(u))
    except ValueError:
        return None


def _span(node: object) -> Span:
    span = getattr(node, "span", NO_SPAN)
    return span if isinstance(span, Span) else NO_SPAN


def _strip_aliases(t: TypeRef) -> TypeRef:
    """Follow typedefs not in the type map (so ``LPBSTR`` becomes ``BSTR*``)."""
    seen: set[int] = set()
    while (
        isinstance(t, NamedType)
        and t.name not in NAMED_TYPES
        and isinstance(t.target, Typedef)
        and id(t) not in seen
    ):
        seen.add(id(t))
        t = t.target.type
    return t


class _Builder:
    """Builds the module views of one package from one main file."""

    def __init__(
        self,
        f: IdlFile,
        symbols: SymbolTable | None,
        package: str,
        external: dict[int, tuple[str, _Symbol]] | None = None,
    ) -> None:
        self.file = f
        #: classes generated in other packages of the same run: id(decl) -> (package, symbol)
        self.external = external if external is not None else {}
        self._aliases: dict[tuple[str, str], str] = {}
        self.symbols = symbols
        self.package = package
        self.sink = DiagnosticSink()
        self.names = NameSpace(RESERVED_MODULE_NAMES)
        self.classes: dict[int, _Symbol] = {}  # id(decl) -> generated class
        self.decls = list(defined_declarations(f))
        self.modules = {m: ModuleView(m, "", Imports(m)) for m in _MODULE_ORDER}

    # ------------------------------------------------------------------ checks

    def _valid(self, name: str | None, node: object, what: str) -> bool:
        if is_identifier(name):
            return True
        self.sink.error(
            _span(node),
            f"{what} name {safe_comment(repr(name))} is not a valid identifier; "
            "nothing is generated for it",
        )
        return False

    # ------------------------------------------------------------------ pass 1: names

    def claim_names(self) -> None:
        """Give every generated class its Python name and module, in source order."""
        source_ids = self._source_interfaces()
        for d in self.decls:
            if isinstance(d, Namespace | RuntimeClass):
                self.sink.error(d.span, "WinRT IDL is not generated yet (classic COM IDL only)")
                continue
            if isinstance(d, Enum):
                name = d.typedef_name or d.name
                if name is not None and self._valid(name, d, "enum"):
                    self.classes[id(d)] = _Symbol(self.names.add(name), "enums")
            elif isinstance(d, Struct):
                name = d.typedef_name or d.name
                if name is not None and self._valid(name, d, "struct"):
                    self.classes[id(d)] = _Symbol(self.names.add(name), "structs")
            elif isinstance(d, Interface):
                if d.name in RUNTIME_INTERFACES:
                    continue  # the runtime's IUnknown/IDispatch stand for these
                if not self._is_com(d) or not self._valid(d.name, d, "interface"):
                    continue
                module = "events" if id(d) in source_ids else "interfaces"
                self.classes[id(d)] = _Symbol(self.names.add(d.name), module)
            elif isinstance(d, DispInterface):
                if not self._valid(d.name, d, "dispinterface"):
                    continue
                module = "events" if id(d) in source_ids else "interfaces"
                self.classes[id(d)] = _Symbol(self.names.add(d.name), module)
            elif (
                isinstance(d, CoClass)
                and self._valid(d.name, d, "coclass")
                and _uuid_text(d) is not None
            ):
                self.classes[id(d)] = _Symbol(self.names.add(d.name), "coclasses")

    def _defined_by_name(self) -> dict[str, Declaration]:
        """The generated interfaces and dispinterfaces of this file, by IDL name."""
        return {
            d.name: d
            for d in self.decls
            if isinstance(d, Interface | DispInterface) and d.name and d.is_defined
        }

    def _source_interfaces(self) -> set[int]:
        out: set[int] = set()
        for d in self.decls:
            if isinstance(d, CoClass):
                for m in d.interfaces:
                    target = m.type.target
                    if isinstance(target, Interface | DispInterface) and not target.is_defined:
                        target = self._defined_by_name().get(target.name, target)
                    if m.is_source and isinstance(target, Interface | DispInterface):
                        out.add(id(target))
        return out

    @staticmethod
    def _is_com(d: Interface) -> bool:
        return d.is_defined and (
            d.base is not None or any(d.has_attr(a) for a in ("object", "odl", "dual"))
        )

    # ------------------------------------------------------------------ the type map

    def annotation(self, t: TypeRef, imp: Imports, *, runtime: bool = False) -> str:
        """The Python annotation for IDL type *t* (see docs/generated-code.md)."""
        if isinstance(t, NamedType):
            mapped = NAMED_TYPES.get(t.name)
            if mapped is not None:
                text, module = mapped
                if module:
                    imp.modules.add(module)
                return text
            target = t.target
            if target is not None and id(target) in self.classes:
                sym = self.classes[id(target)]
                imp.use_local(sym.module, sym.name, runtime=runtime)
                return sym.name
            if target is not None and id(target) in self.external:
                return self._use_external(target, imp, runtime=runtime)
            if isinstance(target, Interface | DispInterface | CoClass):
                return self._runtime_interface(target, imp)
            if isinstance(target, Typedef):
                inline = target.type
                if (
                    isinstance(inline, TaggedType)
                    and inline.definition is not None
                    and (
                        id(inline.definition) in self.classes
                        or id(inline.definition) in self.external
                    )
                ):
                    return self.annotation(inline, imp, runtime=runtime)
                return self.annotation(target.type, imp, runtime=runtime)
            if isinstance(target, Enum):
                return "int"
            if target is None and t.name in RUNTIME_INTERFACES:
                imp.runtime.add(t.name)
                return t.name
            if target is None:
                return (
                    self.annotation(BaseType(t.name), imp)
                    if t.name in BUILTIN_TYPE_NAMES
                    else "object"
                )
            return "object"
        if isinstance(t, TaggedType):
            d = t.definition or t.target
            if d is not None and id(d) in self.classes:
                sym = self.classes[id(d)]
                imp.use_local(sym.module, sym.name, runtime=runtime)
                return sym.name
            if d is not None and id(d) in self.external:
                return self._use_external(d, imp, runtime=runtime)
            return "int" if t.keyword == "enum" else "object"
        if isinstance(t, BaseType):
            if t.name in ("char", "wchar_t"):
                return "str"
            return BASE_TYPES.get(t.name, "int")
        if isinstance(t, PointerType):
            inner = _strip_aliases(t.target)
            if self._is_char(inner):
                return "str"
            if isinstance(inner, BaseType) and inner.name == "void":
                return "object"
            if isinstance(inner, FunctionType):
                return "object"
            return self.annotation(t.target, imp, runtime=runtime)
        if isinstance(t, ArrayType):
            if self._is_char(_strip_aliases(t.element)):
                return "str"
            imp.abc_types.add("Sequence")
            return f"Sequence[{self.annotation(t.element, imp, runtime=runtime)}]"
        if isinstance(t, SafeArrayType):
            imp.abc_types.add("Sequence")
            return f"Sequence[{self.annotation(t.element, imp, runtime=runtime)}]"
        return "object"

    @staticmethod
    def _is_char(t: TypeRef) -> bool:
        if isinstance(t, BaseType):
            return t.name in CHAR_TYPES
        return isinstance(t, NamedType) and t.name in CHAR_TYPES

    def _use_external(self, d: Declaration, imp: Imports, *, runtime: bool) -> str:
        """Import the class generated for *d* in another package; the name used here."""
        package, sym = self.external[id(d)]
        key = (package, sym.name)
        alias = self._aliases.get(key)
        if alias is None:
            alias = sym.name
            if alias in self.names.taken or alias in self._aliases.values():
                alias = f"{package.replace('.', '_')}_{sym.name}"
                while alias in self.names.taken or alias in self._aliases.values():
                    alias += "_"
            self._aliases[key] = alias
        spec = sym.name if alias == sym.name else f"{sym.name} as {alias}"
        imp.use_external(f"{package}.{sym.module}", spec, runtime=runtime)
        return alias

    def _runtime_interface(self, d: Declaration, imp: Imports) -> str:
        """The runtime class standing for an interface that is not generated here."""
        name = "IDispatch" if self._derives_dispatch(d) else "IUnknown"
        imp.runtime.add(name)
        return name

    @staticmethod
    def _derives_dispatch(d: Declaration) -> bool:
        if isinstance(d, DispInterface):
            return True
        seen: set[int] = set()
        cur: Declaration | None = d
        while isinstance(cur, Interface) and id(cur) not in seen:
            seen.add(id(cur))
            if cur.name == "IDispatch" or cur.has_attr("dual"):
                return True
            cur = cur.base_interface
        return False

    def _value_type(self, p: Param, imp: Imports) -> str:
        """Annotation of an ``[out]``/``[in,out]`` parameter's value (one pointer off)."""
        t = _strip_aliases(p.type)
        if isinstance(t, PointerType):
            inner = t.target
            sized = p.has_attr("size_is") or p.has_attr("length_is")
            if sized and not self._is_char(_strip_aliases(inner)):
                inner_t = _strip_aliases(inner)
                if isinstance(inner_t, PointerType) and not self._is_interface(inner_t.target):
                    inner = inner_t.target
                imp.abc_types.add("Sequence")
                return f"Sequence[{self.annotation(inner, imp)}]"
            return self.annotation(inner, imp)
        return self.annotation(t, imp)

    def _in_type(self, p: Param, imp: Imports) -> str:
        t = _strip_aliases(p.type)
        if (
            isinstance(t, PointerType)
            and (p.has_attr("size_is") or p.has_attr("length_is"))
            and not self._is_char(_strip_aliases(t.target))
        ):
            imp.abc_types.add("Sequence")
            return f"Sequence[{self.annotation(t.target, imp)}]"
        return self.annotation(p.type, imp)

    def _is_interface(self, t: TypeRef) -> bool:
        t = _strip_aliases(t)
        return (
            isinstance(t, NamedType) and isinstance(t.target, Interface | DispInterface | CoClass)
        ) or (isinstance(t, NamedType) and t.name in RUNTIME_INTERFACES)

    @staticmethod
    def _returns_value(t: TypeRef) -> bool:
        t0 = t
        if isinstance(t0, NamedType) and t0.name in ("HRESULT", "SCODE"):
            return False
        return not (isinstance(t0, BaseType) and t0.name == "void")

    # ------------------------------------------------------------------ values

    def evaluate(self, e: Expr) -> object:
        lookup = self.symbols.lookup_value if self.symbols is not None else None
        try:
            return evaluate_expression(e, lookup)
        except (ArithmeticError, ValueError, TypeError, RecursionError):
            return None

    def _default(self, p: Param, annotation: str, imp: Imports) -> tuple[str, str]:
        """(annotation, signature default) of an optional parameter."""
        a = p.get_attr("defaultvalue")
        value: object = None
        has_value = False
        if a is not None and a.args and isinstance(a.args[0], Expr):
            value = self.evaluate(a.args[0])
            has_value = value is not None
        if not has_value:
            return (_optional(annotation), "None")
        if annotation == "bool" and isinstance(value, int | float):
            return annotation, py_literal(bool(value))
        if annotation == "int" and isinstance(value, int):
            return annotation, py_literal(value)
        if annotation == "float" and isinstance(value, int | float) and not isinstance(value, bool):
            return annotation, py_literal(float(value))
        if annotation == "str" and isinstance(value, str):
            return annotation, py_literal(value)
        if annotation == "object" and _literal_ok(value):
            return annotation, py_literal(value)
        enum = self._enum_for(annotation)
        if enum is not None and isinstance(value, int):
            member = next((m for m in enum.members if m.value == value), None)
            sym = self.classes[id(enum)]
            imp.use_local(sym.module, sym.name, runtime=True)
            if member is not None and is_identifier(member.name):
                return annotation, f"{sym.name}.{enum_member_name(member.name)}"
            return f"{annotation} | int", py_literal(value)
        return (_optional(annotation), "None")

    def _enum_for(self, annotation: str) -> Enum | None:
        for key, sym in self.classes.items():
            if sym.name == annotation and sym.module == "enums":
                for d in self.decls:
                    if id(d) == key and isinstance(d, Enum):
                        return d
        return None

    # ------------------------------------------------------------------ members

    def _params(self, params: list[Param], imp: Imports) -> tuple[list[ParamView], list[ParamView]]:
        """(all parameters with facts, the subset that are Python arguments)."""
        ns = NameSpace(RESERVED_PARAM_NAMES)
        views: list[ParamView] = []
        for i, p in enumerate(params):
            idl_name = p.name if p.name is not None else f"arg{i}"
            if not self._valid(idl_name, p, "parameter"):
                idl_name = f"arg{i}"
            name = ns.add(idl_name)
            direction = p.direction
            ann = self._in_type(p, imp) if direction == "in" else self._value_type(p, imp)
            views.append(
                ParamView(
                    name=name,
                    idl_name=idl_name,
                    annotation=ann,
                    direction=direction,
                    retval=p.is_retval,
                    optional=p.is_optional,
                    type_text=type_spelling(p.type),
                )
            )
        args = [v for v in views if v.direction != "out"]
        for v, p in zip(views, params, strict=True):
            a = p.get_attr("defaultvalue")
            if a is not None and a.args and isinstance(a.args[0], Expr):
                val = self.evaluate(a.args[0])
                if _literal_ok(val):
                    v.info_default = py_literal(val)
        # defaults in the signature only for the trailing run of optional arguments
        for v, p in reversed(list(zip(views, params, strict=True))):
            if v.direction == "out":
                continue
            if not v.optional:
                break
            v.annotation, v.default = self._default(p, v.annotation, imp)
        return views, args

    @staticmethod
    def _returns(values: list[str], imp: Imports) -> str:
        if not values:
            return "None"
        if len(values) == 1:
            return values[0]
        return f"tuple[{', '.join(values)}]"

    def _method_view(
        self, m: Method, name: str, imp: Imports
    ) -> tuple[MethodView, list[ParamView]]:
        views, args = self._params(m.params, imp)
        outs: list[str] = []
        if self._returns_value(m.return_type):
            outs.append(self.annotation(m.return_type, imp))
        outs += [v.annotation for v in views if v.direction != "in"]
        doc = _doc(m.helpstring)
        returns = self._returns(outs, imp)
        return MethodView(name, args, returns, doc, dummy_body=doc is None), views

    def _member_info(
        self, name: str, kind: str, dispid: int | None, python_name: str, params: list[ParamView]
    ) -> MemberInfoView:
        return MemberInfoView(
            name=py_literal(name),
            kind=py_literal(kind),
            dispid=py_literal(dispid),
            python_name=py_literal(python_name) if python_name != name else None,
            params=params,
        )

    def _interface_items(
        self, methods: list[Method], imp: Imports, members_ns: NameSpace
    ) -> tuple[list[MemberInfoView], list[MethodView | PropertyView]]:
        infos: list[MemberInfoView] = []
        items: list[MethodView | PropertyView] = []
        groups: dict[str, list[Method]] = {}
        for m in methods:
            if m.kind != "method":
                groups.setdefault(m.name, []).append(m)
        done: set[str] = set()
        prop_names: dict[str, str] = {}
        for m in methods:
            if not self._valid(m.name, m, "member"):
                continue
            if m.kind == "method":
                name = members_ns.add(m.name)
                view, params = self._method_view(m, name, imp)
                items.append(view)
                infos.append(self._member_info(m.name, "method", m.id, name, params))
                continue
            group = groups[m.name]
            if m.name in done:
                # a later accessor of a property already emitted: only its metadata
                pname = prop_names[m.name]
                infos.append(self._accessor_info(m, pname, group, imp))
                continue
            done.add(m.name)
            if self._simple_property(group):
                pname = members_ns.add(m.name)
                prop_names[m.name] = pname
                items.append(self._property_view(pname, group, imp))
            else:
                pname = members_ns.add(m.name)
                prop_names[m.name] = pname
                items.extend(self._indexed_property(pname, group, imp, members_ns))
            infos.append(self._accessor_info(m, pname, group, imp))
        return infos, items

    @staticmethod
    def _simple_property(group: list[Method]) -> bool:
        for m in group:
            ins = [p for p in m.params if p.direction != "out"]
            outs = [p for p in m.params if p.direction != "in"]
            if m.kind == "propget" and (ins or len(outs) != 1):
                return False
            if m.kind != "propget" and (len(ins) != 1 or outs):
                return False
        return True

    def _accessor_info(
        self, m: Method, pname: str, group: list[Method], imp: Imports
    ) -> MemberInfoView:
        params, _ = self._params(m.params, imp)
        python_name = pname
        if not self._simple_property(group) and m.kind != "propget":
            python_name = f"set_{pname}" if m.kind == "propput" else f"setref_{pname}"
            python_name = self._setter_names.get((pname, m.kind), python_name)
        return self._member_info(m.name, m.kind, m.id, python_name, params)

    _setter_names: dict[tuple[str, str], str]

    def _property_view(self, pname: str, group: list[Method], imp: Imports) -> PropertyView:
        getter = next((m for m in group if m.kind == "propget"), None)
        setter = next((m for m in group if m.kind == "propput"), None) or next(
            (m for m in group if m.kind == "propputref"), None
        )
        ann = "object"
        doc = None
        if getter is not None:
            gparams, _ = self._params(getter.params, imp)
            ann = gparams[0].annotation if gparams else "object"
            doc = getter.helpstring
        setter_param = setter_ann = None
        if setter is not None:
            sviews, _ = self._params(setter.params, imp)
            setter_param, setter_ann = sviews[0].name, sviews[0].annotation
            if getter is None:
                ann = setter_ann
            doc = doc or setter.helpstring
        if getter is None:
            imp.runtime.update({"COMError", "DISP_E_MEMBERNOTFOUND"})
        return PropertyView(
            name=pname,
            annotation=ann,
            setter_param=setter_param,
            setter_annotation=setter_ann,
            readable=getter is not None,
            doc=_doc(doc),
        )

    def _indexed_property(
        self, pname: str, group: list[Method], imp: Imports, members_ns: NameSpace
    ) -> list[MethodView]:
        """An indexed property: methods ``Name(*index)`` and ``set_Name(*index, value)``."""
        out: list[MethodView] = []
        for m in group:
            if m.kind == "propget":
                view, _ = self._method_view(m, pname, imp)
            else:
                prefix = "set_" if m.kind == "propput" else "setref_"
                name = members_ns.add(prefix + pname)
                self._setter_names[(pname, m.kind)] = name
                view, _ = self._method_view(m, name, imp)
            out.append(view)
        return out

    # ------------------------------------------------------------------ pass 2: modules

    def build(self) -> dict[str, ModuleView]:
        """Fill the module views (after :meth:`claim_names`)."""
        self._setter_names = {}
        consts = self.modules["constants"]
        enums = self.modules["enums"]
        for d in self.decls:
            if isinstance(d, Enum):
                self._enum(d, enums)
            elif isinstance(d, Const):
                self._const(d, consts)
            elif isinstance(d, Struct) and id(d) in self.classes:
                self._struct(d)
            elif isinstance(d, Interface | DispInterface) and id(d) in self.classes:
                if self.classes[id(d)].module == "events":
                    self._sink(d)
                else:
                    self._interface(d)
            elif isinstance(d, CoClass) and id(d) in self.classes:
                self._coclass(d)
        self._order_interfaces()
        self._mark_overrides()
        for co in self.modules["coclasses"].coclasses:
            co.type_ignore = self._conflicting_members(co.bases[1:])
        for mod in self.modules.values():
            if mod.hresults:
                mod.imports.runtime.add("register_hresult_names")
        return self.modules

    def _const(self, d: Const, mod: ModuleView) -> None:
        if not self._valid(d.name, d, "constant") or not _literal_ok(d.value):
            return
        name = self.names.add(d.name)
        hr = hresult_value(d.value)
        value = hex_literal(d.value) if hr is not None and isinstance(d.value, int) else None
        mod.consts.append((name, value or py_literal(d.value)))
        mod.imports.typing.add("Final")
        mod.exports.append(name)
        if hr is not None:
            mod.hresults.append((hex_literal(hr), py_literal(d.name)))

    def _enum(self, d: Enum, mod: ModuleView) -> None:
        sym = self.classes.get(id(d))
        members = [m for m in d.members if self._valid(m.name, m, "enumerator")]
        values = [m.value for m in members if isinstance(m.value, int)]
        failures = [hresult_value(v) for v in values if v]
        is_errors = bool(failures) and all(f is not None for f in failures)
        view_members: list[tuple[str, str]] = []
        constants: list[tuple[str, str]] = []
        taken: set[str] = set()
        for m in members:
            if not isinstance(m.value, int):
                continue
            lit = hex_literal(m.value) if is_errors else py_literal(m.value)
            const_name = self.names.add(m.name)
            if sym is not None:
                mname = enum_member_name(m.name)
                while mname in taken:
                    mname += "_"
                taken.add(mname)
                view_members.append((mname, lit))
                constants.append((const_name, f"{sym.name}.{mname}"))
            else:
                constants.append((const_name, lit))
            mod.exports.append(const_name)
            hr = hresult_value(m.value)
            if is_errors and hr is not None:
                mod.hresults.append((hex_literal(hr), py_literal(m.name)))
        if constants:
            mod.imports.typing.add("Final")
        if sym is not None:
            mod.imports.modules.add("enum")
            base = "enum.IntFlag" if is_flag_enum(sym.name, values) else "enum.IntEnum"
            mod.exports.append(sym.name)
            mod.enums.append(EnumView(sym.name, base, _doc(d.helpstring), view_members, constants))
        elif constants:
            mod.enums.append(EnumView(None, "", None, [], constants))

    def _struct(self, d: Struct) -> None:
        mod = self.modules["structs"]
        sym = self.classes[id(d)]
        mod.imports.modules.add("dataclasses")
        ns = NameSpace()
        fields: list[tuple[str, str]] = []
        for i, f in enumerate(d.fields):
            fname = f.name if f.name is not None else f"anonymous{i}"
            if not self._valid(fname, f, "field"):
                fname = f"field{i}"
            fields.append((ns.add(fname), self._field_type(f, mod.imports)))
        mod.exports.append(sym.name)
        mod.structs.append(StructView(sym.name, _doc(d.helpstring), fields))

    def _field_type(self, f: Field, imp: Imports) -> str:
        t = _strip_aliases(f.type)
        sized = f.has_attr("size_is") or f.has_attr("length_is")
        if isinstance(t, PointerType) and sized and not self._is_char(_strip_aliases(t.target)):
            imp.abc_types.add("Sequence")
            return f"Sequence[{self.annotation(t.target, imp)}]"
        ann = self.annotation(f.type, imp)
        if isinstance(t, PointerType) and ann not in ("object", "str"):
            return _optional(ann)
        return ann

    def _base_of(self, d: Interface, imp: Imports) -> str:
        base = d.base.target if d.base is not None else None
        if base is not None and id(base) in self.classes:
            sym = self.classes[id(base)]
            imp.use_local(sym.module, sym.name, runtime=True)
            return sym.name
        if base is not None and id(base) in self.external:
            return self._use_external(base, imp, runtime=True)
        if d.base is not None and d.base.name == "IDispatch":
            imp.runtime.add("IDispatch")
            return "IDispatch"
        if base is not None:
            return self._runtime_interface(base, imp)
        imp.runtime.add("IUnknown")
        return "IUnknown"

    def _interface(self, d: Interface | DispInterface) -> None:
        mod = self.modules["interfaces"]
        imp = mod.imports
        sym = self.classes[id(d)]
        imp.modules.update({"abc", "uuid"})
        imp.typing.add("ClassVar")
        imp.runtime.update({"MemberInfo"})
        members_ns = NameSpace(RESERVED_MEMBER_NAMES)
        if isinstance(d, Interface):
            bases = [self._base_of(d, imp)]
            infos, items = self._interface_items(d.methods, imp, members_ns)
        else:
            bases, infos, items = self._dispinterface_items(d, imp, members_ns)
        if any(i.params for i in infos):
            imp.runtime.add("ParamInfo")
        kind = "dispinterface" if isinstance(d, DispInterface) else "interface"
        doc = _doc_lines(d.helpstring or f"The {d.name} {kind}.", _COM_ERROR_NOTE)
        iid = _uuid_text(d) or "00000000-0000-0000-0000-000000000000"
        mod.interfaces.append(InterfaceView(sym.name, bases, iid, doc, infos, items))
        mod.exports.append(sym.name)

    def _dispinterface_items(
        self, d: DispInterface, imp: Imports, members_ns: NameSpace
    ) -> tuple[list[str], list[MemberInfoView], list[MethodView | PropertyView]]:
        infos: list[MemberInfoView] = []
        items: list[MethodView | PropertyView] = []
        target = d.interface.target if d.interface is not None else None
        if target is not None and id(target) in self.classes:
            sym = self.classes[id(target)]
            imp.use_local(sym.module, sym.name, runtime=True)
            return [sym.name], infos, items
        imp.runtime.add("IDispatch")
        for f in d.properties:
            if not self._valid(f.name, f, "property") or f.name is None:
                continue
            pname = members_ns.add(f.name)
            ann = self.annotation(f.type, imp)
            readonly = f.has_attr("readonly")
            items.append(
                PropertyView(
                    pname,
                    ann,
                    None if readonly else "value",
                    None if readonly else ann,
                    True,
                    _doc(f.helpstring),
                )
            )
            value = ParamView("value", "value", ann, "in", type_text=type_spelling(f.type))
            result = ParamView(
                "value", "value", ann, "out", retval=True, type_text=type_spelling(f.type) + "*"
            )
            infos.append(self._member_info(f.name, "propget", f.id, pname, [result]))
            if not readonly:
                infos.append(self._member_info(f.name, "propput", f.id, pname, [value]))
        more_infos, more_items = self._interface_items(d.methods, imp, members_ns)
        return ["IDispatch"], infos + more_infos, items + more_items

    def _sink(self, d: Interface | DispInterface) -> None:
        mod = self.modules["events"]
        imp = mod.imports
        sym = self.classes[id(d)]
        imp.modules.add("uuid")
        imp.runtime.add("EventSink")
        ns = NameSpace(RESERVED_MEMBER_NAMES)
        events: list[tuple[str, str]] = []
        methods: list[MethodView] = []
        for m in d.methods:
            if not self._valid(m.name, m, "event"):
                continue
            name = ns.add(m.name)
            dispid = m.id if m.id is not None else m.vtable_index
            if dispid is None:
                dispid = len(events)
            events.append((py_literal(dispid), py_literal(name)))
            pns = NameSpace(RESERVED_PARAM_NAMES)
            params: list[ParamView] = []
            for i, p in enumerate(m.params):
                idl_name = p.name if p.name is not None and is_identifier(p.name) else f"arg{i}"
                pname = pns.add(idl_name)
                if self._by_ref(p):
                    imp.runtime.add("ByRef")
                    ann = f"ByRef[{self._value_type(p, imp)}]"
                else:
                    ann = self._in_type(p, imp)
                params.append(ParamView(pname, idl_name, ann, p.direction))
            methods.append(MethodView(name, params, "None", _doc(m.helpstring)))
        doc = _doc_lines(
            d.helpstring or f"Events of {d.name}.",
            "Subclass it and override the events you want (the others do nothing),\n"
            "then advise an instance to the source's connection point.",
        )
        iid = _uuid_text(d) or "00000000-0000-0000-0000-000000000000"
        mod.sinks.append(SinkView(sym.name, iid, doc, events, methods))
        mod.exports.append(sym.name)

    def _by_ref(self, p: Param) -> bool:
        if p.direction != "in":
            return True
        t = _strip_aliases(p.type)
        if not isinstance(t, PointerType):
            return False
        inner = _strip_aliases(t.target)
        if self._is_char(inner) or self._is_interface(inner):
            return False
        return not (isinstance(inner, BaseType) and inner.name == "void")

    def _coclass(self, d: CoClass) -> None:
        mod = self.modules["coclasses"]
        imp = mod.imports
        sym = self.classes[id(d)]
        imp.modules.add("uuid")
        imp.runtime.add("CoClass")
        interfaces: list[str] = []
        iface_decls: list[Declaration] = []
        outgoing: list[str] = []
        default_interface = "None"
        default_source = "None"
        for member in d.interfaces:
            target = member.type.target
            if (
                target is not None
                and id(target) not in self.classes
                and id(target) not in self.external
            ):
                # a forward declaration (`interface X;` before the coclass, possibly of
                # what turns out to be a dispinterface): take the definition of this file
                target = self._defined_by_name().get(target.name or "")
            if target is None:
                continue
            if id(target) in self.classes:
                tsym = self.classes[id(target)]
                local = True
            elif id(target) in self.external:  # from an imported file's package (with_imports)
                tsym = self.external[id(target)][1]
                local = False
            else:
                continue
            if tsym.module != ("events" if member.is_source else "interfaces"):
                continue
            if local:
                imp.use_local(tsym.module, tsym.name, runtime=True)
                tname = tsym.name
            else:
                tname = self._use_external(target, imp, runtime=True)
            if member.is_source:
                outgoing.append(tname)
                if member.is_default and default_source == "None":
                    default_source = tname
            else:
                interfaces.append(tname)
                iface_decls.append(target)
                if member.is_default and default_interface == "None":
                    default_interface = tname
        if default_interface == "None" and interfaces:
            default_interface = interfaces[0]
        if default_source == "None" and outgoing:
            default_source = outgoing[0]
        # a base that another listed interface derives from would break the MRO
        bases = [
            name
            for name, decl in zip(interfaces, iface_decls, strict=True)
            if not any(other is not decl and self._inherits(other, decl) for other in iface_decls)
        ]
        doc = _doc_lines(
            d.helpstring or f"The {d.name} coclass.",
            "Implement it by subclassing and defining every abstract member.",
        )
        view = CoClassView(
            sym.name,
            ["CoClass", *bases],
            _uuid_text(d) or "",
            doc,
            interfaces,
            outgoing,
            default_interface,
            default_source,
        )
        mod.coclasses.append(view)
        mod.exports.append(sym.name)

    @staticmethod
    def _inherits(d: Declaration, base: Declaration) -> bool:
        seen: set[int] = set()
        cur = d.base_interface if isinstance(d, Interface) else None
        while cur is not None and id(cur) not in seen:
            if cur is base:
                return True
            seen.add(id(cur))
            cur = cur.base_interface
        return False

    def _all_items(self, name: str) -> dict[str, MethodView | PropertyView]:
        """The members of generated interface *name*, inherited ones included."""
        by_name = {v.name: v for v in self.modules["interfaces"].interfaces}
        chain: list[InterfaceView] = []
        cur = by_name.get(name)
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = by_name.get(cur.bases[0]) if cur.bases else None
        items: dict[str, MethodView | PropertyView] = {}
        for view in reversed(chain):
            for item in view.items:
                items[item.name] = item
        return items

    def _conflicting_members(self, bases: list[str]) -> bool:
        """True when two bases of a coclass define a member name differently."""
        seen: dict[str, tuple[object, ...]] = {}
        for base in bases:
            for name, item in self._all_items(base).items():
                if seen.setdefault(name, item.key) != item.key:
                    return True
        return False

    def _mark_overrides(self) -> None:
        """Flag members that redefine an inherited one with another signature (C++ overloads)."""
        by_name = {v.name: v for v in self.modules["interfaces"].interfaces}
        for view in self.modules["interfaces"].interfaces:
            if not view.bases or view.bases[0] not in by_name:
                continue
            ancestors: list[InterfaceView] = []
            cur = by_name.get(view.bases[0])
            while cur is not None and cur not in ancestors:
                ancestors.append(cur)
                cur = by_name.get(cur.bases[0]) if cur.bases else None
            for item in view.items:
                # mypy checks an override against every base that defines the name
                olds = [i for a in ancestors for i in a.items if i.name == item.name]
                if any(not self._compatible(old, item) for old in olds):
                    item.ignore = "override"

    def _subclass(self, new: str, old: str) -> bool:
        """True when annotation *new* is *old* or a generated interface derived from it."""
        by_name = {v.name: v for v in self.modules["interfaces"].interfaces}
        seen: set[str] = set()
        while new not in seen:
            if new == old:
                return True
            seen.add(new)
            view = by_name.get(new)
            if view is None or not view.bases:
                return False
            new = view.bases[0]
        return False

    def _compatible(self, old: MethodView | PropertyView, new: MethodView | PropertyView) -> bool:
        """Whether mypy accepts *new* as an override of *old* (a conservative judgement)."""
        if isinstance(old, MethodView) and isinstance(new, MethodView):
            if old.key[1] != new.key[1]:
                return False
            if old.returns == new.returns:
                return True
            olds, news = _tuple_items(old.returns), _tuple_items(new.returns)
            return len(olds) == len(news) and all(
                self._subclass(n, o) for n, o in zip(news, olds, strict=True)
            )
        if isinstance(old, PropertyView) and isinstance(new, PropertyView):
            if old.key == new.key:
                return True
            return (
                not old.setter_annotation
                and not new.setter_annotation
                and old.readable
                and new.readable
                and self._subclass(new.annotation, old.annotation)
            )
        return False

    def _order_interfaces(self) -> None:
        """Emit each interface after its base (source order otherwise)."""
        mod = self.modules["interfaces"]
        by_name = {v.name: v for v in mod.interfaces}
        done: set[str] = set()
        out: list[InterfaceView] = []

        def visit(v: InterfaceView, stack: set[str]) -> None:
            if v.name in done or v.name in stack:
                return
            stack.add(v.name)
            for b in v.bases:
                if b in by_name:
                    visit(by_name[b], stack)
            done.add(v.name)
            out.append(v)

        for v in mod.interfaces:
            visit(v, set())
        mod.interfaces = out


def fits(indent: int, text: str) -> bool:
    """Whether *text* at *indent* fits black's line length (of :mod:`idlgen.format`)."""
    return indent + len(text) <= LINE_LENGTH


def _tuple_items(annotation: str) -> list[str]:
    """``tuple[A, B]`` -> ``[A, B]`` (top-level commas only); anything else -> ``[annotation]``."""
    if not (annotation.startswith("tuple[") and annotation.endswith("]")):
        return [annotation]
    items, depth, cur = [], 0, ""
    for ch in annotation[6:-1]:
        if ch == "," and depth == 0:
            items.append(cur.strip())
            cur = ""
            continue
        depth += ch == "["
        depth -= ch == "]"
        cur += ch
    items.append(cur.strip())
    return items


def _optional(annotation: str) -> str:
    if annotation in ("object", "None") or annotation.endswith("| None"):
        return annotation
    return f"{annotation} | None"


def _literal_ok(value: object) -> bool:
    return isinstance(value, int | float | str)


# --------------------------------------------------------------------------- packages

_PACKAGE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")


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


def _valid_package(name: str) -> bool:
    import keyword

    return _PACKAGE_RE.match(name) is not None and not any(
        keyword.iskeyword(part) for part in name.split(".")
    )


def _header(source: str) -> str:
    return f"# Generated by idlgen {__version__} from {safe_comment(source)}. Do not edit.\n"


def _package_doc(f: IdlFile, source: str) -> str:
    libs = [d for d in defined_declarations(f) if isinstance(d, Library)]
    parts: list[str | None] = [f"Python bindings generated by idlgen from {source}."]
    if len(libs) == 1 and libs[0].helpstring:
        parts.insert(0, libs[0].helpstring)
    return _doc_lines(*parts)


def _prepare(
    f: IdlFile, symbols: SymbolTable | None, package: str, *, imported: bool = False
) -> _Builder | None:
    """Phase 1 for one file: check it can be generated and claim its class names.

    An imported file that cannot be generated (WinRT) gives None; a main file raises.
    """
    builder = _Builder(f, symbols, package)
    winrt = next((d for d in builder.decls if is_winrt_declaration(d)), None)
    if winrt is not None:
        if imported:
            return None
        message = "the Windows Runtime (WinRT) dialect is not generated yet (classic COM IDL only)"
        builder.sink.error(winrt.span, message)
        raise CompileError(builder.sink.diagnostics)
    builder.claim_names()
    if builder.sink.has_errors:
        raise CompileError(builder.sink.diagnostics)
    return builder


def _render_file(
    f: IdlFile,
    symbols: SymbolTable | None,
    package: str,
    builder: _Builder | None = None,
    *,
    skip_empty: bool = False,
) -> dict[str, str]:
    """Render the package of one file (phase 2); *builder* from :func:`_prepare`."""
    source = os.path.basename(f.path)
    if builder is None:
        builder = _prepare(f, symbols, package)
        assert builder is not None
    modules = builder.build()
    if builder.sink.has_errors:
        raise CompileError(builder.sink.diagnostics)
    if skip_empty and all(m.empty for m in modules.values()):
        return {}
    env = environment()
    header = _header(source)
    out: dict[str, str] = {}
    exports: list[tuple[str, list[str], bool]] = []
    for name in _MODULE_ORDER:
        mod = modules[name]
        if mod.empty:
            continue
        mod.doc = _doc_lines(f"{_MODULE_TITLES[name]} of {source}.")
        text = env.get_template(f"{name}.py.jinja").render(
            header=header, module=mod, imports=mod.imports.lines()
        )
        out[f"{package.replace('.', '/')}/{name}.py"] = format_python(text)
        names = sorted(mod.exports)
        exports.append((name, names, not fits(0, f"from .{name} import {', '.join(names)}")))
    all_names = sorted(n for _, names, _ in exports for n in names)
    init = env.get_template("__init__.py.jinja").render(
        header=header, doc=_package_doc(f, source), exports=exports, all_names=all_names
    )
    root = package.replace(".", "/")
    out[f"{root}/__init__.py"] = format_python(init)
    out[f"{root}/py.typed"] = ""
    return dict(sorted(out.items()))


_MODULE_TITLES = {
    "constants": "Constants",
    "enums": "Enumerations",
    "structs": "Structures",
    "interfaces": "Interfaces",
    "events": "Event sinks",
    "coclasses": "Coclasses",
}


def _symbols_for(program: Program) -> Callable[[IdlFile], SymbolTable | None]:
    """The symbol table to evaluate a file's expressions with (an import: the first main's)."""
    fallback = next(iter(program.symbols.values()), None)

    def lookup(f: IdlFile) -> SymbolTable | None:
        return program.symbols.get(f.path, fallback)

    return lookup


def render_package(
    program: Program,
    *,
    package: str | None = None,
    emit: Collection[str] = BUILTIN_TARGETS,
    with_imports: bool = False,
) -> dict[str, str]:
    """Render the Python package(s) for the main files of *program*.

    With *with_imports*, every imported file gets a package of its own too
    (named like a main file; IUnknown/IDispatch still come from the runtime),
    and types from imports refer to those packages' classes (absolute imports:
    the packages are siblings) instead of falling back to the runtime's
    ``IUnknown``/``IDispatch``, ``int`` and ``object``.

    Returns ``{relative POSIX path: text}`` (black-formatted, deterministic);
    one package per main file, named by :func:`package_name_for` unless
    *package* is given (only with a single main file).  ``"stubs"`` and
    ``"events"`` are always rendered together when either is asked; other
    *emit* targets come from :func:`register_emitter`.  Raises
    :class:`~idlgen.diagnostics.CompileError` for input that cannot be generated.
    """
    problems: list[Diagnostic] = []
    sink = DiagnosticSink()
    unknown = [e for e in emit if e not in BUILTIN_TARGETS and e not in EMITTERS]
    if unknown:
        sink.error(NO_SPAN, f"unknown emit target(s): {', '.join(sorted(unknown))}")
    if package is not None:
        if not _valid_package(package):
            sink.error(
                NO_SPAN,
                f"package name {safe_comment(repr(package))} is not a valid Python package name",
            )
        if len(program.files) != 1:
            sink.error(NO_SPAN, "a package name can only be given for a single IDL file")
    if sink.has_errors:
        raise CompileError(sink.diagnostics)
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    jobs: list[tuple[IdlFile, str, bool]] = []  # (file, package, imported)
    for f in program.files:
        name = package or package_name_for(f.path)
        if name in seen:
            problems.append(
                Diagnostic(
                    Severity.ERROR,
                    f"'{f.path}' and '{seen[name]}' would both generate package '{name}'",
                    Span(f.path, 0, 0),
                )
            )
            continue
        seen[name] = f.path
        jobs.append((f, name, False))
    if with_imports:
        mains = {id(f) for f in program.files}
        names = NameSpace(taken=seen)
        for f in program.imports:
            if id(f) not in mains:
                jobs.append((f, names.add(package_name_for(f.path)), True))
    symbols_of = _symbols_for(program)
    builders: dict[int, _Builder] = {}
    if any(t in emit for t in BUILTIN_TARGETS):
        for f, name, imported in jobs:
            try:
                builder = _prepare(f, symbols_of(f), name, imported=imported)
            except CompileError as exc:
                problems.extend(exc.diagnostics)
                continue
            if builder is not None:
                builders[id(f)] = builder
        external = {
            key: (b.package, sym) for b in builders.values() for key, sym in b.classes.items()
        }
        for b in builders.values():
            b.external = external
    packages = {f.path: name for f, name, _ in jobs}
    for f, name, imported in jobs:
        builder = builders.get(id(f))
        if builder is not None:
            try:
                out.update(_render_file(f, symbols_of(f), name, builder, skip_empty=imported))
            except CompileError as exc:
                problems.extend(exc.diagnostics)
                continue
        for target in sorted(set(emit) - set(BUILTIN_TARGETS)):
            if target in FILE_EMITTERS:
                out.update(FILE_EMITTERS[target](program, name, packages))
            elif not imported:
                out.update(EMITTERS[target](program, name))
    if problems:
        raise CompileError(problems)
    return dict(sorted(out.items()))
