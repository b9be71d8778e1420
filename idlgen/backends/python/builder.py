"""Build the views of one generated package from the model (every decision is made here).

:class:`PackageBuilder` claims the Python name and module of every generated class (pass 1,
:meth:`~PackageBuilder.claim_names`), then fills the module views (pass 2,
:meth:`~PackageBuilder.build`): annotations through the type map, defaults, imports, the
member metadata and what black would do with long lines.  :mod:`.render` turns the views into
text.

Only declarations of the main files are generated; imported declarations are
referenced through the type map (``IUnknown``/``IDispatch`` come from
:mod:`idlgen.runtime`, other imported interfaces are typed as the nearest of
those two, imported enums as ``int``), except the imported structs and unions the
file uses: they are copied into its ``structs`` module (unless ``--with-imports``
generates their own package).
"""

from __future__ import annotations

import os

from idlgen.backends.common.idl import (
    class_names,
    defined_declarations,
    type_spelling,
    vtable_methods,
)
from idlgen.backends.common.naming import (
    RESERVED_MODULE_NAMES,
    RESERVED_PARAM_NAMES,
    NameSpace,
    enum_namespace,
    is_identifier,
    member_reserved_names,
)
from idlgen.backends.python.literals import (
    clean_doc,
    docstring,
    hex_literal,
    hresult_value,
    is_flag_enum,
    joined_docstring,
    py_literal,
    safe_comment,
)
from idlgen.backends.python.typemap import (
    MAX_TYPE_NESTING,
    NAMED_TYPES,
    RUNTIME_INTERFACES,
    ClassSymbol,
    TypeMapper,
    is_void,
    strip_aliases,
)
from idlgen.backends.python.views import (
    MODULE_ORDER,
    CoClassView,
    DllModuleView,
    EnumView,
    FieldView,
    Imports,
    InterfaceView,
    MemberInfoView,
    MethodView,
    ModuleView,
    ParamView,
    PropertyView,
    SinkView,
    StructView,
)
from idlgen.diagnostics import NO_SPAN, DiagnosticSink, Span
from idlgen.frontend.evaluate import evaluate_expression
from idlgen.frontend.symbols import SymbolTable
from idlgen.model import (
    BaseType,
    CoClass,
    Const,
    Declaration,
    DispInterface,
    Enum,
    Expr,
    Field,
    Function,
    IdlFile,
    Interface,
    Literal,
    Method,
    Module,
    NamedType,
    Namespace,
    Param,
    PointerType,
    RuntimeClass,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    Union,
    inline_definition,
)

_COM_ERROR_NOTE = "A failed HRESULT is raised as :class:`idlgen.runtime.COMError`."


# --------------------------------------------------------------------------- the builder


def _doc(text: str | None) -> str | None:
    if text is None:
        return None
    cleaned = clean_doc(text)
    return docstring(cleaned) if cleaned else None


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


class PackageBuilder(TypeMapper):
    """Builds the module views of one package from one main file."""

    def __init__(
        self,
        f: IdlFile,
        symbols: SymbolTable | None,
        package: str,
        external: dict[int, tuple[str, ClassSymbol]] | None = None,
    ) -> None:
        self.file = f
        #: classes generated in other packages of the same run: id(decl) -> (package, symbol)
        self.external = external if external is not None else {}
        self._aliases: dict[tuple[str, str], str] = {}
        self.symbols = symbols
        self.package = package
        self.sink = DiagnosticSink()
        self.names = NameSpace(RESERVED_MODULE_NAMES)
        self.classes: dict[int, ClassSymbol] = {}  # id(decl) -> generated class
        self.pending: list[Struct | Union] = []
        self._generated: set[int] = set()  # the structs and unions generated so far
        self.opaque: dict[tuple[str, str], ClassSymbol] = {}
        #: the Python name of each enumerator of a generated enum: id(member) -> name
        self.enum_member_names: dict[int, str] = {}
        self._member_reserved: frozenset[str] | None = None
        self._field_reserved: frozenset[str] | None = None
        self._member_stems: frozenset[str] | None = None
        self.decls = list(defined_declarations(f))
        #: the files of this compilation (the main file and what it #includes)
        self.own_files = {d.file for d in self.decls}
        self.modules = {m: ModuleView(m, "", Imports(m)) for m in MODULE_ORDER}

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
        # `typedef struct { ... } *PX;`: the struct is named after the typedef
        declarator: dict[int, str] = {}
        for d in self.decls:
            if isinstance(d, Typedef) and (inline := inline_definition(d.type)) is not None:
                declarator.setdefault(id(inline), d.name)
        for d in self.decls:
            if isinstance(d, Namespace | RuntimeClass):
                self.sink.error(d.span, "WinRT IDL is not generated yet (classic COM IDL only)")
                continue
            if isinstance(d, Enum):
                name = d.typedef_name or d.name
                if name is not None and self._valid(name, d, "enum"):
                    sym = ClassSymbol(self.names.add(name), "enums")
                    self.classes[id(d)] = sym
                    self._claim_enum_members(d, sym.name)
            elif isinstance(d, Struct | Union):
                name = d.typedef_name or d.name or declarator.get(id(d))
                kind = "struct" if isinstance(d, Struct) else "union"
                if name is not None and self._valid(name, d, kind):
                    self.classes[id(d)] = ClassSymbol(self.names.add(name), "structs")
            elif isinstance(d, Interface):
                if d.name in RUNTIME_INTERFACES:
                    continue  # the runtime's IUnknown/IDispatch stand for these
                if not self._is_com(d) or not self._valid(d.name, d, "interface"):
                    continue
                module = "events" if id(d) in source_ids else "interfaces"
                self.classes[id(d)] = ClassSymbol(self.names.add(d.name), module)
            elif isinstance(d, DispInterface):
                if not self._valid(d.name, d, "dispinterface"):
                    continue
                module = "events" if id(d) in source_ids else "interfaces"
                self.classes[id(d)] = ClassSymbol(self.names.add(d.name), module)
            elif (
                isinstance(d, CoClass)
                and self._valid(d.name, d, "coclass")
                and _uuid_text(d) is not None
            ):
                self.classes[id(d)] = ClassSymbol(self.names.add(d.name), "coclasses")

    def _claim_enum_members(self, d: Enum, class_name: str) -> None:
        """Name the members of the enum class *class_name* (one scope, so a renamed member
        never takes the name of another: ``name``/``name_`` become ``name_``/``name__``)."""
        space = enum_namespace(class_name)
        for m in d.members:
            if isinstance(m.value, int) and is_identifier(m.name):
                self.enum_member_names[id(m)] = space.add(m.name)

    def _member_namespace(self) -> NameSpace:
        """The scope of an interface or event sink body: no member may hide a class of this
        package or one imported from another (see :func:`member_namespace`)."""
        if self._member_reserved is None:
            self._member_reserved = member_reserved_names(self._module_class_names())
        return NameSpace(self._member_reserved)

    def _field_namespace(self) -> NameSpace:
        """The scope of a struct's dataclass body: like a class body, without the runtime's
        attributes (a dataclass has no runtime base)."""
        if self._field_reserved is None:
            self._field_reserved = frozenset({*RESERVED_MODULE_NAMES, *self._module_class_names()})
        return NameSpace(self._field_reserved)

    def _module_class_names(self) -> set[str]:
        names = class_names(self.file)
        names.update(sym.name for sym in self.classes.values())
        names.update(sym.name for _, sym in self.external.values())
        return names

    def type_too_deep(self, t: TypeRef) -> None:
        """Report a type whose element types nest deeper than Python can write."""
        self.sink.error(
            _span(t),
            f"type nested too deeply to generate (more than {MAX_TYPE_NESTING} levels of "
            "arrays or SAFEARRAYs)",
        )

    def member_stems(self) -> frozenset[str]:
        """Every member name of this file's classes, trailing ``_`` removed (and the
        ``set_``/``setref_`` names of indexed properties): an import alias avoids them."""
        if self._member_stems is None:
            names: set[str] = set()
            for d in self.decls:
                if isinstance(d, Interface | DispInterface):
                    names.update(m.name for m in d.methods if m.name)
                if isinstance(d, DispInterface):
                    names.update(f.name for f in d.properties if f.name)
                if isinstance(d, Struct):
                    names.update(f.name for f in d.fields if f.name)
            names.update([f"set_{n}" for n in names] + [f"setref_{n}" for n in names])
            self._member_stems = frozenset(n.rstrip("_") for n in names)
        return self._member_stems

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
            member_name = self.enum_member_names.get(id(member)) if member is not None else None
            if member_name is not None:
                return annotation, f"{sym.name}.{member_name}"
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
        self, m: Method | Function, name: str, imp: Imports
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
            elif isinstance(d, Struct | Union) and id(d) in self.classes:
                self._struct(d)
            elif isinstance(d, Interface | DispInterface) and id(d) in self.classes:
                if self.classes[id(d)].module == "events":
                    self._sink(d)
                else:
                    self._interface(d)
            elif isinstance(d, CoClass) and id(d) in self.classes:
                self._coclass(d)
            elif isinstance(d, Module) and self._valid(d.name, d, "module"):
                self._dll_module(d)
        for d in self.decls:
            if isinstance(d, Typedef) and self._valid(d.name, d, "typedef"):
                self._alias(d)
        # structs and unions given a class on the way (imported, or defined in a field);
        # generating them may give more
        while self.pending:
            d = self.pending.pop(0)
            if id(d) not in self._generated:
                self._struct(d)
        for sym in self.opaque.values():
            doc = _doc("Declared but not defined in the IDL: an opaque type, used by pointer.")
            self.modules["structs"].structs.append(StructView(sym.name, doc, [], opaque=True))
            self.modules["structs"].exports.append(sym.name)
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
        for m in members:
            if not isinstance(m.value, int):
                continue
            lit = hex_literal(m.value) if is_errors else py_literal(m.value)
            const_name = self.names.add(m.name)
            if sym is not None:
                mname = self.enum_member_names[id(m)]
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

    def _struct(self, d: Struct | Union) -> None:
        """A dataclass for struct or union *d*.  The arms of a union (and of an anonymous
        union member of a struct, reachable by their C names) are keyword arguments that
        default to None: a value sets the one in use."""
        mod = self.modules["structs"]
        imp = mod.imports
        sym = self.classes[id(d)]
        self._generated.add(id(d))
        imp.modules.add("dataclasses")
        ns = self._field_namespace()
        fields: list[FieldView] = []
        arms: list[str] = []
        is_union = isinstance(d, Union)
        if (
            isinstance(d, Union)
            and d.switch_type is not None
            and d.switch_name is not None
            and self._valid(d.switch_name, d, "discriminant")
        ):
            switch = self.annotation(d.switch_type, imp)
            fields.append(FieldView(ns.add(d.switch_name), switch))
        self._fields(d.fields, sym.name, ns, imp, fields, arms, in_union=is_union)
        notes: list[str | None] = [d.helpstring]
        if is_union:
            notes.append("A union: set the arm in use (the others stay None).")
        elif arms:
            notes.append(f"{', '.join(arms)}: arms of an anonymous union (set the one in use).")
        if d.file and d.file not in self.own_files:
            notes.append(f"Copied from {os.path.basename(d.file)}, an imported file.")
        doc = joined_docstring(*notes) if any(notes) else None
        mod.exports.append(sym.name)
        kw_only = any(f.default is not None for f in fields)
        mod.structs.append(StructView(sym.name, doc, fields, kw_only=kw_only))

    def _fields(
        self,
        fields: list[Field],
        owner: str,
        ns: NameSpace,
        imp: Imports,
        out: list[FieldView],
        arms: list[str],
        *,
        in_union: bool,
    ) -> None:
        """The field views of *fields* (appended to *out*); the members of an anonymous
        struct or union member are fields of their own (C's names reach them)."""
        for i, f in enumerate(fields):
            inline = f.type.definition if isinstance(f.type, TaggedType) else None
            defined = isinstance(inline, Struct | Union) and inline.is_defined
            if f.name is None and defined and isinstance(inline, Struct | Union):
                nested = in_union or isinstance(inline, Union)
                self._fields(inline.fields, owner, ns, imp, out, arms, in_union=nested)
                continue
            if f.name is None and is_void(f.type):
                continue  # an empty arm (`default: ;`)
            fname = f.name if f.name is not None else f"anonymous{i}"
            if not self._valid(fname, f, "field"):
                fname = f"field{i}"
            if (
                isinstance(inline, Struct | Union)
                and defined
                and not (inline.typedef_name or inline.name)
            ):
                # `struct { ... } x;`: a class of its own, named after the field
                self.record_class(inline, imp, hint=f"{owner}_{fname}")
            annotation = self._field_type(f, imp)
            name = ns.add(fname)
            if in_union:
                out.append(FieldView(name, _optional(annotation), "None"))
                arms.append(name)
            else:
                out.append(FieldView(name, annotation))

    def _alias(self, d: Typedef) -> None:
        """``Alias: TypeAlias = Class`` for a typedef of a class (through pointers and other
        typedefs: ``typedef IFoo *LPFOO``), at the end of the class's module."""
        end = _alias_end(d.type)
        if end is None:
            return
        decl = end.target if isinstance(end, NamedType) else (end.definition or end.target)
        has_class = (
            isinstance(decl, Struct | Union)  # always a class: generated, copied or opaque
            or (isinstance(end, TaggedType) and end.keyword != "enum")
            or (decl is not None and (id(decl) in self.classes or id(decl) in self.external))
            or (decl is None and isinstance(end, NamedType) and end.name in RUNTIME_INTERFACES)
            or (isinstance(decl, Interface) and decl.name in RUNTIME_INTERFACES)
        )
        if not has_class:
            return  # an imported enum (int), an interface without a class of its own ...
        target = self.annotation(end, Imports(""), runtime=True)  # gives the class if need be
        if decl is not None and id(decl) in self.classes:
            module = self.classes[id(decl)].module
        elif decl is not None and id(decl) in self.external:
            module = _module_of_kind(decl)
        elif isinstance(end, TaggedType) or isinstance(decl, Struct | Union):
            module = "structs"  # an opaque class
        else:
            module = "interfaces"  # the runtime's IUnknown or IDispatch
        mod = self.modules[module]
        self.annotation(end, mod.imports, runtime=True)
        if target == d.name:
            return  # `typedef struct X X`: the class has the name already
        name = self.names.add(d.name)
        mod.imports.typing.add("TypeAlias")
        mod.aliases.append((name, target))
        mod.exports.append(name)

    def _dll_module(self, d: Module) -> None:
        """A class for IDL module *d*: its constants, and its functions as signatures that
        raise, saying how to call them through the native runtime."""
        mod = self.modules["modules"]
        imp = mod.imports
        name = self.names.add(d.name)
        ns = NameSpace({*self._member_namespace().reserved, "_dllname_"})
        dll = d.get_attr("dllname")
        dll_arg = dll.args[0] if dll is not None and dll.args else None
        dllname = dll_arg.value if isinstance(dll_arg, Literal) else None
        consts: list[tuple[str, str]] = []
        functions: list[tuple[MethodView, list[str]]] = []
        for member in d.body:
            if isinstance(member, Const) and self._valid(member.name, member, "constant"):
                if _literal_ok(member.value):
                    consts.append((ns.add(member.name), py_literal(member.value)))
            elif isinstance(member, Function) and self._valid(member.name, member, "function"):
                fname = ns.add(member.name)
                view, _ = self._method_view(member, fname, imp)
                view.has_self = False
                view.dummy_body = False
                where = f"exported by {dllname}" if isinstance(dllname, str) else "a DLL function"
                error = [
                    f"{name}.{fname} is {where}; these stubs only describe it. ",
                    "Call it through the native runtime: ",
                    "idlgen.runtime.native.load(<path of the DLL>)",
                    f".bind(<this package, generated with --emit abi>).{fname}(...)",
                ]
                functions.append((view, [py_literal(part) for part in error]))
        if consts:
            imp.typing.add("Final")
        imp.typing.add("ClassVar")
        doc = joined_docstring(
            d.helpstring or f"The {d.name} module.",
            (
                "Its functions are signatures only: calling one needs the native runtime\n"
                "(idlgen.runtime.native: ``load(dll).bind(package)``)."
            )
            if functions
            else None,
        )
        mod.dll_modules.append(
            DllModuleView(
                name,
                doc,
                py_literal(dllname if isinstance(dllname, str) else None),
                consts,
                functions,
            )
        )
        mod.exports.append(name)

    def _field_type(self, f: Field, imp: Imports) -> str:
        t = strip_aliases(f.type)
        sized = f.has_attr("size_is") or f.has_attr("length_is")
        if isinstance(t, PointerType) and sized and not self._is_char(strip_aliases(t.target)):
            imp.abc_types.add("Sequence")
            return f"Sequence[{self.annotation(t.target, imp)}]"
        ann = self.annotation(f.type, imp)
        if isinstance(t, PointerType) and ann not in ("object", "str"):
            return _optional(ann)
        return ann

    def _base_of(self, d: Interface, imp: Imports) -> str:
        base = d.base.target if d.base is not None else None
        generated = self.generated_class(base, imp, runtime=True)
        if generated is not None:
            return generated
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
        members_ns = self._member_namespace()
        if isinstance(d, Interface):
            bases = [self._base_of(d, imp)]
            infos, items = self._interface_items(vtable_methods(d), imp, members_ns)
        else:
            bases, infos, items = self._dispinterface_items(d, imp, members_ns)
        if any(i.params for i in infos):
            imp.runtime.add("ParamInfo")
        kind = "dispinterface" if isinstance(d, DispInterface) else "interface"
        doc = joined_docstring(d.helpstring or f"The {d.name} {kind}.", _COM_ERROR_NOTE)
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
        ns = self._member_namespace()
        events: list[tuple[str, str]] = []
        methods: list[MethodView] = []
        for m in vtable_methods(d) if isinstance(d, Interface) else d.methods:
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
        doc = joined_docstring(
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
        t = strip_aliases(p.type)
        if not isinstance(t, PointerType):
            return False
        inner = strip_aliases(t.target)
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
            if tname in (outgoing if member.is_source else interfaces):
                continue  # listed twice: a class cannot have the same base twice
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
        doc = joined_docstring(
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


def _alias_end(t: TypeRef) -> NamedType | TaggedType | None:
    """What a typedef names, through pointers and typedefs (None for anything else:
    arrays, built-in types, the type map's own names such as ``BSTR``)."""
    seen: set[int] = set()
    while id(t) not in seen:
        seen.add(id(t))
        if isinstance(t, PointerType):
            t = t.target
        elif isinstance(t, NamedType) and t.name in NAMED_TYPES:
            return None
        elif isinstance(t, NamedType) and isinstance(t.target, Typedef):
            t = t.target.type
        elif isinstance(t, NamedType | TaggedType):
            return t
        else:
            return None
    return None


def _module_of_kind(d: Declaration) -> str:
    """The generated module a class of this kind lives in (for another package's class)."""
    if isinstance(d, Enum):
        return "enums"
    if isinstance(d, Struct | Union):
        return "structs"
    if isinstance(d, CoClass):
        return "coclasses"
    return "interfaces"
