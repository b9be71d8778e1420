"""Constant expressions with C semantics: ``const`` values, enumerators, ``#if``-free attribute
arguments (``id(...)``), with the casts, sizes and integer widths widl applies."""

from __future__ import annotations

import math
from collections.abc import Callable

from idlgen.diagnostics import Span
from idlgen.model import (
    ArrayType,
    BaseType,
    BinaryExpr,
    CastExpr,
    ConditionalExpr,
    Const,
    EnumMember,
    Expr,
    Literal,
    MemberExpr,
    NamedType,
    NameExpr,
    PointerType,
    SizeofExpr,
    TaggedType,
    Typedef,
    TypeRef,
    UnaryExpr,
)

Value = int | float | str


#: Constants widl knows without a declaration (its lexer's TRUE/FALSE keywords).
BUILTIN_CONSTANTS: dict[str, int] = {"TRUE": 1, "FALSE": 0}


#: Finds the constant or enumerator a name in an expression refers to.
ValueLookup = Callable[[str], "Const | EnumMember | None"]


def evaluate_expression(e: Expr, lookup: ValueLookup | None = None) -> Value | None:
    """Evaluate a constant expression with C semantics; None when it is not constant.

    *lookup* resolves names (constants, enumerators); without it names are not constant.
    """
    try:
        return evaluate_strict(e, lookup)
    except NotConstant:
        return None


def evaluate_strict(e: Expr, lookup: ValueLookup | None) -> Value:
    """Evaluate *e*; raise :class:`NotConstant` (with a position) when it is not constant.

    Every integer result, literals included, must fit in 64 bits (signed or unsigned) and
    every floating-point result must be finite: anything else is an error, so values stay
    small (and arithmetic quick) however the constants are chained.
    """
    if isinstance(e, Literal):
        v = e.value
        if isinstance(v, int) and v > _MAX_INTEGER_CONSTANT:
            raise NotConstant(e.span, "integer constant is too large in {what}")
        if isinstance(v, float) and not math.isfinite(v):
            raise NotConstant(e.span, "floating constant is out of range in {what}")
        if e.kind == "char" and isinstance(v, str):
            return ord(v[0]) if v else 0
        return v
    if isinstance(e, NameExpr):
        target = lookup(e.name) if lookup is not None else None
        if target is None and e.name in BUILTIN_CONSTANTS:
            return BUILTIN_CONSTANTS[e.name]
        if target is None:
            raise NotConstant(e.span, f"use of undeclared identifier '{e.name}' in {{what}}")
        value = target.value
        if value is None:
            raise NotConstant(e.span, f"'{e.name}' has no constant value")
        return value
    if isinstance(e, UnaryExpr):
        return _in_range(_unary(e, evaluate_strict(e.operand, lookup)), e.span)
    if isinstance(e, BinaryExpr):
        if e.op == "&&":
            left = evaluate_strict(e.left, lookup)
            return int(bool(left) and bool(evaluate_strict(e.right, lookup)))
        if e.op == "||":
            left = evaluate_strict(e.left, lookup)
            return int(bool(left) or bool(evaluate_strict(e.right, lookup)))
        if _is_cast_of_sign(e, lookup):
            # `(TYPE) -1`: the parenthesised name is a type, not a value (C's cast ambiguity)
            signed = _unary(UnaryExpr(e.op, e.right, span=e.span), evaluate_strict(e.right, lookup))
            cast_type = e.left.cast_type if isinstance(e.left, NameExpr) else None
            cast = _cast(cast_type, signed, e.span) if cast_type is not None else signed
            return _in_range(cast, e.span)
        left, right = evaluate_strict(e.left, lookup), evaluate_strict(e.right, lookup)
        return _in_range(_binary(e, left, right), e.span)
    if isinstance(e, ConditionalExpr):
        return (
            evaluate_strict(e.then, lookup)
            if evaluate_strict(e.cond, lookup)
            else evaluate_strict(e.otherwise, lookup)
        )
    if isinstance(e, CastExpr):
        v = evaluate_strict(e.operand, lookup)
        return _in_range(_cast(e.type, v, e.span), e.span)
    if isinstance(e, SizeofExpr):
        size = _sizeof(e.type)
        if size is None:
            raise NotConstant(e.span, "sizeof of this type is not supported in {what}")
        return _in_range(size, e.span)
    if isinstance(e, MemberExpr):
        raise NotConstant(e.span, "{what} is not a constant expression")
    raise NotConstant(e.span, "{what} is not a constant expression")


#: The largest integer literal (unsigned 64-bit), as C compilers accept.
_MAX_INTEGER_CONSTANT = (1 << 64) - 1
#: The smallest integer result (signed 64-bit).
_MIN_INTEGER_CONSTANT = -(1 << 63)


def _in_range(v: Value, span: Span) -> Value:
    """*v* when it fits in 64 bits (or is a finite float); otherwise NotConstant."""
    if isinstance(v, int) and not _MIN_INTEGER_CONSTANT <= v <= _MAX_INTEGER_CONSTANT:
        raise NotConstant(span, "integer overflow in {what}: the result does not fit in 64 bits")
    if isinstance(v, float) and not math.isfinite(v):
        raise NotConstant(span, "floating-point overflow in {what}: the result is not finite")
    return v


def fits_type(t: TypeRef, v: Value) -> str | None:
    """Why the constant *v* does not fit the integer type *t* (None when it does).

    A value fits when it is in the signed or the unsigned range of the type's width (so
    ``const long E = 0x80004005`` is fine, as in C); other types take any value.
    """
    r = real_type(t)
    if not isinstance(r, BaseType) or not isinstance(v, int) or isinstance(v, bool):
        return None
    width = _INT_WIDTHS.get(r.name)
    if width is None:
        return None
    bits = width[0]
    if -(1 << (bits - 1)) <= v < (1 << bits):
        return None
    return f"value {v} does not fit in '{r.name}' ({bits} bits)"


def _is_cast_of_sign(e: BinaryExpr, lookup: ValueLookup | None) -> bool:
    """True for ``(NAME) - x`` / ``(NAME) + x`` where NAME is no constant (so a type)."""
    left = e.left
    return (
        e.op in ("+", "-")
        and isinstance(left, NameExpr)
        and left.parenthesized
        and left.name not in BUILTIN_CONSTANTS
        and (lookup is None or lookup(left.name) is None)
    )


#: Sizes of the built-in types (widl targets: long is 32 bits, pointers 64).
_BASE_TYPE_SIZES = {
    "char": 1,
    "signed char": 1,
    "unsigned char": 1,
    "small": 1,
    "unsigned small": 1,
    "byte": 1,
    "boolean": 1,
    "__int8": 1,
    "unsigned __int8": 1,
    "short": 2,
    "unsigned short": 2,
    "wchar_t": 2,
    "__int16": 2,
    "unsigned __int16": 2,
    "int": 4,
    "unsigned int": 4,
    "long": 4,
    "unsigned long": 4,
    "float": 4,
    "__int32": 4,
    "unsigned __int32": 4,
    "error_status_t": 4,
    "hyper": 8,
    "unsigned hyper": 8,
    "__int64": 8,
    "unsigned __int64": 8,
    "double": 8,
    "long long": 8,
    "unsigned long long": 8,
    "__int3264": 8,
    "unsigned __int3264": 8,
}


def _sizeof(t: TypeRef) -> int | None:
    """``sizeof`` of scalar types, typedefs of them, enums and pointers; None otherwise."""
    seen: set[int] = set()
    while isinstance(t, NamedType) and isinstance(t.target, Typedef) and id(t) not in seen:
        seen.add(id(t))
        t = t.target.type
    if isinstance(t, BaseType):
        return _BASE_TYPE_SIZES.get(t.name)
    if isinstance(t, PointerType):
        return 8
    if isinstance(t, TaggedType) and t.keyword == "enum":
        return 4
    if isinstance(t, ArrayType) and t.size is not None:
        inner = _sizeof(t.element)
        n = evaluate_expression(t.size)
        return inner * n if inner is not None and isinstance(n, int) else None
    return None


class NotConstant(Exception):
    """An expression is not constant; ``message`` has a ``{what}`` placeholder."""

    def __init__(self, span: Span, message: str) -> None:
        super().__init__(message)
        self.span = span
        self.message = message


def real_type(t: TypeRef) -> TypeRef:
    """Peel typedef aliases off *t* (cycles stop)."""
    seen: set[int] = set()
    while isinstance(t, NamedType) and isinstance(t.target, Typedef) and id(t) not in seen:
        seen.add(id(t))
        t = t.target.type
    return t


def _to_int(v: Value, span: Span) -> int:
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        if not math.isfinite(v) or not _MIN_INTEGER_CONSTANT <= v <= _MAX_INTEGER_CONSTANT:
            raise NotConstant(span, "floating-point value out of the integer range in {what}")
        return int(v)
    raise NotConstant(span, "{what} is not an integer constant")


def _unary(e: UnaryExpr, v: Value) -> Value:
    if e.op == "-":
        if isinstance(v, str):
            raise NotConstant(e.span, "{what} is not an arithmetic constant")
        return -v
    if e.op == "+":
        return v
    if e.op == "~":
        return ~_to_int(v, e.span)
    if e.op == "!":
        return int(not v)
    raise NotConstant(e.span, "{what} is not a constant expression")


def _binary(e: BinaryExpr, a: Value, b: Value) -> Value:
    op = e.op
    if isinstance(a, str) or isinstance(b, str):
        if op == "==" and isinstance(a, str) and isinstance(b, str):
            return int(a == b)
        raise NotConstant(e.span, "{what} is not an arithmetic constant")
    if op in ("<<", ">>", "&", "|", "^", "%"):
        x, y = _to_int(a, e.span), _to_int(b, e.span)
        if op == "<<":
            return x << y if 0 <= y < 64 else 0
        if op == ">>":
            return x >> y if 0 <= y < 64 else 0
        if op == "&":
            return x & y
        if op == "|":
            return x | y
        if op == "^":
            return x ^ y
        if y == 0:
            raise NotConstant(e.span, "division by zero in {what}")
        r = abs(x) % abs(y)
        return -r if x < 0 else r
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        if b == 0:
            raise NotConstant(e.span, "division by zero in {what}")
        if isinstance(a, int) and isinstance(b, int):
            q = abs(a) // abs(b)
            return q if (a < 0) == (b < 0) else -q
        return a / b
    comparisons = {
        "==": a == b,
        "!=": a != b,
        "<": a < b,
        ">": a > b,
        "<=": a <= b,
        ">=": a >= b,
    }
    if op in comparisons:
        return int(comparisons[op])
    raise NotConstant(e.span, f"operator '{op}' is not allowed in {{what}}")


_INT_WIDTHS = {
    "char": (8, True),
    "signed char": (8, True),
    "unsigned char": (8, False),
    "small": (8, True),
    "byte": (8, False),
    "short": (16, True),
    "unsigned short": (16, False),
    "int": (32, True),
    "long": (32, True),
    "unsigned int": (32, False),
    "unsigned long": (32, False),
    "unsigned": (32, False),
    "hyper": (64, True),
    "__int64": (64, True),
    "long long": (64, True),
    "unsigned hyper": (64, False),
    "unsigned __int64": (64, False),
    "unsigned long long": (64, False),
}


def _cast(t: TypeRef, v: Value, span: Span) -> Value:
    r = real_type(t)
    if isinstance(r, BaseType):
        if r.name in ("float", "double"):
            if isinstance(v, str):
                raise NotConstant(t.span, "{what} is not an arithmetic constant")
            return float(v)
        width = _INT_WIDTHS.get(r.name)
        if width is not None and isinstance(v, int | float):
            bits, signed = width
            x = _to_int(v, span) & ((1 << bits) - 1)
            if signed and x >= 1 << (bits - 1):
                x -= 1 << bits
            return x
    return v
