"""``idlgen dump``: the declarations of one file, as JSON (a contract) or as text.

The JSON form is documented in ``docs/dump-json.md``; other tools read it, so
its fields change only additively.  Both forms list the declarations
**defined in the file itself** (not those of its imports; those ``#include``d
into it are part of it), in source order, with those nested in
``library``/``module`` blocks (and typedefs/enums/consts nested in
interfaces) flattened in place.  Forward declarations are not listed.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from idlgen.backends.common.idl import (
    defined_declarations,
    expression_text,
    qualified_spelling,
    type_spelling,
    vtable_methods,
)
from idlgen.frontend import winrt
from idlgen.frontend.evaluate import Value, evaluate_expression
from idlgen.frontend.symbols import SymbolTable
from idlgen.model import (
    ApiContract,
    ArrayType,
    CoClass,
    Const,
    Declaration,
    Declare,
    Delegate,
    DispInterface,
    Enum,
    Expr,
    Field,
    Function,
    IdlFile,
    Interface,
    Library,
    Literal,
    Method,
    Module,
    NamedType,
    NameExpr,
    Param,
    PointerType,
    RuntimeClass,
    SafeArrayType,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    Union,
    inline_definition,
)

#: WinRT base interfaces of every runtime interface (not listed in ``requires``).
_WINRT_ROOTS = ("IUnknown", "IInspectable")

JsonObject = dict[str, Any]

# --------------------------------------------------------------------------- JSON


class _Dumper:
    def __init__(self, f: IdlFile, symbols: SymbolTable | None) -> None:
        self.file = f
        self.symbols = symbols
        #: id(function or const) -> the name of the ``module`` it is declared in
        self.module_of: dict[int, str] = {}

    def value(self, e: Expr | None) -> Value | None:
        if e is None:
            return None
        lookup = self.symbols.lookup_value if self.symbols is not None else None
        return evaluate_expression(e, lookup)

    def location(self, d: Declaration | Method | Field | Param) -> JsonObject:
        loc: JsonObject = {"line": d.span.line, "column": d.span.column}
        if d.span.file not in (self.file.path, "<builtin>") and d.span.line > 0:
            loc["file"] = d.span.file
        return loc

    def declarations(self, d: Declaration) -> list[JsonObject]:
        """The JSON objects for *d*: one, or one per instantiation of a ``declare`` block."""
        if isinstance(d, Declare):
            return [self.instantiation(t, d) for t in d.instantiations]
        out = self.declaration(d)
        out["namespace"] = d.namespace
        out["helpstring"] = d.helpstring
        return [out]

    def instantiation(self, t: NamedType, d: Declare) -> JsonObject:
        target = t.target
        generic = target.qualified_name if target is not None else t.name
        try:
            signature: str | None = winrt.signature(t)
        except winrt.SignatureError:
            signature = None
        return {
            "kind": "instantiation",
            "name": qualified_spelling(t),
            "location": {"line": t.span.line, "column": t.span.column},
            "namespace": d.namespace,
            "generic": generic,
            "generic_kind": "delegate" if isinstance(target, Delegate) else "interface",
            "args": [qualified_spelling(a) for a in t.args],
            "signature": signature,
            "iid": winrt.iid_from_signature(signature) if signature is not None else None,
            "c_name": winrt.instantiation_c_name(t),
        }

    def declaration(self, d: Declaration) -> JsonObject:
        if isinstance(d, Interface):
            requires = d.get_attr("requires")
            return {
                "kind": "interface",
                "name": d.name,
                "location": self.location(d),
                "uuid": d.uuid,
                "base": d.base.name if d.base is not None else None,
                "attributes": [a.name for a in d.attributes],
                "methods": [self.method(m) for m in vtable_methods(d)],
                "call_as_methods": [self.method(m) for m in d.methods if m.has_attr("call_as")],
                "type_params": list(d.type_params),
                "requires": [
                    qualified_spelling(a)
                    for a in (requires.args if requires is not None else [])
                    if isinstance(a, TypeRef)
                ],
            }
        if isinstance(d, RuntimeClass):
            return {
                "kind": "runtimeclass",
                "name": d.name,
                "location": self.location(d),
                "base": qualified_spelling(d.base) if d.base is not None else None,
                "attributes": [a.name for a in d.attributes],
                "interfaces": [
                    {
                        "name": qualified_spelling(m.type),
                        "default": m.is_default,
                        "attributes": [a.name for a in m.attributes],
                    }
                    for m in d.interfaces
                ],
            }
        if isinstance(d, Delegate):
            return {
                "kind": "delegate",
                "name": d.name,
                "location": self.location(d),
                "uuid": d.uuid,
                "attributes": [a.name for a in d.attributes],
                "type_params": list(d.type_params),
                "return_type": type_spelling(d.return_type),
                "params": [self.param(p) for p in d.params],
            }
        if isinstance(d, ApiContract):
            return {
                "kind": "apicontract",
                "name": d.name,
                "location": self.location(d),
                "attributes": [a.name for a in d.attributes],
                "version": _attr_text(d, "contractversion"),
            }
        if isinstance(d, DispInterface):
            return {
                "kind": "dispinterface",
                "name": d.name,
                "location": self.location(d),
                "uuid": d.uuid,
                "interface": d.interface.name if d.interface is not None else None,
                "attributes": [a.name for a in d.attributes],
                "methods": [self.method(m) for m in d.methods],
                "properties": [
                    {"name": p.name, "type": type_spelling(p.type), "id": p.id}
                    for p in d.properties
                ],
            }
        if isinstance(d, CoClass):
            return {
                "kind": "coclass",
                "name": d.name,
                "location": self.location(d),
                "uuid": d.uuid,
                "attributes": [a.name for a in d.attributes],
                "interfaces": [
                    {"name": m.type.name, "default": m.is_default, "source": m.is_source}
                    for m in d.interfaces
                ],
            }
        if isinstance(d, Enum):
            return {
                "kind": "enum",
                "name": d.typedef_name or d.name,
                "location": self.location(d),
                "tag": d.name,
                "typedef": d.typedef_name,
                "members": [{"name": m.name, "value": m.value} for m in d.members],
            }
        if isinstance(d, Struct | Union):
            out: JsonObject = {
                "kind": "struct" if isinstance(d, Struct) else "union",
                "name": d.typedef_name or d.name,
                "location": self.location(d),
                "tag": d.name,
                "typedef": d.typedef_name,
                "attributes": [a.name for a in d.attributes],
            }
            if isinstance(d, Union):
                out["switch_type"] = (
                    type_spelling(d.switch_type) if d.switch_type is not None else None
                )
                out["switch_name"] = d.switch_name
            out["fields"] = self.fields(d)
            return out
        if isinstance(d, Typedef):
            target = _alias_target(d.type)
            return {
                "kind": "typedef",
                "name": d.name,
                "location": self.location(d),
                "type": type_spelling(d.type),
                "attributes": [a.name for a in d.attributes],
                "uuid": d.uuid,
                "target": (
                    {"kind": _KINDS[type(target)], "name": _declared_name(target)}
                    if target is not None
                    else None
                ),
                "resolved_type": type_spelling(resolved_type(d.type)),
            }
        if isinstance(d, Const):
            return {
                "kind": "const",
                "name": d.name,
                "location": self.location(d),
                "type": type_spelling(d.type),
                "value": d.value,
                "module": self.module_of.get(id(d)),
            }
        if isinstance(d, Library | Module):
            out = {
                "kind": "library" if isinstance(d, Library) else "module",
                "name": d.name,
                "location": self.location(d),
                "uuid": d.uuid,
                "attributes": [a.name for a in d.attributes],
                "version": _attr_text(d, "version"),
            }
            if isinstance(d, Module):
                out["dllname"] = _attr_text(d, "dllname")
                out["functions"] = [f.name for f in d.body if isinstance(f, Function)]
                out["constants"] = [c.name for c in d.body if isinstance(c, Const)]
            return out
        if isinstance(d, Function):
            entry = d.get_attr("entry")
            entry_arg = entry.args[0] if entry is not None and entry.args else None
            entry_value = self.value(entry_arg) if isinstance(entry_arg, Expr) else None
            return {
                "kind": "function",
                "name": d.name,
                "location": self.location(d),
                "attributes": [a.name for a in d.attributes],
                "return_type": type_spelling(d.return_type),
                "params": [self.param(p) for p in d.params],
                "module": self.module_of.get(id(d)),
                "entry": entry_value if isinstance(entry_value, int | str) else None,
            }
        return {"kind": type(d).__name__.lower(), "name": d.name, "location": self.location(d)}

    def method(self, m: Method) -> JsonObject:
        call_as = m.get_attr("call_as")
        twin = call_as.args[0] if call_as is not None and call_as.args else None
        return {
            "name": m.name,
            "kind": _method_kind(m),
            "id": m.id,
            "return_type": type_spelling(m.return_type),
            "params": [self.param(p) for p in m.params],
            "helpstring": m.helpstring,
            "local": m.has_attr("local"),
            "call_as": twin.name if isinstance(twin, NameExpr | NamedType) else None,
        }

    def param(self, p: Param) -> JsonObject:
        default = None
        a = p.get_attr("defaultvalue")
        if a is not None and a.args and isinstance(a.args[0], Expr):
            default = self.value(a.args[0])
        return {
            "name": p.name,
            "type": type_spelling(p.type),
            "direction": p.direction,
            "retval": p.is_retval,
            "optional": p.is_optional,
            "default": default,
        }

    def fields(self, d: Struct | Union) -> list[JsonObject]:
        return [self.field(f, isinstance(d, Union)) for f in d.fields]

    def field(self, f: Field, in_union: bool) -> JsonObject:
        out: JsonObject = {"name": f.name, "type": type_spelling(f.type)}
        if f.bits is not None:
            out["bits"] = self.value(f.bits)
        if in_union:
            # an encapsulated union's `case x:` labels, or a plain one's [case(x, ...)]
            labels = f.cases or [
                e for a in f.attributes if a.name == "case" for e in a.args if isinstance(e, Expr)
            ]
            out["cases"] = [self.value(c) for c in labels]
            out["default"] = f.is_default or f.has_attr("default")
        inline = inline_definition(f.type)
        if isinstance(inline, Struct | Union):
            out["definition"] = {
                "kind": "struct" if isinstance(inline, Struct) else "union",
                "tag": inline.name,
                "fields": self.fields(inline),
            }
        return out


def _attr_text(d: Declaration, name: str) -> str | None:
    a = d.get_attr(name)
    if a is None or not a.args:
        return None
    arg = a.args[0]
    if isinstance(arg, str):
        return arg
    if isinstance(arg, Literal):
        if isinstance(arg.value, str) and arg.kind in ("string", "wstring"):
            return arg.value
        return arg.text or str(arg.value)
    if isinstance(arg, Expr):
        return expression_text(arg)
    return None


def _method_kind(m: Method) -> str:
    """``Method.kind``, and ``eventadd``/``eventremove`` for WinRT event accessors."""
    for kind in ("eventadd", "eventremove"):
        if m.has_attr(kind):
            return kind
    return m.kind


#: The dump's kind of each declaration class a typedef can end at.
_KINDS: dict[type, str] = {
    Interface: "interface",
    DispInterface: "dispinterface",
    CoClass: "coclass",
    Enum: "enum",
    Struct: "struct",
    Union: "union",
    RuntimeClass: "runtimeclass",
    Delegate: "delegate",
}


def _declared_name(d: Declaration) -> str | None:
    if isinstance(d, Enum | Struct | Union):
        return d.typedef_name or d.name
    return d.name


def _alias_target(t: TypeRef) -> Declaration | None:
    """The declaration type *t* names, looking through pointers, arrays and typedefs
    (None when it ends at a built-in type)."""
    seen: set[int] = set()
    while id(t) not in seen:
        seen.add(id(t))
        if isinstance(t, PointerType):
            t = t.target
        elif isinstance(t, ArrayType | SafeArrayType):
            t = t.element
        elif isinstance(t, NamedType) and isinstance(t.target, Typedef):
            t = t.target.type
        elif isinstance(t, NamedType | TaggedType):
            d = (t.definition or t.target) if isinstance(t, TaggedType) else t.target
            return d if type(d) in _KINDS else None
        else:
            return None
    return None


def resolved_type(t: TypeRef) -> TypeRef:
    """*t* with every typedef name replaced by the type it stands for (``LPBSTR`` ->
    ``wchar_t**``); a typedef that refers to itself through others is kept by name."""
    return _resolve(t, frozenset())


def _resolve(t: TypeRef, active: frozenset[int]) -> TypeRef:
    if isinstance(t, NamedType) and isinstance(t.target, Typedef) and id(t.target) not in active:
        inner = _resolve(t.target.type, active | {id(t.target)})
        return dataclasses.replace(inner, is_const=inner.is_const or t.is_const)
    if isinstance(t, PointerType):
        return dataclasses.replace(t, target=_resolve(t.target, active))
    if isinstance(t, ArrayType | SafeArrayType):
        return dataclasses.replace(t, element=_resolve(t.element, active))
    return t


def dump_json(f: IdlFile, symbols: SymbolTable | None = None) -> JsonObject:
    """The ``idlgen dump --json`` object for *f* (see ``docs/dump-json.md``)."""
    dumper = _Dumper(f, symbols)
    decls: list[JsonObject] = []
    defined = list(defined_declarations(f))
    for d in defined:
        if isinstance(d, Module):
            dumper.module_of.update({id(m): d.name for m in d.body})
    for d in defined:
        decls.extend(dumper.declarations(d))
    return {"file": f.path, "declarations": decls}


def dump_json_text(f: IdlFile, symbols: SymbolTable | None = None) -> str:
    """:func:`dump_json` serialised (2-space indent, trailing newline)."""
    return json.dumps(dump_json(f, symbols), indent=2) + "\n"


# --------------------------------------------------------------------------- text


def dump_text(f: IdlFile, symbols: SymbolTable | None = None) -> str:
    """A human-readable outline of the declarations of *f*."""
    data = dump_json(f, symbols)
    lines = [f"{data['file']}:"]
    for d in data["declarations"]:
        loc = d["location"]
        where = f"{loc.get('file', '')}{':' if 'file' in loc else ''}{loc['line']}"
        head = f"{d['kind']} {d['name']}"
        kind = d["kind"]
        if kind == "interface" and d["base"]:
            head += f" : {d['base']}"
        if kind == "typedef":
            head = f"typedef {d['type']} {d['name']}"
        if kind == "const":
            head = f"const {d['type']} {d['name']} = {d['value']!r}"
        if d.get("namespace") and kind != "instantiation":
            head = head.replace(f" {d['name']}", f" {d['namespace']}.{d['name']}", 1)
        if d.get("uuid") or d.get("iid"):
            head += f"  {{{d.get('uuid') or d.get('iid')}}}"
        lines.append(f"  {head}  (line {where})")
        for m in d.get("methods", []):
            lines.append("    " + _method_text(m))
        for p in d.get("properties", []):
            did = f"[id {p['id']}] " if p["id"] is not None else ""
            lines.append(f"    {did}property {p['type']} {p['name']}")
        for i in d.get("interfaces", []):
            flags = ", ".join(k for k in ("default", "source") if i.get(k))
            lines.append(f"    {'[' + flags + '] ' if flags else ''}{i['name']}")
        for mem in d.get("members", []):
            lines.append(f"    {mem['name']} = {mem['value']}")
        for fld in d.get("fields", []):
            lines.append(f"    {fld['type']} {fld['name'] or ''}".rstrip())
        if kind == "function":
            lines.append("    " + _method_text({**d, "kind": "function", "id": None}))
    return "\n".join(lines) + "\n"


def _method_text(m: JsonObject) -> str:
    params = []
    for p in m["params"]:
        flags = [p["direction"]]
        if p["retval"]:
            flags.append("retval")
        if p["optional"]:
            flags.append("optional")
        if p["default"] is not None:
            flags.append(f"default={p['default']!r}")
        params.append(f"[{', '.join(flags)}] {p['type']} {p['name'] or ''}".rstrip())
    did = f"[id {m['id']}] " if m.get("id") is not None else ""
    kind = "" if m["kind"] in ("method", "function") else m["kind"] + " "
    return f"{did}{kind}{m['return_type']} {m['name']}({', '.join(params)})"
