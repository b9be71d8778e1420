"""The views of the Python backend: what one generated module says, decided, as plain data.

:class:`~idlgen.backends.python.builder.PackageBuilder` fills them from the model; the
templates in ``templates/`` only lay them out (and the ``layout`` properties say how black
would break a long line, so the rendered text is already black's).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from idlgen.backends.common.layout import assignment, bracketed, fits, top_level_items
from idlgen.backends.python.literals import py_literal
from idlgen.output.format import DEFAULT_LINE_LENGTH

#: The generated modules of a package, in the order they are rendered.
MODULE_ORDER = ("constants", "enums", "structs", "interfaces", "events", "coclasses", "modules")


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
    #: the line length the statements are laid out for
    width: int = DEFAULT_LINE_LENGTH

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
            std += _import_lines("collections.abc", self.abc_types, 0, self.width)
        typing = set(self.typing)
        type_only = {f".{m}": n - self.local.get(m, set()) for m, n in self.type_only.items()}
        type_only.update(
            {m: n - self.external.get(m, set()) for m, n in self.external_type_only.items()}
        )
        type_only = {m: n for m, n in type_only.items() if n}
        if type_only:
            typing.add("TYPE_CHECKING")
        if typing:
            std += _import_lines("typing", typing, 0, self.width)
        if std:
            out += [*std, ""]
        if self.runtime:
            out += [*_import_lines("idlgen.runtime", self.runtime, 0, self.width), ""]
        external = [
            line
            for m, n in sorted(self.external.items())
            if n
            for line in _import_lines(m, n, 0, self.width)
        ]
        if external:
            out += [*external, ""]
        locals_ = [
            line
            for m, n in sorted(self.local.items())
            if n
            for line in _import_lines(f".{m}", n, 0, self.width)
        ]
        if locals_:
            out += [*locals_, ""]
        if type_only:
            out.append("if TYPE_CHECKING:")
            # absolute (other packages) before relative (this one), as isort orders them
            for m, n in sorted(type_only.items(), key=lambda item: (item[0][0] == ".", item[0])):
                out += _import_lines(m, n, 4, self.width)
        while out and not out[-1]:
            out.pop()
        return out


def _import_lines(module: str, names: Collection[str], indent: int, width: int) -> list[str]:
    pad = " " * indent
    line = f"{pad}from {module} import {', '.join(sorted(names))}"
    if fits(0, line, width):
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
    def info_args(self) -> list[str]:
        """The arguments of its ``ParamInfo(...)``."""
        parts = [py_literal(self.idl_name), py_literal(self.direction)]
        if self.retval:
            parts.append("retval=True")
        if self.optional:
            parts.append("optional=True")
        if self.info_default is not None:
            parts.append(f"default={self.info_default}")
        parts.append(f"type={py_literal(self.type_text)}")
        return parts

    @property
    def info(self) -> str:
        """The ``ParamInfo(...)`` expression describing it."""
        return f"ParamInfo({', '.join(self.info_args)})"


@dataclass
class MemberInfoView:
    """One ``MemberInfo(...)`` entry of ``_members_``."""

    name: str  # literal
    kind: str
    dispid: str
    python_name: str | None  # literal, when it differs from name
    params: list[ParamView]
    width: int = DEFAULT_LINE_LENGTH

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
    def param_layouts(self) -> list[tuple[ParamView, str]]:
        """With the "params" layout, how black lays each ``ParamInfo(...),`` out (at indent
        16): "line", "hug" (its arguments on one line of their own) or "exploded"."""
        out = []
        for p in self.params:
            if fits(16, p.info + ",", self.width):
                out.append((p, "line"))
            elif fits(20, ", ".join(p.info_args), self.width):
                out.append((p, "hug"))
            else:
                out.append((p, "exploded"))
        return out

    @property
    def layout(self) -> str:
        """How black lays it out: "line", "hug" (the arguments on one line of their own),
        "args" (one per line) or "params" (the parameter tuple exploded too)."""
        if fits(8, f"MemberInfo({', '.join(self.args)}),", self.width):
            return "line"
        if fits(12, ", ".join(self.args), self.width):
            return "hug"
        if all(fits(12, a + ",", self.width) for a in self.args):
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
    #: False for a ``staticmethod`` (a function of a DLL module)
    has_self: bool = True
    width: int = DEFAULT_LINE_LENGTH

    @property
    def layout(self) -> str:
        """The ``def`` line as black lays it out: "line" (all on one line), "hug" (the
        parameters on one line of their own) or "exploded" (one parameter per line)."""
        args = self.args_source
        tail = f") -> {self.returns}:" + (" ..." if self.dummy_body else "")
        if self.ignore is None and fits(4, f"def {self.name}({args}{tail}", self.width):
            return "line"
        if self.params and fits(8, args, self.width) and fits(4, tail, self.width):
            return "hug"
        return "exploded"

    @property
    def tail_source(self) -> str:
        """``) -> returns:`` of a split ``def`` (at indent 4), as black lays it out: a ``tuple``
        of results too long for the line is split in its turn."""
        dummy = " ..." if self.dummy_body else ""
        tail = f") -> {self.returns}:"
        if fits(4, tail + dummy, self.width) or not (
            self.returns.startswith("tuple[") and self.returns.endswith("]")
        ):
            return tail
        items = top_level_items(self.returns[len("tuple[") : -1])
        split = bracketed(4, ") -> tuple", items, ":" + dummy, self.width, brackets="[]")
        return split[: len(split) - len(dummy)]

    @property
    def args_source(self) -> str:
        """``self`` (unless static) and the parameters, on one line."""
        first = ["self"] if self.has_self else []
        return ", ".join([*first, *(p.source for p in self.params)])

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
    width: int = DEFAULT_LINE_LENGTH

    @property
    def setter_def(self) -> str:
        """The setter's ``def`` line (at indent 4), as black lays it out."""
        param = f"{self.setter_param}: {self.setter_annotation}"
        return bracketed(4, f"def {self.name}", ["self", param], " -> None: ...", self.width)

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
    width: int = DEFAULT_LINE_LENGTH

    @property
    def class_line(self) -> str:
        """The ``class`` statement, as black lays it out."""
        return bracketed(0, f"class {self.name}", self.bases, ":", self.width)

    @property
    def members_inline(self) -> str | None:
        """``_members_``'s tuple on the ``_members_`` line, when black would put it there."""
        if not self.members:
            return "()"
        if len(self.members) == 1 and self.members[0].layout == "line":
            text = f"(MemberInfo({', '.join(self.members[0].args)}),)"
            if fits(4, f"_members_: ClassVar[tuple[MemberInfo, ...]] = {text}", self.width):
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
    width: int = DEFAULT_LINE_LENGTH

    @property
    def member_lines(self) -> list[str]:
        """The members' assignments in the class body, as black lays them out."""
        return [assignment(4, name, value, self.width) for name, value in self.members]

    @property
    def constant_lines(self) -> list[str]:
        """The module-level ``NAME: Final = value`` aliases, as black lays them out."""
        return [assignment(0, f"{n}: Final", v, self.width) for n, v in self.constants]


@dataclass
class FieldView:
    """One field of a struct or union class: ``name: annotation[ = default]``."""

    name: str
    annotation: str
    default: str | None = None  # Python source; union arms default to None

    @property
    def source(self) -> str:
        """The field as a line of the class body."""
        default = f" = {self.default}" if self.default is not None else ""
        return f"{self.name}: {self.annotation}{default}"


@dataclass
class StructView:
    """A dataclass for a struct or union, or a plain class for an opaque one."""

    name: str
    doc: str | None
    fields: list[FieldView]
    #: the fields are keyword-only (union arms default to None, other fields may follow)
    kw_only: bool = False
    #: declared but not defined: a class without fields, not a dataclass
    opaque: bool = False
    width: int = DEFAULT_LINE_LENGTH

    @property
    def field_lines(self) -> list[str]:
        """The fields of the class body, as black lays them out (a field with a default as
        it is: black decides)."""
        return [
            assignment(4, f.name, f.annotation, self.width, sep=": ")
            if f.default is None
            else f.source
            for f in self.fields
        ]


@dataclass
class DllModuleView:
    """A class for an IDL ``module``: its DLL, constants and functions (static methods that
    raise an error saying how to call them: calling one needs the native runtime)."""

    name: str
    doc: str
    dllname: str  # literal
    consts: list[tuple[str, str]]  # (name, value literal)
    #: (signature, the message of the error it raises: literals to concatenate, one a line)
    functions: list[tuple[MethodView, list[str]]]


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
    width: int = DEFAULT_LINE_LENGTH

    @property
    def class_line(self) -> str:
        """The ``class`` statement, as black lays it out."""
        comment = "# type: ignore[misc]" if self.type_ignore else ""
        return bracketed(0, f"class {self.name}", self.bases, ":", self.width, comment=comment)

    @property
    def interfaces_line(self) -> str:
        """``_com_interfaces_ = (...)`` at indent 4, as black lays it out."""
        return self._tuple("_com_interfaces_", self.interfaces)

    @property
    def outgoing_line(self) -> str:
        """``_outgoing_interfaces_ = (...)`` at indent 4, as black lays it out."""
        return self._tuple("_outgoing_interfaces_", self.outgoing)

    def _tuple(self, name: str, items: list[str]) -> str:
        if not items:
            return f"{name} = ()"
        return bracketed(4, f"{name} = ", items, "", self.width, collection=True)


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
    dll_modules: list[DllModuleView] = field(default_factory=list)
    #: typedef aliases of generated classes: (alias, class name)
    aliases: list[tuple[str, str]] = field(default_factory=list)
    hresults: list[tuple[str, str]] = field(default_factory=list)  # (hex value, name literal)
    exports: list[str] = field(default_factory=list)
    width: int = DEFAULT_LINE_LENGTH

    @property
    def const_lines(self) -> list[str]:
        """The module-level ``NAME: Final = value`` constants, as black lays them out."""
        return [assignment(0, f"{n}: Final", v, self.width) for n, v in self.consts]

    @property
    def empty(self) -> bool:
        """True when the module would define nothing."""
        return not self.exports

    def lay_out(self, width: int) -> None:
        """Lay every statement out for lines of *width* characters (black's line length)."""
        self.width = width
        self.imports.width = width
        for e in self.enums:
            e.width = width
        for st in self.structs:
            st.width = width
        for co in self.coclasses:
            co.width = width
        for c in self.interfaces:
            c.width = width
            for m in c.members:
                m.width = width
            for item in c.items:
                item.width = width
        for s in self.sinks:
            for method in s.methods:
                method.width = width
        for dll in self.dll_modules:
            for function, _ in dll.functions:
                function.width = width
