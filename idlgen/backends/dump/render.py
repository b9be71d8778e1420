"""``idlgen dump``: the declarations of one file, as JSON (a contract) or as text.

The JSON form is documented in ``docs/dump-json.md``; other tools read it, so
its fields change only additively.  Both forms list the declarations
**defined in the file itself** (not those of its imports; those ``#include``d
into it are part of it), in source order, with those nested in
``library``/``module`` blocks (and typedefs/enums/consts nested in
interfaces) flattened in place.  Forward declarations are not listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from idlgen.frontend import winrt
from idlgen.frontend.resolve import SymbolTable, Value, evaluate_expression
from idlgen.model import (
    C_BINARY_PRECEDENCE,
    ApiContract,
    ArrayType,
    BaseType,
    BinaryExpr,
    CastExpr,
    CoClass,
    ConditionalExpr,
    Const,
    Declaration,
    Declare,
    Delegate,
    DispInterface,
    Enum,
    Expr,
    Field,
    Function,
    FunctionType,
    IdlFile,
    Interface,
    Library,
    Literal,
    MemberExpr,
    Method,
    Module,
    NamedType,
    NameExpr,
    Namespace,
    Param,
    PointerType,
    RuntimeClass,
    SafeArrayType,
    SizeofExpr,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    UnaryExpr,
    Union,
    inline_definition,
)

#: WinRT base interfaces of every runtime interface (not listed in ``requires``).
_WINRT_ROOTS = ("IUnknown", "IInspectable")

JsonObject = dict[str, Any]

# --------------------------------------------------------------------------- spelling


def type_spelling(t: TypeRef) -> str:
    """A C-like spelling of *t*: ``IDispatch**``, ``BSTR``, ``SAFEARRAY(BSTR)``."""
    if isinstance(t, PointerType):
        if isinstance(t.target, FunctionType):
            f = t.target
            cc = f"{f.calling_convention} " if f.calling_convention else ""
            params = ", ".join(_param_spelling(p) for p in f.params)
            text = f"{type_spelling(f.return_type)} ({cc}*)({params})"
        else:
            text = type_spelling(t.target) + "*"
        return text + " const" if t.is_const else text
    if isinstance(t, ArrayType):
        size = "" if t.size is None else expression_text(t.size)
        return f"{type_spelling(t.element)}[{size}]"
    if isinstance(t, FunctionType):
        params = ", ".join(_param_spelling(p) for p in t.params)
        return f"{type_spelling(t.return_type)} ({params})"
    if isinstance(t, SafeArrayType):
        text = f"SAFEARRAY({type_spelling(t.element)})"
    elif isinstance(t, NamedType):
        text = t.name
        if t.args:
            text += "<" + ", ".join(type_spelling(a) for a in t.args) + ">"
    elif isinstance(t, TaggedType):
        text = f"{t.keyword} {t.tag}" if t.tag else t.keyword
    elif isinstance(t, BaseType):
        text = t.name
    else:  # pragma: no cover - every TypeRef kind is handled above
        text = type(t).__name__
    return "const " + text if t.is_const else text


def qualified_spelling(t: TypeRef) -> str:
    """Like :func:`type_spelling`, but names of WinRT declarations are namespace-qualified
    (``Windows.Foundation.Collections.IVector<Windows.Foundation.Uri*>``)."""
    if isinstance(t, PointerType) and not isinstance(t.target, FunctionType):
        text = qualified_spelling(t.target) + "*"
        return text + " const" if t.is_const else text
    if isinstance(t, NamedType):
        target = t.target
        text = target.qualified_name or t.name if target is not None else t.name
        if t.args:
            text += "<" + ", ".join(qualified_spelling(a) for a in t.args) + ">"
        return "const " + text if t.is_const else text
    return type_spelling(t)


def _param_spelling(p: Param) -> str:
    text = type_spelling(p.type)
    return f"{text} {p.name}" if p.name else text


def expression_text(e: Expr) -> str:
    """C source text for *e* (parenthesised only where needed)."""
    return _expr(e, 0)


def _expr(e: Expr, outer: int) -> str:
    if isinstance(e, Literal):
        if e.text:
            return e.text
        return json.dumps(e.value) if isinstance(e.value, str) else str(e.value)
    if isinstance(e, NameExpr):
        return e.name
    if isinstance(e, UnaryExpr):
        return e.op + _expr(e.operand, 11)
    if isinstance(e, BinaryExpr):
        prec = C_BINARY_PRECEDENCE.get(e.op, 0)
        text = f"{_expr(e.left, prec)} {e.op} {_expr(e.right, prec + 1)}"
        return f"({text})" if prec < outer else text
    if isinstance(e, ConditionalExpr):
        text = f"{_expr(e.cond, 1)} ? {_expr(e.then, 0)} : {_expr(e.otherwise, 0)}"
        return f"({text})" if outer > 0 else text
    if isinstance(e, CastExpr):
        return f"({type_spelling(e.type)}){_expr(e.operand, 11)}"
    if isinstance(e, SizeofExpr):
        return f"sizeof({type_spelling(e.type)})"
    if isinstance(e, MemberExpr):
        return f"{_expr(e.base, 12)}{'->' if e.arrow else '.'}{e.member}"
    return "?"  # pragma: no cover


# --------------------------------------------------------------------------- walking


def defined_declarations(f: IdlFile) -> Iterator[Declaration]:
    """The declarations :mod:`dump` lists for *f*, in source order (see module doc)."""
    emitted: set[int] = set()
    yield from _walk(f.declarations, emitted)


def _walk(decls: list[Declaration], emitted: set[int]) -> Iterator[Declaration]:
    for d in decls:
        if id(d) in emitted:
            continue
        if isinstance(d, Library | Module | Namespace):
            emitted.add(id(d))
            if not isinstance(d, Namespace):
                yield d
            yield from _walk(d.body, emitted)
        elif isinstance(d, Interface):
            if not d.is_defined:
                continue
            emitted.add(id(d))
            yield d
            yield from _walk([i for i in d.body if isinstance(i, Declaration)], emitted)
        elif isinstance(
            d,
            DispInterface | CoClass | Struct | Union | Enum | RuntimeClass | Delegate | ApiContract,
        ):
            if d.is_defined:
                emitted.add(id(d))
                yield d
        elif isinstance(d, Declare):
            emitted.add(id(d))
            yield d
        elif isinstance(d, Typedef):
            inline = inline_definition(d.type)
            if inline is not None and id(inline) not in emitted and inline.is_defined:
                emitted.add(id(inline))
                yield inline
            if inline is not None and inline.typedef_name == d.name:
                continue  # the typedef is the definition's own name
            emitted.add(id(d))
            yield d
        elif isinstance(d, Const | Function):
            emitted.add(id(d))
            yield d


# --------------------------------------------------------------------------- JSON


class _Dumper:
    def __init__(self, f: IdlFile, symbols: SymbolTable | None) -> None:
        self.file = f
        self.symbols = symbols

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
                "methods": [self.method(m) for m in d.methods if not m.has_attr("call_as")],
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
            out["fields"] = [self.field(f, isinstance(d, Union)) for f in d.fields]
            return out
        if isinstance(d, Typedef):
            return {
                "kind": "typedef",
                "name": d.name,
                "location": self.location(d),
                "type": type_spelling(d.type),
                "attributes": [a.name for a in d.attributes],
                "uuid": d.uuid,
            }
        if isinstance(d, Const):
            return {
                "kind": "const",
                "name": d.name,
                "location": self.location(d),
                "type": type_spelling(d.type),
                "value": d.value,
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
            return out
        if isinstance(d, Function):
            return {
                "kind": "function",
                "name": d.name,
                "location": self.location(d),
                "attributes": [a.name for a in d.attributes],
                "return_type": type_spelling(d.return_type),
                "params": [self.param(p) for p in d.params],
            }
        return {"kind": type(d).__name__.lower(), "name": d.name, "location": self.location(d)}

    def method(self, m: Method) -> JsonObject:
        return {
            "name": m.name,
            "kind": m.kind,
            "id": m.id,
            "return_type": type_spelling(m.return_type),
            "params": [self.param(p) for p in m.params],
            "helpstring": m.helpstring,
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

    def field(self, f: Field, in_union: bool) -> JsonObject:
        out: JsonObject = {"name": f.name, "type": type_spelling(f.type)}
        if f.bits is not None:
            out["bits"] = self.value(f.bits)
        if in_union:
            out["cases"] = [self.value(c) for c in f.cases]
            out["default"] = f.is_default
        return out


def _attr_text(d: Declaration, name: str) -> str | None:
    a = d.get_attr(name)
    if a is None or not a.args:
        return None
    arg = a.args[0]
    if isinstance(arg, str):
        return arg
    if isinstance(arg, Literal):
        return arg.text or str(arg.value)
    if isinstance(arg, Expr):
        return expression_text(arg)
    return None


def dump_json(f: IdlFile, symbols: SymbolTable | None = None) -> JsonObject:
    """The ``idlgen dump --json`` object for *f* (see ``docs/dump-json.md``)."""
    dumper = _Dumper(f, symbols)
    decls: list[JsonObject] = []
    for d in defined_declarations(f):
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
