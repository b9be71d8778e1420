"""Generate ``<pkg>/vtables.py``: the vtable and function descriptions native calls need.

For the main file of a package: every COM interface it defines (full vtable through its
``base``: IUnknown's and IDispatch's slots come first), every interface those refer to
from imported files (bases, parameter types, transitively: so a proxy of an interface
returned by a method can be called too), and the exported functions of its IDL ``module``
declarations.  The output is data (:mod:`idlgen.runtime.native.description`): C types as
type codes (:mod:`idlgen.runtime.native.typecodes`), the marshalling attributes
(direction, ``retval``, ``iid_is``, ``size_is``/``length_is``, ``optional``/
``defaultvalue``), strings only as escaped literals.  Deterministic and black-formatted.

Views (all decisions) are built here; ``templates/abi/vtables.py.jinja`` only lays them out.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache

import jinja2

from idlgen.backends.common.idl import defined_declarations
from idlgen.backends.common.naming import NameSpace, is_identifier, package_name_for
from idlgen.backends.common.templates import load_template
from idlgen.diagnostics import CompileError, DiagnosticSink
from idlgen.frontend import Program
from idlgen.frontend.evaluate import evaluate_expression
from idlgen.frontend.symbols import SymbolTable
from idlgen.model import (
    ArrayType,
    BaseType,
    BinaryExpr,
    CastExpr,
    CoClass,
    DispInterface,
    Enum,
    Expr,
    Function,
    FunctionType,
    IdlFile,
    Interface,
    Literal,
    Method,
    Module,
    NamedType,
    NameExpr,
    Param,
    PointerType,
    SafeArrayType,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    UnaryExpr,
    Union,
)
from idlgen.output.format import format_python
from idlgen.version import __version__

__all__ = ["render_file_vtables", "render_main_vtables", "render_vtables", "type_code"]

#: Named types that marshal specially, checked at every step of a typedef chain.
SPECIAL_NAMES: dict[str, str] = {
    "HRESULT": "hresult",
    "VARIANT_BOOL": "vbool",
    "BOOL": "bool32",
    "WINBOOL": "bool32",
    "BOOLEAN": "bool8",
    "BSTR": "bstr",
    "VARIANT": "variant",
    "VARIANTARG": "variant",
    "GUID": "guid",
    "IID": "guid",
    "CLSID": "guid",
    "FMTID": "guid",
    "REFIID": "*guid",
    "REFCLSID": "*guid",
    "REFGUID": "*guid",
    "REFFMTID": "*guid",
    "DATE": "date",
    "CY": "cy",
    "CURRENCY": "cy",
    "DECIMAL": "decimal",
    "SAFEARRAY": "opaque:SAFEARRAY",
    # pointer-sized integers (a header parsed without _WIN64 spells them as 32-bit ones)
    "INT_PTR": "iptr",
    "LONG_PTR": "iptr",
    "SSIZE_T": "iptr",
    "LPARAM": "iptr",
    "LRESULT": "iptr",
    "UINT_PTR": "uptr",
    "ULONG_PTR": "uptr",
    "DWORD_PTR": "uptr",
    "SIZE_T": "uptr",
    "WPARAM": "uptr",
    "HANDLE_PTR": "uptr",
}

#: C/IDL base types (as the parser spells them) at Windows (LLP64) widths.
BASE_CODES: dict[str, str] = {
    "int": "i32",
    "signed int": "i32",
    "signed": "i32",
    "unsigned int": "u32",
    "unsigned": "u32",
    "long": "i32",
    "signed long": "i32",
    "long int": "i32",
    "unsigned long": "u32",
    "unsigned long int": "u32",
    "short": "i16",
    "signed short": "i16",
    "short int": "i16",
    "unsigned short": "u16",
    "unsigned short int": "u16",
    "char": "char8",
    "signed char": "i8",
    "unsigned char": "u8",
    "small": "i8",
    "signed small": "i8",
    "unsigned small": "u8",
    "byte": "u8",
    "hyper": "i64",
    "signed hyper": "i64",
    "unsigned hyper": "u64",
    "long long": "i64",
    "signed long long": "i64",
    "unsigned long long": "u64",
    "__int8": "i8",
    "unsigned __int8": "u8",
    "__int16": "i16",
    "unsigned __int16": "u16",
    "__int32": "i32",
    "unsigned __int32": "u32",
    "__int64": "i64",
    "signed __int64": "i64",
    "unsigned __int64": "u64",
    "__int3264": "iptr",
    "unsigned __int3264": "uptr",
    "float": "f32",
    "double": "f64",
    "void": "void",
    "boolean": "bool8",
    "wchar_t": "char16",
    "handle_t": "*void",
    "error_status_t": "u32",
}

_CDECL = frozenset({"__cdecl", "_cdecl", "cdecl", "CDECL", "WINAPIV", "__RPC_USER"})
_STDCALL = frozenset(
    {"__stdcall", "_stdcall", "stdcall", "WINAPI", "STDMETHODCALLTYPE", "CALLBACK", "APIENTRY"}
)
_RUNTIME_INTERFACES = {"IUnknown": "d.IUNKNOWN", "IDispatch": "d.IDISPATCH"}
_RESERVED = frozenset({"d", "Final", "annotations", "MODULES"})


def py_literal(value: object) -> str:
    """A Python literal for a string (JSON's escapes are Python's), int, float, bool or None."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"no literal for {value!r}")
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    raise ValueError(f"no literal for {type(value).__name__}")


def safe_comment(text: str) -> str:
    """Text for a ``#`` comment or a docstring: one line, ASCII, backslashes escaped."""
    return json.dumps(text)[1:-1].replace('"', "'")


@cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of this backend (strict, no autoescape)."""
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(load_template),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _base_code(name: str) -> str:
    found = BASE_CODES.get(name)
    if found is not None:
        return found
    unsigned = "unsigned" in name
    if "64" in name or "hyper" in name or "long long" in name:
        bits = "64"
    elif "short" in name or "16" in name:
        bits = "16"
    elif "char" in name or "small" in name or "8" in name:
        bits = "8"
    else:
        bits = "32"
    return ("u" if unsigned else "i") + bits


def _layout_name(decl: Struct | Union, spelled: str | None) -> str | None:
    """The name a struct/union has in the ``abi`` module: the typedef name it was reached
    through, else its own typedef name, else its tag."""
    for name in (spelled, decl.typedef_name, decl.name):
        if name and is_identifier(name):
            return name
    return None


class _Types:
    """Type codes for the types of one program; collects the interfaces they refer to."""

    def __init__(self, program: Program) -> None:
        self.interfaces: dict[str, Interface] = {}
        for f in [*program.imports, *program.files]:
            for decl in f.walk():
                if isinstance(decl, Interface) and decl.is_defined:
                    self.interfaces.setdefault(decl.name, decl)
        self.dispinterfaces: dict[str, DispInterface] = {}
        for f in [*program.imports, *program.files]:
            for decl in f.walk():
                if isinstance(decl, DispInterface) and decl.is_defined:
                    self.dispinterfaces.setdefault(decl.name, decl)
        #: interfaces referred to, in order of first reference
        self.referenced: dict[str, Interface | DispInterface] = {}
        #: layouts referred to: name -> the file that declares it
        self.layout_files: dict[str, str] = {}

    def interface(self, name: str) -> Interface | DispInterface | None:
        """The definition of an interface by name (forward declarations are followed)."""
        return self.interfaces.get(name) or self.dispinterfaces.get(name)

    def code(self, t: TypeRef, typedef_name: str | None = None) -> str:
        """The type code of *t* (see :mod:`idlgen.runtime.native.typecodes`)."""
        if isinstance(t, NamedType):
            special = SPECIAL_NAMES.get(t.name)
            if special is not None:
                return special
            target = t.target
            if isinstance(target, Typedef):
                return self.code(target.type, t.name)
            if isinstance(target, Interface | DispInterface) or (
                target is None and t.name in _RUNTIME_INTERFACES
            ):
                return self._interface_code(t.name)
            if isinstance(target, CoClass):
                return "iface:IUnknown"
            if isinstance(target, Enum):
                return "i32"
            if isinstance(target, Struct | Union):
                return self._layout_code(target, typedef_name or t.name)
            if target is None and t.name in BASE_CODES:
                return BASE_CODES[t.name]
            return f"opaque:{t.name}" if is_identifier(t.name) else "opaque:unknown"
        if isinstance(t, TaggedType):
            if t.keyword == "enum":
                return "i32"
            decl = t.definition or t.target
            if isinstance(decl, Struct | Union):
                return self._layout_code(decl, typedef_name)
            return f"opaque:{t.tag}" if t.tag and is_identifier(t.tag) else "opaque:unknown"
        if isinstance(t, BaseType):
            return _base_code(t.name)
        if isinstance(t, PointerType):
            inner = _peel(t.target)
            if isinstance(inner, FunctionType):
                return "fn"
            return "*" + self.code(t.target)
        if isinstance(t, ArrayType):
            size = evaluate_expression(t.size) if t.size is not None else None
            if isinstance(size, int) and size >= 0:
                return f"[{size}]" + self.code(t.element)
            return "*" + self.code(t.element)
        if isinstance(t, SafeArrayType):
            return f"safearray({self.code(t.element)})"
        if isinstance(t, FunctionType):
            return "fn"
        return "opaque:unknown"

    def _interface_code(self, name: str) -> str:
        if name in _RUNTIME_INTERFACES:
            return f"iface:{name}"
        found = self.interface(name)
        if found is None or not is_identifier(name) or not _describable(found):
            return "iface:IUnknown"
        self.referenced.setdefault(name, found)
        return f"iface:{name}"

    def _layout_code(self, decl: Struct | Union, spelled: str | None) -> str:
        kind = "struct" if isinstance(decl, Struct) else "union"
        name = _layout_name(decl, spelled)
        if not name:
            return "opaque:unknown"
        self.layout_files.setdefault(name, decl.file)
        return f"{kind}:{name}"


def _peel(t: TypeRef) -> TypeRef:
    seen: set[int] = set()
    while isinstance(t, NamedType) and isinstance(t.target, Typedef) and id(t) not in seen:
        seen.add(id(t))
        t = t.target.type
    return t


def _describable(decl: Interface | DispInterface) -> bool:
    if isinstance(decl, DispInterface):
        return decl.uuid is not None
    return decl.uuid is not None and (
        decl.base is not None or any(decl.has_attr(a) for a in ("object", "odl", "dual"))
    )


# --------------------------------------------------------------------------- views


@dataclass
class InterfaceView:
    """One ``d.Interface(...)`` assignment."""

    var: str
    args: list[str]


@dataclass
class VtablesView:
    """Everything the template lays out."""

    header: str
    doc: str
    interfaces: list[InterfaceView] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    #: (layout name, package) of the layouts another file declares
    layout_packages: list[tuple[str, str]] = field(default_factory=list)


def _size_expr(e: Expr, names: set[str], symbols: SymbolTable | None) -> str | None:
    """A size_is/length_is expression as the literal of a ``d.SizeExpr`` (None: not one)."""
    if isinstance(e, CastExpr):
        return _size_expr(e.operand, names, symbols)
    if isinstance(e, NameExpr) and e.name in names:
        return py_literal(e.name)
    if isinstance(e, UnaryExpr) and e.op == "*":
        inner = _size_expr(e.operand, names, symbols)
        return None if inner is None else f'("*", {inner})'
    if isinstance(e, BinaryExpr) and e.op in ("+", "-", "*", "/"):
        left = _size_expr(e.left, names, symbols)
        right = _size_expr(e.right, names, symbols)
        if left is None or right is None:
            return None
        return f"({py_literal(e.op)}, {left}, {right})"
    lookup = symbols.lookup_value if symbols is not None else None
    value = evaluate_expression(e, lookup)
    if isinstance(value, int) and not isinstance(value, bool):
        return py_literal(value)
    return None


class _Builder:
    def __init__(
        self, program: Program, f: IdlFile, package: str, packages: Mapping[str, str]
    ) -> None:
        self.program = program
        self.file = f
        self.package = package
        self.packages = packages
        self.symbols = program.symbols.get(f.path) or next(iter(program.symbols.values()), None)
        self.types = _Types(program)
        self.names = NameSpace(_RESERVED)
        self.vars: dict[int, str] = {}  # id(interface decl) -> variable
        self.views: list[InterfaceView] = []
        self.sink = DiagnosticSink()

    # ------------------------------------------------------------------ parameters

    def param(self, p: Param, index: int, names: set[str]) -> str:
        name = p.name if p.name is not None and is_identifier(p.name) else f"arg{index}"
        parts = [py_literal(name), py_literal(self.types.code(p.type))]
        direction = p.direction
        keywords: list[str] = []
        if direction != "in":
            parts.append(py_literal(direction))
        if p.is_retval:
            keywords.append("retval=True")
        if p.has_attr("optional"):
            keywords.append("optional=True")
        default = p.get_attr("defaultvalue")
        if default is not None and default.args and isinstance(default.args[0], Expr):
            lookup = self.symbols.lookup_value if self.symbols is not None else None
            value = evaluate_expression(default.args[0], lookup)
            if isinstance(value, bool | int | str) or (
                isinstance(value, float) and math.isfinite(value)
            ):
                keywords.append(f"default={py_literal(value)}")
            if "optional=True" not in keywords:
                keywords.append("optional=True")
        iid = p.get_attr("iid_is")
        if (
            iid is not None
            and iid.args
            and isinstance(iid.args[0], NameExpr)
            and iid.args[0].name in names
        ):
            keywords.append(f"iid_is={py_literal(iid.args[0].name)}")
        for attr in ("size_is", "length_is"):
            a = p.get_attr(attr)
            if a is not None and len(a.args) == 1 and isinstance(a.args[0], Expr):
                text = _size_expr(a.args[0], names, self.symbols)
                if text is not None:
                    keywords.append(f"{attr}={text}")
        return f"d.Param({', '.join(parts + keywords)})"

    def params(self, params: list[Param]) -> str:
        names = {p.name for p in params if p.name is not None}
        items = [self.param(p, i, names) for i, p in enumerate(params)]
        if not items:
            return "()"
        return f"({', '.join(items)},)"

    # ------------------------------------------------------------------ interfaces

    def interface_var(self, decl: Interface | DispInterface) -> str:
        """The variable describing *decl* (defined first, bases before it)."""
        if decl.name in _RUNTIME_INTERFACES:
            return _RUNTIME_INTERFACES[decl.name]
        var = self.vars.get(id(decl))
        if var is not None:
            return var
        self.vars[id(decl)] = "d.IUNKNOWN"  # a cycle (bad input) ends here
        if isinstance(decl, DispInterface):
            base_var, slots = "d.IDISPATCH", 7
            methods: list[str] = []
            dispatch = True
        else:
            base_var, slots, dispatch = self._base(decl)
            methods = []
            for i, m in enumerate(decl.methods):
                methods.append(self.method(m, slots + i))
        var = self.names.add(decl.name)
        self.vars[id(decl)] = var
        args = [py_literal(decl.name), py_literal(decl.uuid or ""), base_var]
        args.append(f"({', '.join(methods)},)" if methods else "()")
        if decl.file and decl.file != self.file.path:
            package = self.packages.get(decl.file) or package_name_for(decl.file)
            args.append(f"package={py_literal(package)}")
        if dispatch:
            args.append("dispatch=True")
        self.views.append(InterfaceView(var, args))
        return var

    def _base(self, decl: Interface) -> tuple[str, int, bool]:
        """(base variable, number of inherited slots, dispatch) of an interface."""
        dual = decl.has_attr("dual")
        if decl.base is None:
            return "d.IUNKNOWN", 0, dual  # IUnknown itself is described by the runtime
        name = decl.base.name
        if name in _RUNTIME_INTERFACES:
            return (
                _RUNTIME_INTERFACES[name],
                3 if name == "IUnknown" else 7,
                dual or name == "IDispatch",
            )
        base = self.types.interface(name)
        if not isinstance(base, Interface):
            return "d.IUNKNOWN", 3, dual
        var = self.interface_var(base)
        return var, _slot_count(base, self.types), dual or _is_dispatch(base, self.types)

    def method(self, m: Method, slot: int) -> str:
        args = [
            str(slot),
            py_literal(m.name),
            py_literal(self.types.code(m.return_type)),
            self.params(m.params),
        ]
        if m.kind != "method":
            args.append(f"kind={py_literal(m.kind)}")
        if m.id is not None:
            args.append(f"dispid={py_literal(m.id)}")
        return f"d.Method({', '.join(args)})"

    # ------------------------------------------------------------------ modules

    def function(self, fn: Function) -> str:
        args = [py_literal(fn.name), py_literal(self.types.code(fn.return_type))]
        args.append(self.params(fn.params))
        cc = fn.calling_convention
        if cc in _CDECL:
            args.append('"cdecl"')
        elif cc in _STDCALL:
            args.append('"stdcall"')
        return f"d.Function({', '.join(args)})"

    def module(self, m: Module) -> str:
        dll = m.get_attr("dllname")
        dllname: str | None = None
        if dll is not None and dll.args and isinstance(dll.args[0], Literal):
            value = dll.args[0].value
            dllname = value if isinstance(value, str) else None
        functions = [
            self.function(fn)
            for fn in m.body
            if isinstance(fn, Function) and is_identifier(fn.name)
        ]
        body = f"({', '.join(functions)},)" if functions else "()"
        return f"d.Module({py_literal(m.name)}, {py_literal(dllname)}, {body})"

    # ------------------------------------------------------------------ build

    def build(self) -> VtablesView | None:
        decls = list(defined_declarations(self.file))
        for decl in decls:
            if (
                isinstance(decl, Interface | DispInterface)
                and is_identifier(decl.name)
                and _describable(decl)
            ):
                self.interface_var(decl)
        modules = [self.module(m) for m in decls if isinstance(m, Module) and is_identifier(m.name)]
        # interfaces the described ones refer to (transitively)
        done: set[str] = set()
        while True:
            pending = [n for n in self.types.referenced if n not in done]
            if not pending:
                break
            for name in pending:
                done.add(name)
                self.interface_var(self.types.referenced[name])
        if not self.views and not modules:
            return None
        foreign = sorted(
            (py_literal(name), py_literal(self.packages.get(path) or package_name_for(path)))
            for name, path in self.types.layout_files.items()
            if path and path != self.file.path
        )
        source = safe_comment(os.path.basename(self.file.path))
        return VtablesView(
            header=f"# Generated by idlgen {__version__} from {source}. Do not edit.\n",
            doc=f"Vtable and function descriptions of {source} for :mod:`idlgen.runtime.native`.",
            interfaces=self.views,
            modules=modules,
            layout_packages=foreign,
        )


def _is_dispatch(decl: Interface, types: _Types) -> bool:
    seen: set[int] = set()
    node: Interface | None = decl
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if node.has_attr("dual") or node.name == "IDispatch":
            return True
        if node.base is None:
            return False
        if node.base.name == "IDispatch":
            return True
        found = types.interface(node.base.name)
        node = found if isinstance(found, Interface) else None
    return False


def _slot_count(decl: Interface, types: _Types) -> int:
    """Slots of the full vtable of *decl* (IUnknown's three included)."""
    count = 0
    seen: set[int] = set()
    node: Interface | None = decl
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        if node.name == "IUnknown":
            return count + 3
        if node.name == "IDispatch":
            return count + 7
        count += len(node.methods)
        if node.base is None:
            return count
        found = types.interface(node.base.name)
        if found is None and node.base.name in _RUNTIME_INTERFACES:
            return count + (3 if node.base.name == "IUnknown" else 7)
        node = found if isinstance(found, Interface) else None
    return count + 3


def render_vtables(
    program: Program,
    package: str,
    path: str | None = None,
    packages: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """``{"<package>/vtables.py": text}`` for the file *path* of *program* (a main file or an
    imported one; the only main file when None); ``{}`` when it declares no interface and no
    module.  *packages* maps the paths of the files generated in the same run to their
    packages (the package named for an interface from another file; else the file's name)."""
    files = {x.path: x for x in (*program.imports, *program.files)}
    f = files.get(path) if path is not None else (program.files[0] if program.files else None)
    if f is None:
        return {}
    builder = _Builder(program, f, package, packages or {})
    view = builder.build()
    if builder.sink.has_errors:
        raise CompileError(builder.sink.diagnostics)
    if view is None:
        return {}
    text = environment().get_template("abi/vtables.py.jinja").render(view=view)
    return {f"{package.replace('.', '/')}/vtables.py": format_python(text)}


def render_main_vtables(program: Program, package: str) -> dict[str, str]:
    """``vtables.py`` of the main file whose package is *package* (the ``abi`` kind without
    sibling packages)."""
    path: str | None = None
    if len(program.files) > 1:
        path = next((f.path for f in program.files if package_name_for(f.path) == package), None)
    return render_vtables(program, package, path)


def render_file_vtables(
    program: Program, package: str, packages: Mapping[str, str]
) -> dict[str, str]:
    """``vtables.py`` of the file whose package in the run is *package* (main or imported)."""
    path = next((p for p, name in packages.items() if name == package), None)
    return render_vtables(program, package, path, packages) if path is not None else {}


def type_code(t: TypeRef) -> str:
    """The type code of a resolved type (no program needed for the names it reaches)."""
    return _Types(Program()).code(t)
