"""The resolved facts of a parsed file, independent of declaration order.

:func:`resolved_facts` turns one resolved :class:`~idlgen.model.IdlFile` into a dict keyed by
declaration (kind, name, where it is written): what each type reference is bound to, every
vtable slot and DISPID, constant and enumerator values, array sizes and ``sizeof`` of every
typedef, bases and coclass members.  Two resolutions of the same declarations in different
orders must give equal dicts (``tests/test_forward_references.py``).
"""

from __future__ import annotations

from typing import Any

from idlgen.frontend.evaluate import evaluate_expression
from idlgen.frontend.symbols import SymbolTable
from idlgen.model import (
    ArrayType,
    CoClass,
    Const,
    Declaration,
    DispInterface,
    Enum,
    EnumMember,
    Expr,
    Field,
    Function,
    FunctionType,
    IdlFile,
    Interface,
    Library,
    Method,
    Module,
    NamedType,
    Namespace,
    Param,
    PointerType,
    SafeArrayType,
    SizeofExpr,
    Struct,
    TaggedType,
    Typedef,
    TypeRef,
    Union,
)


def where(d: Any) -> tuple[str, str | None, str, int, int]:
    """What a declaration is, by kind, name and place."""
    span = d.span
    return (type(d).__name__, getattr(d, "name", None), span.file, span.line, span.column)


def resolved_facts(f: IdlFile, symbols: SymbolTable | None) -> dict[tuple[Any, ...], Any]:
    """Every resolved fact of *f* (see the module docstring)."""
    lookup = symbols.lookup_value if symbols is not None else None
    facts: dict[tuple[Any, ...], Any] = {}

    def value(e: Expr | None) -> Any:
        return None if e is None else evaluate_expression(e, lookup)

    def type_facts(t: TypeRef, depth: int = 0) -> Any:
        if depth > 50:
            return "..."
        if isinstance(t, NamedType):
            target = where(t.target) if t.target is not None else None
            return ("named", t.name, target, [type_facts(a, depth + 1) for a in t.args])
        if isinstance(t, TaggedType):
            target = t.definition if t.definition is not None else t.target
            return ("tagged", t.keyword, t.tag, where(target) if target is not None else None)
        if isinstance(t, PointerType):
            return ("pointer", type_facts(t.target, depth + 1), t.is_const)
        if isinstance(t, ArrayType):
            return ("array", type_facts(t.element, depth + 1), value(t.size))
        if isinstance(t, SafeArrayType):
            return ("safearray", type_facts(t.element, depth + 1))
        if isinstance(t, FunctionType):
            return ("function", type_facts(t.return_type, depth + 1), params(t.params))
        return ("base", getattr(t, "name", type(t).__name__), t.is_const)

    def params(ps: list[Param]) -> list[Any]:
        return [(p.name, type_facts(p.type), attributes(p)) for p in ps]

    def attributes(node: Any) -> list[Any]:
        out = []
        for a in node.attributes:
            args = []
            for arg in a.args:
                if isinstance(arg, Expr):
                    args.append(value(arg))
                elif isinstance(arg, str):
                    args.append(arg)
                else:
                    args.append(type_facts(arg))
            out.append((a.name, args))
        return out

    def method(m: Method) -> Any:
        return (
            m.name,
            m.vtable_index,
            m.id,
            type_facts(m.return_type),
            params(m.params),
            attributes(m),
        )

    def fields(fs: list[Field]) -> list[Any]:
        return [
            (x.name, type_facts(x.type), value(x.bits), [value(c) for c in x.cases], x.id)
            for x in fs
        ]

    def declare(d: Declaration) -> None:
        key = where(d)
        if isinstance(d, Interface):
            base = where(d.base.target) if d.base is not None and d.base.target else None
            facts[key] = (base, [method(m) for m in d.methods], d.is_defined, attributes(d))
            for item in d.body:
                if isinstance(item, Declaration):
                    declare(item)
        elif isinstance(d, DispInterface):
            facts[key] = ([method(m) for m in d.methods], fields(d.properties))
        elif isinstance(d, CoClass):
            facts[key] = [(where(m.type.target) if m.type.target else None) for m in d.interfaces]
        elif isinstance(d, Enum):
            facts[key] = [(m.name, m.value) for m in d.members]
        elif isinstance(d, Struct | Union):
            facts[key] = fields(d.fields)
        elif isinstance(d, Typedef):
            size = evaluate_expression(SizeofExpr(NamedType(d.name, target=d)), lookup)
            facts[key] = (type_facts(d.type), size, attributes(d))
            inline = d.type
            while isinstance(inline, PointerType | ArrayType):
                inline = inline.target if isinstance(inline, PointerType) else inline.element
            if isinstance(inline, TaggedType) and inline.definition is not None:
                declare(inline.definition)
        elif isinstance(d, Const):
            facts[key] = (d.value, type_facts(d.type))
        elif isinstance(d, Function):
            facts[key] = (type_facts(d.return_type), params(d.params))
        elif isinstance(d, Library | Module | Namespace):
            for inner in d.body:
                declare(inner)

    for d in f.declarations:
        declare(d)
    return facts


def enumerators(f: IdlFile) -> list[EnumMember]:
    """Every enumerator *f* defines at top level (for spot checks)."""
    return [m for d in f.walk() if isinstance(d, Enum) for m in d.members]
