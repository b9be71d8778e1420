"""The model as IDL reads, for every backend: type and expression spellings, and the
declarations a file defines (in source order, nested blocks flattened in place)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from idlgen.backends.common.naming import RESERVED_MODULE_NAMES, NameSpace, is_identifier
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

# --------------------------------------------------------------------------- class names


def class_names(f: IdlFile) -> set[str]:
    """The names the Python package of *f* may give its classes: the IDL name of each enum,
    struct, interface, dispinterface and coclass it defines, and the name the module-level
    renaming rule makes of it.  Both the stubs and the conformance suite keep member names
    off these (a member ``Color`` would hide the class ``Color`` in its class body)."""
    module = NameSpace(RESERVED_MODULE_NAMES)
    out: set[str] = set()
    for d in defined_declarations(f):
        if isinstance(d, Enum | Struct):
            name = d.typedef_name or d.name
        elif isinstance(d, Interface | DispInterface | CoClass):
            name = d.name
        else:
            continue
        if name is not None and is_identifier(name):
            out.add(name)
            out.add(module.add(name))
    return out


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


def vtable_methods(iface: Interface) -> list[Method]:
    """The methods of *iface* that have a vtable slot, in order: a ``[call_as(X)]`` method,
    the wire form of the ``[local]`` method ``X``, has none and is left out."""
    return [m for m in iface.methods if not m.has_attr("call_as")]


def defined_declarations(f: IdlFile) -> Iterator[Declaration]:
    """The declarations *f* defines itself, in source order: what ``idlgen dump`` lists and
    what the backends generate (see :mod:`idlgen.backends.dump.render`)."""
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
