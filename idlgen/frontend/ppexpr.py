"""``#if``/``#elif`` expressions: C integer arithmetic over the preprocessor's tokens."""

from __future__ import annotations

from collections.abc import Callable

from idlgen.frontend.pptokens import TOK_CHR, TOK_ID, TOK_NUM, Tok
from idlgen.model import C_BINARY_PRECEDENCE

#: How deeply ``#if`` blocks, parentheses and macro arguments may nest.
MAX_NESTING = 500


class ExprError(Exception):
    """A ``#if`` expression that cannot be evaluated."""


def _parse_int(text: str) -> int:
    t = text.rstrip("uUlL")
    try:
        if t[:2] in ("0x", "0X"):
            return int(t[2:], 16)
        if t[:2] in ("0b", "0B"):
            return int(t[2:], 2)
        if len(t) > 1 and t[0] == "0":
            return int(t, 8)
        return int(t, 10)
    except ValueError:
        raise ExprError(f"invalid integer constant '{text}' in #if") from None


_ESCAPES = {
    "n": 10,
    "t": 9,
    "r": 13,
    "0": 0,
    "a": 7,
    "b": 8,
    "f": 12,
    "v": 11,
    "\\": 92,
    "'": 39,
    '"': 34,
    "?": 63,
}


def _char_value(text: str) -> int:
    body = text[text.index("'") + 1 :]
    if not body.endswith("'") or len(body) < 2:
        raise ExprError("missing terminating ' character")
    body = body[:-1]
    if body.startswith("\\"):
        esc = body[1:]
        if esc[:1] in ("x", "X"):
            return int(esc[1:] or "0", 16)
        if esc[:1].isdigit():
            return int(esc, 8)
        return _ESCAPES.get(esc[:1], ord(esc[:1] or "\0"))
    return ord(body[0]) if body else 0


class ExprParser:
    def __init__(self, tokens: list[Tok]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].text if self.pos < len(self.tokens) else None

    def parse(self) -> int:
        if not self.tokens:
            raise ExprError("#if with no expression")
        value = self.ternary()
        if self.pos < len(self.tokens):
            raise ExprError(f"missing binary operator before token '{self.tokens[self.pos].text}'")
        return value

    def ternary(self) -> int:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise ExprError("#if expression nested too deeply")
        cond = self.binary(1)
        if self.peek() == "?":
            self.pos += 1
            a = self.ternary()
            if self.peek() != ":":
                raise ExprError("'?' without following ':' in #if")
            self.pos += 1
            b = self.ternary()
            cond = a if cond else b
        self.depth -= 1
        return cond

    def binary(self, min_prec: int) -> int:
        left = self.unary()
        while True:
            op = self.peek()
            prec = C_BINARY_PRECEDENCE.get(op or "")
            if op is None or prec is None or prec < min_prec:
                return left
            self.pos += 1
            right = self.binary(prec + 1)
            left = _apply(op, left, right)

    def unary(self) -> int:
        tok = self.peek()
        if tok in ("!", "-", "+", "~"):
            self.pos += 1
            self.depth += 1
            if self.depth > MAX_NESTING:
                raise ExprError("#if expression nested too deeply")
            v = self.unary()
            self.depth -= 1
            if tok == "!":
                return int(not v)
            if tok == "-":
                return -v
            if tok == "~":
                return ~v
            return v
        return self.primary()

    def primary(self) -> int:
        if self.pos >= len(self.tokens):
            raise ExprError("#if expression ends unexpectedly")
        t = self.tokens[self.pos]
        self.pos += 1
        if t.text == "(":
            v = self.ternary()
            if self.peek() != ")":
                raise ExprError("missing ')' in #if expression")
            self.pos += 1
            return v
        if t.kind == TOK_NUM:
            return _parse_int(t.text)
        if t.kind == TOK_CHR:
            return _char_value(t.text)
        if t.kind == TOK_ID:
            return 0
        raise ExprError(f"token '{t.text}' is not valid in #if expressions")


def _apply(op: str, a: int, b: int) -> int:
    if op == "||":
        return int(bool(a) or bool(b))
    if op == "&&":
        return int(bool(a) and bool(b))
    if op in ("/", "%"):
        if b == 0:
            raise ExprError("division by zero in #if")
        q = abs(a) // abs(b) * (1 if (a >= 0) == (b >= 0) else -1)
        return q if op == "/" else a - q * b
    if op == "<<":
        return a << min(b, 128) if b >= 0 else a >> -b
    if op == ">>":
        return a >> b if b >= 0 else a << min(-b, 128)
    ops: dict[str, Callable[[int, int], int]] = {
        "|": lambda x, y: x | y,
        "^": lambda x, y: x ^ y,
        "&": lambda x, y: x & y,
        "==": lambda x, y: int(x == y),
        "!=": lambda x, y: int(x != y),
        "<": lambda x, y: int(x < y),
        ">": lambda x, y: int(x > y),
        "<=": lambda x, y: int(x <= y),
        ">=": lambda x, y: int(x >= y),
        "+": lambda x, y: x + y,
        "-": lambda x, y: x - y,
        "*": lambda x, y: x * y,
    }
    return ops[op](a, b)
