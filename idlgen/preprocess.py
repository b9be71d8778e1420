"""The C preprocessor stage of the MIDL front end.

:func:`preprocess` reads one file and returns a :class:`PreprocessedSource`:
the text for the parser, an exact map from every output line back to the
original file and line, the ``#pragma`` lines (recorded, not emitted) and the
files pulled in by ``#include``.  Problems go to a
:class:`~idlgen.diagnostics.DiagnosticSink` at their original position; bad
input never raises.

Macro scope across ``import`` (checked against widl 11.12): MIDL ``import`` is
not a preprocessor directive, it stays in the text for the parser.  widl
preprocesses every imported file on its own, with a *fresh* macro table seeded
only by the predefined macros and the command line's ``-D``/``-U``.  A
``#define`` in the importer is not visible in the imported file and a
``#define`` in the imported file does not leak back to the importer.
``#include`` is textual and shares the table as in C.  So the front end calls
:func:`preprocess` once per imported file with the same ``include_dirs`` and
``macro_ops``; each call starts from :data:`PREDEFINED_MACROS`.

widl predefines ``__WIDL__`` (0xb0c00 for 11.12), ``_WIN32`` (1), ``__FILE__``,
``__LINE__``, ``__DATE__`` and ``__TIME__``; we add ``__midl`` (501, as MIDL
does), which the corpus only ever tests together with ``__WIDL__``.

Output: directive lines and skipped lines are dropped; every other line is
emitted once, with its columns unchanged unless a macro was expanded on it.
``line_origins`` maps each output line to its (file, line), honouring
``#include`` and ``#line``; ``column_maps`` makes :meth:`PreprocessedSource.locate`
exact inside expanded lines (argument tokens keep their own source columns,
tokens a macro made point at the macro name) and backslash-continued lines.

Speed: text between directives is handled in whole blocks; a block whose
identifiers name no macro (one regex ``findall`` and a set test) is copied as
is.  Only lines that mention a macro are tokenised and expanded; macro bodies
are tokenised on first use.  File reads are cached per process (by path,
mtime and size); preprocessed headers are not cached, as their result depends
on the macro table.  On the 247 classic corpus files this takes about 0.75 s
(pcpp: about 5.5 s), and its tokens equal ``widl -E``'s for all of them.
"""

from __future__ import annotations

import bisect
import os
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import repeat

from idlgen.diagnostics import DiagnosticSink, Span
from idlgen.model import C_BINARY_PRECEDENCE

__all__ = [
    "PREDEFINED_MACROS",
    "Pragma",
    "PreprocessedSource",
    "preprocess",
]

#: Macros defined before the command line's ``-D``/``-U`` are applied.
PREDEFINED_MACROS: dict[str, str] = {
    "__WIDL__": "0xb0c00",
    "_WIN32": "1",
    "__midl": "501",
}

MAX_INCLUDE_DEPTH = 200
MAX_EXPANSION_STEPS = 50_000
MAX_NESTING = 500


@dataclass(frozen=True, slots=True)
class Pragma:
    """A ``#pragma`` line: the text after ``pragma`` and where it was.

    ``output_line`` is the number of output lines before it: the pragma stands between
    output lines ``output_line`` and ``output_line + 1`` (what ``#pragma pack`` needs).
    """

    text: str
    span: Span
    output_line: int = 0


# A column map segment: output column start, file, line, column, fixed (no offset).
_Segment = tuple[int, str, int, int, bool]


@dataclass
class PreprocessedSource:
    """The preprocessed text of one file and the way back to original positions."""

    path: str
    text: str
    line_origins: list[tuple[str, int]]
    pragmas: list[Pragma] = field(default_factory=list)
    included_files: list[str] = field(default_factory=list)
    #: Output lines (1-based) whose columns moved: sorted segment lists.
    column_maps: dict[int, list[_Segment]] = field(default_factory=dict)

    def locate(self, line: int, column: int) -> tuple[str, int, int]:
        """Map an output position (1-based line and column) to (file, line, column)."""
        segments = self.column_maps.get(line)
        if segments is not None:
            starts = [s[0] for s in segments]
            i = max(0, bisect.bisect_right(starts, column - 1) - 1)
            out_col, file, src_line, src_col, fixed = segments[i]
            if fixed:
                return file, src_line, src_col + 1
            return file, src_line, src_col + (column - 1 - out_col) + 1
        if 1 <= line <= len(self.line_origins):
            file, src_line = self.line_origins[line - 1]
            return file, src_line, column
        if self.line_origins:
            file, src_line = self.line_origins[-1]
            return file, src_line, column
        return self.path, max(line, 1), column


# ---------------------------------------------------------------- lexing

# A run of code (string and char literals included, so that comment markers
# inside them are left alone) followed by at most one comment.
_CODE_THEN_COMMENT_RE = re.compile(
    r'((?:[^"\'/]+|"(?:[^"\\\n]|\\.)*"?|\'(?:[^\'\\\n]|\\.)*\'?|/(?![*/]))*)'
    r"(/\*.*?(?:\*/|\Z)|//[^\n]*)?",
    re.S,
)
# A line whose string or char literal is not closed; group 1 is the opening quote.
_UNTERMINATED_RE = re.compile(
    r"^[^\"'\n]*+(?:(?:\"(?:[^\"\\\n]++|\\.)*+\"|'(?:[^'\\\n]++|\\.)*+')[^\"'\n]*+)*+([\"'])",
    re.M,
)
_DIRECTIVE_RE = re.compile(r"^[ \t\f\v\r]*#[^\n]*", re.M)
_IDENT_RE = re.compile(r"[A-Za-z_$][\w$]*")
_DIRECTIVE_NAME_RE = re.compile(r"[ \t\f\v\r]*#[ \t\f\v\r]*([A-Za-z_]\w*)?")
_TOKEN_RE = re.compile(
    r"(?P<ws>[ \t\f\v\r\n]+)"
    r'|(?P<str>(?:u8|[uUL])?"(?:[^"\\\n]|\\.)*"?)'
    r"|(?P<chr>(?:u8|[uUL])?'(?:[^'\\\n]|\\.)*'?)"
    r"|(?P<id>[A-Za-z_$][\w$]*)"
    r"|(?P<num>\.?\d(?:[eEpP][+-]|[\w.])*)"
    r"|(?P<punct>\.\.\.|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||##|[-+*/%&|^]=|.)",
    re.S,
)
_MACRO_DEF_RE = re.compile(r"([A-Za-z_$][\w$]*)(\()?")

_ID, _NUM, _STR, _CHR, _PUNCT = range(5)
_KINDS = {"id": _ID, "num": _NUM, "str": _STR, "chr": _CHR, "punct": _PUNCT}
_EMPTY: frozenset[str] = frozenset()


class _Tok:
    """A preprocessing token.

    ``row``/``col`` locate a token read from the source (row: line index in the
    block being expanded; -1 for tokens made by the preprocessor); ``fixed`` marks
    tokens produced by a macro, positioned at the macro name that produced them.
    """

    __slots__ = ("col", "fixed", "hide", "kind", "row", "text", "ws")

    def __init__(
        self,
        text: str,
        kind: int,
        ws: bool,
        hide: frozenset[str] = _EMPTY,
        row: int = -1,
        col: int = 0,
        fixed: bool = False,
    ) -> None:
        self.text = text
        self.kind = kind
        self.ws = ws
        self.hide = hide
        self.row = row
        self.col = col
        self.fixed = fixed

    def copy(self, ws: bool | None = None, hide: frozenset[str] | None = None) -> _Tok:
        return _Tok(
            self.text,
            self.kind,
            self.ws if ws is None else ws,
            self.hide if hide is None else hide,
            self.row,
            self.col,
            self.fixed,
        )


def _tokenize(text: str, start: int = 0, end: int | None = None, row: int = -1) -> list[_Tok]:
    out: list[_Tok] = []
    ws = False
    stop = len(text) if end is None else end
    for m in _TOKEN_RE.finditer(text, start, stop):
        kind = m.lastgroup
        if kind == "ws":
            ws = True
            continue
        out.append(_Tok(m.group(), _KINDS[kind or "punct"], ws, _EMPTY, row, m.start()))
        ws = False
    return out


def _outside_literal(text: str, pos: int) -> bool:
    """True when *pos* is not inside a string or char literal of its line."""
    line_start = text.rfind("\n", 0, pos) + 1
    if '"' not in text[line_start:pos] and "'" not in text[line_start:pos]:
        return True
    for m in _TOKEN_RE.finditer(text, line_start, pos + 1):
        if m.start() <= pos < m.end():
            return m.lastgroup not in ("str", "chr")
    return True


def _join(tokens: Sequence[_Tok]) -> str:
    parts: list[str] = []
    for i, t in enumerate(tokens):
        if i and t.ws:
            parts.append(" ")
        parts.append(t.text)
    return "".join(parts)


@dataclass(slots=True)
class _Macro:
    name: str
    body: list[_Tok] | None  # None until first use: tokenised lazily from body_text
    params: list[str] | None = None  # None: object-like
    variadic: bool = False
    builtin: str = ""
    body_text: str = ""

    def tokens(self) -> list[_Tok]:
        """The replacement list (tokenised on first use; most macros are never used)."""
        if self.body is None:
            body = _tokenize(self.body_text)
            if body:
                body[0] = body[0].copy(ws=False)
            self.body = body
        return self.body


def _decode(data: bytes) -> tuple[str, int | None]:
    """Decode UTF-8 (BOM stripped); returns text and the offset of the first bad byte."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        return data.decode("utf-8", errors="replace"), e.start


_read_cache: dict[str, tuple[int, int, bytes]] = {}
# Regexes finding the macro names of one text block, keyed by those names (shared by all runs).
_hit_regex_cache: dict[frozenset[str], re.Pattern[str]] = {}


def _read_file(path: str) -> bytes | None:
    try:
        st = os.stat(path)
        cached = _read_cache.get(path)
        if cached is not None and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
            return cached[2]
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    _read_cache[path] = (st.st_mtime_ns, st.st_size, data)
    return data


# ---------------------------------------------------------------- #if expressions


class _ExprError(Exception):
    pass


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
        raise _ExprError(f"invalid integer constant '{text}' in #if") from None


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
        raise _ExprError("missing terminating ' character")
    body = body[:-1]
    if body.startswith("\\"):
        esc = body[1:]
        if esc[:1] in ("x", "X"):
            return int(esc[1:] or "0", 16)
        if esc[:1].isdigit():
            return int(esc, 8)
        return _ESCAPES.get(esc[:1], ord(esc[:1] or "\0"))
    return ord(body[0]) if body else 0


class _ExprParser:
    def __init__(self, tokens: list[_Tok]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos].text if self.pos < len(self.tokens) else None

    def parse(self) -> int:
        if not self.tokens:
            raise _ExprError("#if with no expression")
        value = self.ternary()
        if self.pos < len(self.tokens):
            raise _ExprError(f"missing binary operator before token '{self.tokens[self.pos].text}'")
        return value

    def ternary(self) -> int:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise _ExprError("#if expression nested too deeply")
        cond = self.binary(1)
        if self.peek() == "?":
            self.pos += 1
            a = self.ternary()
            if self.peek() != ":":
                raise _ExprError("'?' without following ':' in #if")
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
                raise _ExprError("#if expression nested too deeply")
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
            raise _ExprError("#if expression ends unexpectedly")
        t = self.tokens[self.pos]
        self.pos += 1
        if t.text == "(":
            v = self.ternary()
            if self.peek() != ")":
                raise _ExprError("missing ')' in #if expression")
            self.pos += 1
            return v
        if t.kind == _NUM:
            return _parse_int(t.text)
        if t.kind == _CHR:
            return _char_value(t.text)
        if t.kind == _ID:
            return 0
        raise _ExprError(f"token '{t.text}' is not valid in #if expressions")


def _apply(op: str, a: int, b: int) -> int:
    if op == "||":
        return int(bool(a) or bool(b))
    if op == "&&":
        return int(bool(a) and bool(b))
    if op in ("/", "%"):
        if b == 0:
            raise _ExprError("division by zero in #if")
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


# ---------------------------------------------------------------- the preprocessor


class _ExpansionLimit(Exception):
    pass


@dataclass
class _Cond:
    active: bool  # this branch is being emitted
    taken: bool  # some branch of this group was taken
    parent_active: bool
    span: Span
    seen_else: bool = False


class _Preprocessor:
    def __init__(self, main_path: str, include_dirs: Sequence[str], sink: DiagnosticSink) -> None:
        self.main_path = main_path
        self.include_dirs = list(include_dirs)
        self.sink = sink
        self.macros: dict[str, _Macro] = {}
        self.chunks: list[str] = []
        self.origins: list[tuple[str, int]] = []
        self.column_maps: dict[int, list[_Segment]] = {}
        self.pragmas: list[Pragma] = []
        self.included: list[str] = []
        self.pragma_once: set[str] = set()
        self.depth = 0
        self.steps = 0
        self.cur_file = main_path
        self.cur_line = 0
        self.line_file = main_path
        self.line_delta = 0
        self.in_if = False
        # (file, first physical line) of a spliced text line -> (logical column, physical line)
        self.splices: dict[tuple[str, int], list[tuple[int, int]]] = {}
        now = time.gmtime()
        self.macros["__FILE__"] = _Macro("__FILE__", [], builtin="file")
        self.macros["__LINE__"] = _Macro("__LINE__", [], builtin="line")
        self.macros["__DATE__"] = _Macro(
            "__DATE__", [_Tok(time.strftime('"%b %e %Y"', now), _STR, False)]
        )
        self.macros["__TIME__"] = _Macro(
            "__TIME__", [_Tok(time.strftime('"%H:%M:%S"', now), _STR, False)]
        )

    # ---- definitions

    def define_text(self, name: str, value: str) -> None:
        self.macros[name] = _Macro(name, None, body_text=value)

    def parse_define(self, rest: str, span: Span) -> None:
        m = _MACRO_DEF_RE.match(rest)
        if m is None:
            self.sink.error(span, "macro names must be identifiers")
            return
        name = m.group(1)
        if name == "defined":
            self.sink.error(span, "'defined' cannot be used as a macro name")
            return
        if m.group(2) is None:
            if rest[m.end() : m.end() + 1] not in ("", " ", "\t", "\f", "\v", "\r"):
                self.sink.warning(span, f"missing whitespace after the macro name '{name}'")
            self.macros[name] = _Macro(name, None, body_text=rest[m.end() :])
            return
        close = rest.find(")", m.end())
        if close < 0:
            self.sink.error(span, f"missing ')' in the parameter list of macro '{name}'")
            return
        params: list[str] = []
        variadic = False
        for raw in rest[m.end() : close].split(","):
            p = raw.strip()
            if not p and not params and not rest[m.end() : close].strip():
                break
            if p == "...":
                variadic = True
                params.append("__VA_ARGS__")
            elif p.endswith("...") and _IDENT_RE.fullmatch(p[:-3].strip()):
                variadic = True
                params.append(p[:-3].strip())
            elif _IDENT_RE.fullmatch(p):
                params.append(p)
            else:
                self.sink.error(
                    span, f"invalid parameter '{p}' in the definition of macro '{name}'"
                )
                return
        self.macros[name] = _Macro(name, None, params, variadic, body_text=rest[close + 1 :])

    # ---- expansion

    def expand(
        self,
        tokens: deque[_Tok],
        more: Callable[[], list[_Tok] | None] | None,
        span: Span,
        level: int = 0,
    ) -> list[_Tok]:
        """Expand macros in *tokens*; *more* supplies further source tokens on demand."""
        if level > MAX_NESTING:
            raise _ExpansionLimit("macro arguments nested too deeply")
        out: list[_Tok] = []
        macros = self.macros
        while tokens:
            t = tokens.popleft()
            if self.in_if and t.text == "defined":
                # the operand of 'defined' is not expanded
                out.append(t)
                if tokens and tokens[0].text == "(":
                    for _ in range(3):
                        if tokens:
                            out.append(tokens.popleft())
                elif tokens:
                    out.append(tokens.popleft())
                continue
            mac = macros.get(t.text) if t.kind == _ID else None
            if mac is None or t.text in t.hide:
                out.append(t)
                continue
            self.steps += 1
            if self.steps > MAX_EXPANSION_STEPS:
                raise _ExpansionLimit("macro expansion too large or recursive")
            if mac.builtin:
                text = f'"{self.line_file}"' if mac.builtin == "file" else str(self.cur_line)
                out.append(
                    _Tok(
                        text.replace("\\", "\\\\") if mac.builtin == "file" else text,
                        _STR if mac.builtin == "file" else _NUM,
                        t.ws,
                    )
                )
                continue
            if mac.params is None:
                hide = t.hide | {mac.name}
                repl = self.substitute(mac, [], hide, span, level)
                if repl:
                    repl[0] = repl[0].copy(ws=t.ws)
                self._place(repl, t)
                tokens.extendleft(reversed(repl))
                continue
            # function-like: needs '('
            if not tokens and more is not None:
                self._refill(tokens, more)
            if not tokens or tokens[0].text != "(":
                out.append(t)
                continue
            args, rparen = self.collect_args(tokens, more, mac, span)
            if rparen is None:
                out.append(t)
                out.extend(args_flat for a in args for args_flat in a)
                continue
            hide = (t.hide & rparen.hide) | {mac.name}
            repl = self.substitute(mac, args, hide, span, level)
            if repl:
                repl[0] = repl[0].copy(ws=t.ws)
            self._place(repl, t)
            tokens.extendleft(reversed(repl))
        return out

    @staticmethod
    def _place(repl: list[_Tok], name: _Tok) -> None:
        """Position the tokens a macro made at the macro name that made them."""
        for x in repl:
            if x.row < 0:
                x.row, x.col, x.fixed = name.row, name.col, True

    @staticmethod
    def _refill(tokens: deque[_Tok], more: Callable[[], list[_Tok] | None]) -> bool:
        while True:
            extra = more()
            if extra is None:
                return False
            if extra:
                tokens.extend(extra)
                return True

    def collect_args(
        self,
        tokens: deque[_Tok],
        more: Callable[[], list[_Tok] | None] | None,
        mac: _Macro,
        span: Span,
    ) -> tuple[list[list[_Tok]], _Tok | None]:
        tokens.popleft()  # '('
        args: list[list[_Tok]] = [[]]
        depth = 0
        assert mac.params is not None
        nparams = len(mac.params)
        while True:
            if not tokens and (more is None or not self._refill(tokens, more)):
                self.sink.error(span, f"unterminated argument list invoking macro '{mac.name}'")
                return args, None
            t = tokens.popleft()
            if t.text == "(":
                depth += 1
            elif t.text == ")":
                if depth == 0:
                    break
                depth -= 1
            elif t.text == "," and depth == 0 and not (mac.variadic and len(args) >= nparams):
                args.append([])
                continue
            args[-1].append(t)
        if nparams == 0 and len(args) == 1 and not args[0]:
            args = []
        elif mac.variadic and len(args) == nparams - 1:
            args.append([])
        if len(args) != nparams:
            self.sink.error(
                span,
                f"macro '{mac.name}' requires {nparams} arguments, but {len(args)} given",
            )
            args = (args + [[] for _ in range(nparams)])[:nparams]
        return args, t

    def substitute(
        self, mac: _Macro, args: list[list[_Tok]], hide: frozenset[str], span: Span, level: int
    ) -> list[_Tok]:
        params = mac.params or []
        index = {p: i for i, p in enumerate(params)}
        body = mac.tokens()
        out: list[_Tok] = []
        expanded: dict[int, list[_Tok]] = {}
        i = 0
        n = len(body)
        while i < n:
            t = body[i]
            if t.text == "#" and mac.params is not None and i + 1 < n and body[i + 1].text in index:
                arg = args[index[body[i + 1].text]]
                s = _join(arg).replace("\\", "\\\\").replace('"', '\\"')
                out.append(_Tok(f'"{s}"', _STR, t.ws))
                i += 2
                continue
            if t.text == "##" and out and i + 1 < n:
                nxt = body[i + 1]
                rhs = args[index[nxt.text]] if nxt.text in index else [nxt]
                i += 2
                if not rhs:
                    continue
                left = out.pop()
                pasted = _tokenize(left.text + rhs[0].text)
                if len(pasted) != 1:
                    self.sink.error(
                        span,
                        f'pasting "{left.text}" and "{rhs[0].text}" does not give a valid token',
                    )
                for k, p in enumerate(pasted):
                    out.append(p.copy(ws=left.ws if k == 0 else p.ws))
                out.extend(rhs[1:])
                continue
            if t.kind == _ID and t.text in index:
                k = index[t.text]
                if i + 1 < n and body[i + 1].text == "##":
                    arg_toks = list(args[k])
                else:
                    if k not in expanded:
                        expanded[k] = self.expand(deque(args[k]), None, span, level + 1)
                    arg_toks = list(expanded[k])
                if arg_toks:
                    arg_toks[0] = arg_toks[0].copy(ws=t.ws)
                out.extend(arg_toks)
                i += 1
                continue
            out.append(t)
            i += 1
        return [x.copy(hide=x.hide | hide) for x in out]

    # ---- files

    def find_include(self, name: str, quoted: bool) -> str | None:
        dirs: list[str] = []
        if quoted:
            dirs.append(os.path.dirname(self.cur_file) or ".")
        dirs.extend(self.include_dirs)
        for d in dirs:
            candidate = os.path.join(d, name)
            if os.path.isfile(candidate):
                return candidate
        return None

    def process_file(self, path: str, text: str | None, span: Span | None) -> None:
        if text is None:
            data = _read_file(path)
            if data is None:
                where = span or Span(path, 0, 0)
                self.sink.error(where, f"cannot open file '{path}'")
                return
            text, bad = _decode(data)
            if bad is not None:
                line = data.count(b"\n", 0, bad) + 1
                col = bad - (data.rfind(b"\n", 0, bad) + 1) + 1
                self.sink.error(Span(path, line, col), "invalid UTF-8 in the source file")
        elif text.startswith("\ufeff"):
            text = text[1:]
        if "\x00" in text:
            pos = text.index("\x00")
            line = text.count("\n", 0, pos) + 1
            self.sink.error(
                Span(path, line, pos - (text.rfind("\n", 0, pos) + 1) + 1),
                "the file contains NUL bytes; it is not a text file",
            )
            return
        saved = (self.cur_file, self.cur_line, self.line_file, self.line_delta)
        self.cur_file = self.line_file = path
        self.line_delta = 0
        try:
            self._process_text(path, text)
        finally:
            self.cur_file, self.cur_line, self.line_file, self.line_delta = saved

    def _strip(self, path: str, text: str) -> str:
        """Blank out comments, keeping line count and the columns of what follows them."""
        sink = self.sink

        def repl(m: re.Match[str]) -> str:
            code, s = m.group(1, 2)
            if s is None:
                return code
            if s[1] == "/":
                return code
            if not s.endswith("*/") or len(s) < 4:
                pos = m.start(2)
                line = text.count("\n", 0, pos) + 1
                sink.error(
                    Span(path, line, pos - (text.rfind("\n", 0, pos) + 1) + 1),
                    "unterminated comment",
                )
            k = s.count("\n")
            if not k:
                return code + " " * len(s)
            return code + "\n" * k + " " * (len(s) - s.rfind("\n") - 1)

        return _CODE_THEN_COMMENT_RE.sub(repl, text)

    def apply_splices(self) -> None:
        """Re-map columns of output lines that came from backslash-continued lines."""
        if not self.splices:
            return
        for index, origin in enumerate(self.origins, 1):
            if origin not in self.splices:
                continue
            segments = self.column_maps.get(index, [(0, origin[0], origin[1], 0, False)])
            self.column_maps[index] = self._split_segments(segments)

    def _split_segments(self, segments: list[_Segment]) -> list[_Segment]:
        out: list[_Segment] = []
        for n, (out_col, file, line, col, fixed) in enumerate(segments):
            pieces = self.splices.get((file, line))
            if pieces is None:
                out.append((out_col, file, line, col, fixed))
                continue
            k = max(0, bisect.bisect_right([p[0] for p in pieces], col) - 1)
            out.append((out_col, file, pieces[k][1], col - pieces[k][0], fixed))
            if fixed:
                continue
            end = segments[n + 1][0] if n + 1 < len(segments) else None
            for piece_col, piece_line in pieces[k + 1 :]:
                at = out_col + piece_col - col
                if end is not None and at >= end:
                    break
                out.append((at, file, piece_line, 0, False))
        return out

    def _process_text(self, path: str, text: str) -> None:
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        # line splices: logical line -> physical line
        l2p: list[int] | None = None
        if "\\\n" in text:
            phys = text.split("\n")
            logical: list[str] = []
            l2p = [0]
            cur: list[str] = []
            start = 1
            for i, ln in enumerate(phys, 1):
                if ln.endswith("\\") and i < len(phys):
                    if not cur:
                        start = i
                    cur.append(ln[:-1])
                    continue
                if cur:
                    cur.append(ln)
                    joined = "".join(cur)
                    if not joined.lstrip().startswith("#"):
                        piece_starts: list[tuple[int, int]] = []
                        offset = 0
                        for k, piece in enumerate(cur):
                            piece_starts.append((offset, start + k + self.line_delta))
                            offset += len(piece)
                        self.splices[(self.line_file, start + self.line_delta)] = piece_starts
                    logical.append(joined)
                    l2p.append(start)
                    cur = []
                else:
                    logical.append(ln)
                    l2p.append(i)
            text = "\n".join(logical)
        if "/*" in text or "//" in text:
            text = self._strip(path, text)
        if not text.endswith("\n"):
            text += "\n"
        conds: list[_Cond] = []
        active = True
        pos = 0
        line_no = 1
        for dm in _DIRECTIVE_RE.finditer(text):
            s = dm.start()
            if s > pos:
                nlines = text.count("\n", pos, s)
                if active:
                    self._emit_block(self.line_file, text, pos, s, line_no, nlines, l2p)
                line_no += nlines
            pos = dm.end() + 1
            dline = l2p[line_no] if l2p is not None else line_no
            self.cur_line = dline + self.line_delta
            active = self._directive(self.line_file, dm.group(), self.cur_line, conds, active)
            line_no += 1
        if pos < len(text) and active:
            nlines = text.count("\n", pos)
            self._emit_block(self.line_file, text, pos, len(text), line_no, nlines, l2p)
        for c in conds:
            self.sink.error(c.span, "unterminated conditional directive")

    def _emit_block(
        self,
        path: str,
        text: str,
        start: int,
        end: int,
        line_no: int,
        nlines: int,
        l2p: list[int] | None,
    ) -> None:
        macros = self.macros
        bad = _UNTERMINATED_RE.search(text, start, end)
        while bad is not None:
            q = bad.start(1)
            row = text.count("\n", start, q)
            col = q - (text.rfind("\n", 0, q) + 1) + 1
            line = (l2p[line_no + row] if l2p is not None else line_no + row) + self.line_delta
            self.sink.error(Span(path, line, col), f"missing terminating {text[q]} character")
            bad = _UNTERMINATED_RE.search(text, text.find("\n", q) + 1, end)
        idents = set(_IDENT_RE.findall(text, start, end))
        hits = idents.intersection(macros)
        if not hits:
            self.chunks.append(text[start:end])
            if l2p is None:
                self.origins.extend(
                    zip(
                        repeat(path),
                        range(line_no + self.line_delta, line_no + nlines + self.line_delta),
                    )
                )
            else:
                self.origins.extend(
                    zip(
                        repeat(path), (x + self.line_delta for x in l2p[line_no : line_no + nlines])
                    )
                )
            return
        self._emit_with_macros(path, text[start:end], line_no, hits, l2p)

    def _emit_with_macros(
        self, path: str, block: str, line_no: int, hits: set[str], l2p: list[int] | None
    ) -> None:
        key = frozenset(hits)
        rx = _hit_regex_cache.get(key)
        if rx is None:
            names = "|".join(re.escape(h) for h in sorted(hits, key=len, reverse=True))
            rx = re.compile(r"\b(?:" + names + r")\b")
            if len(_hit_regex_cache) > 1024:
                _hit_regex_cache.clear()
            _hit_regex_cache[key] = rx
        lines = block.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        # offsets of each line start in block
        starts: list[int] = []
        off = 0
        for ln in lines:
            starts.append(off)
            off += len(ln) + 1
        i = 0
        nl = len(lines)

        delta = self.line_delta

        def phys(idx: int) -> int:
            return (l2p[line_no + idx] if l2p is not None else line_no + idx) + delta

        hit_positions = [
            p for p in (m.start() for m in rx.finditer(block)) if _outside_literal(block, p)
        ]
        hp = 0
        while i < nl:
            while hp < len(hit_positions) and hit_positions[hp] < starts[i]:
                hp += 1
            if hp == len(hit_positions):
                j = nl
            else:
                j = bisect.bisect_right(starts, hit_positions[hp]) - 1
            if j > i:
                self.chunks.append(block[starts[i] : starts[j]] if j < nl else block[starts[i] :])
                if j == nl and not block.endswith("\n"):
                    self.chunks.append("\n")
                if l2p is None:
                    first = line_no + i + delta
                    self.origins.extend(zip(repeat(path), range(first, first + j - i)))
                else:
                    self.origins.extend((path, phys(k)) for k in range(i, j))
                i = j
                continue
            ln = lines[i]
            col0 = hit_positions[hp] - starts[i]
            # expand from the first macro to the end of the (possibly extended) line
            src_line = phys(i)
            span = Span(path, src_line, col0 + 1)
            self.cur_line = src_line
            consumed = [i]

            def more(consumed: list[int] = consumed) -> list[_Tok] | None:
                j = consumed[0] + 1
                if j >= nl:
                    return None
                consumed[0] = j
                toks = _tokenize(lines[j], row=j)
                if toks:
                    toks[0].ws = True
                return toks

            toks = deque(_tokenize(ln, col0, row=i))
            try:
                self.steps = 0
                result = self.expand(toks, more, span)
            except _ExpansionLimit as e:
                self.sink.error(span, str(e))
                result = []
            parts = [ln[:col0]]
            segs: list[_Segment] = [(0, path, src_line, 0, False)]
            out_col = col0
            last: tuple[int, int, bool] = (i, 0, False)
            for k, t in enumerate(result):
                if k and t.ws:
                    parts.append(" ")
                    out_col += 1
                if t.row >= 0:
                    seg_key = (t.row, t.col if t.fixed else t.col - out_col, t.fixed)
                    if seg_key != last:
                        segs.append((out_col, path, phys(t.row), t.col, t.fixed))
                        last = seg_key
                parts.append(t.text)
                out_col += len(t.text)
            self.chunks.append("".join(parts) + "\n")
            self.origins.append((path, src_line))
            self.column_maps[len(self.origins)] = segs
            i = consumed[0] + 1

    # ---- directives

    def _directive(
        self, path: str, line: str, dline: int, conds: list[_Cond], active: bool
    ) -> bool:
        m = _DIRECTIVE_NAME_RE.match(line)
        assert m is not None
        name = m.group(1) or ""
        rest = line[m.end() :].strip()
        col = line.index("#") + 1
        span = Span(path, dline, col)
        if name in ("if", "ifdef", "ifndef"):
            if not active:
                conds.append(_Cond(False, True, False, span))
                return False
            if name == "if":
                value = self.eval_if(rest, span)
            else:
                mm = _IDENT_RE.match(rest)
                if mm is None:
                    self.sink.error(span, f"no macro name given in #{name} directive")
                    value = False
                else:
                    value = (mm.group() in self.macros) == (name == "ifdef")
            conds.append(_Cond(value, value, True, span))
            return value
        if name in ("elif", "else", "endif"):
            if not conds:
                self.sink.error(span, f"#{name} without #if")
                return active
            c = conds[-1]
            if name == "endif":
                conds.pop()
                return c.parent_active
            if c.seen_else:
                self.sink.error(span, f"#{name} after #else")
            if name == "else":
                c.seen_else = True
                c.active = c.parent_active and not c.taken
            else:
                if c.parent_active and not c.taken:
                    c.active = self.eval_if(rest, span)
                else:
                    c.active = False
            c.taken = c.taken or c.active
            return c.active
        if not active:
            return False
        if name == "define":
            self.parse_define(rest, span)
        elif name == "undef":
            mm = _IDENT_RE.match(rest)
            if mm is None:
                self.sink.error(span, "no macro name given in #undef directive")
            else:
                self.macros.pop(mm.group(), None)
        elif name == "include":
            self.do_include(rest, span)
        elif name == "pragma":
            if rest == "once":
                self.pragma_once.add(os.path.realpath(self.cur_file))
            else:
                self.pragmas.append(Pragma(rest, span, len(self.origins)))
        elif name == "error":
            self.sink.error(span, f"#error {rest}".rstrip())
        elif name == "warning":
            self.sink.warning(span, f"#warning {rest}".rstrip())
        elif name == "line":
            self.do_line(rest, dline, span)
        elif name == "":
            if rest[:1].isdigit():
                self.do_line(rest, dline, span)
            elif rest:
                self.sink.warning(span, f"invalid preprocessing directive '{rest.split()[0]}'")
        else:
            self.sink.warning(span, f"unknown preprocessing directive #{name}")
        return True

    def do_line(self, rest: str, dline: int, span: Span) -> None:
        """Apply ``#line N ["file"]``: the next line is line N of that file."""
        toks = _tokenize(rest)
        if toks and toks[0].kind != _NUM:
            toks = self.expand(deque(toks), None, span)
        if not toks or toks[0].kind != _NUM or not toks[0].text.isdigit():
            self.sink.error(span, "#line expects a positive line number")
            return
        physical = dline - self.line_delta
        self.line_delta = int(toks[0].text) - 1 - physical
        if len(toks) > 1:
            if toks[1].kind != _STR or not toks[1].text.startswith('"'):
                self.sink.error(span, "invalid file name in #line directive")
                return
            self.line_file = toks[1].text[1:-1].replace("\\\\", "\\")

    def do_include(self, rest: str, span: Span) -> None:
        if rest[:1] not in ('"', "<"):
            toks = self.expand(deque(_tokenize(rest)), None, span)
            rest = _join(toks).strip()
        if rest.startswith('"') and rest.find('"', 1) > 0:
            name, quoted = rest[1 : rest.find('"', 1)], True
        elif rest.startswith("<") and rest.find(">") > 0:
            name, quoted = rest[1 : rest.find(">")], False
        else:
            self.sink.error(span, '#include expects "FILENAME" or <FILENAME>')
            return
        found = self.find_include(name, quoted)
        if found is None:
            self.sink.error(span, f"cannot open include file '{name}'")
            return
        if os.path.realpath(found) in self.pragma_once:
            return
        if self.depth >= MAX_INCLUDE_DEPTH:
            self.sink.error(span, "#include nested too deeply")
            return
        self.included.append(found)
        self.depth += 1
        try:
            self.process_file(found, None, span)
        finally:
            self.depth -= 1

    def eval_if(self, rest: str, span: Span) -> bool:
        """Evaluate a ``#if``/``#elif`` expression (``defined`` also works from macros)."""
        self.in_if = True
        try:
            self.steps = 0
            expanded = self.expand(deque(_tokenize(rest)), None, span)
            resolved: list[_Tok] = []
            i = 0
            n = len(expanded)
            while i < n:
                t = expanded[i]
                if t.text != "defined" or t.kind != _ID:
                    resolved.append(t)
                    i += 1
                    continue
                name: str | None = None
                if i + 1 < n and expanded[i + 1].kind == _ID:
                    name, i = expanded[i + 1].text, i + 2
                elif (
                    i + 3 < n
                    and expanded[i + 1].text == "("
                    and expanded[i + 2].kind == _ID
                    and expanded[i + 3].text == ")"
                ):
                    name, i = expanded[i + 2].text, i + 4
                if name is None:
                    raise _ExprError("operator 'defined' requires an identifier")
                resolved.append(_Tok("1" if name in self.macros else "0", _NUM, t.ws))
            return bool(_ExprParser(resolved).parse())
        except (_ExprError, _ExpansionLimit) as e:
            self.sink.error(span, str(e))
            return False
        finally:
            self.in_if = False


def preprocess(
    path: str,
    *,
    text: str | None = None,
    include_dirs: Sequence[str] = (),
    macro_ops: Sequence[tuple[str, ...]] = (),
    sink: DiagnosticSink,
) -> PreprocessedSource:
    """Preprocess *path* (or *text* standing for it) with a fresh macro table.

    The table starts from :data:`PREDEFINED_MACROS`, then applies *macro_ops*
    (``("define", NAME, VALUE|None)`` / ``("undef", NAME, None)``) in order.
    ``#include "x"`` searches the including file's directory, then
    *include_dirs* in order; ``<x>`` only *include_dirs*.
    """
    pp = _Preprocessor(path, include_dirs, sink)
    for name, value in PREDEFINED_MACROS.items():
        pp.define_text(name, value)
    for op in macro_ops:
        kind, macro = op[0], op[1]
        op_value = op[2] if len(op) > 2 else None
        if kind == "define":
            pp.define_text(macro, "1" if op_value is None else op_value)
        elif kind == "undef":
            pp.macros.pop(macro, None)
    try:
        pp.process_file(path, text, None)
        pp.apply_splices()
    except RecursionError:
        sink.error(Span(path, pp.cur_line, 1), "input nested too deeply")
    return PreprocessedSource(
        path=path,
        text="".join(pp.chunks),
        line_origins=pp.origins,
        pragmas=pp.pragmas,
        included_files=pp.included,
        column_maps=pp.column_maps,
    )
