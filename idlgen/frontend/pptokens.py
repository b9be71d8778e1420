"""The preprocessor's lexing: tokens of a C line, comment stripping, macro definitions and
reading source files (through :func:`idlgen.inputfiles.read_input_file`; cached by path,
size and mtime; decoded by :mod:`.sourcefiles`)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from idlgen.inputfiles import MAX_SOURCE_BYTES, read_input_file

# A run of code (string and char literals included, so that comment markers
# inside them are left alone) followed by at most one comment.
CODE_THEN_COMMENT_RE = re.compile(
    r'((?:[^"\'/]+|"(?:[^"\\\n]|\\.)*"?|\'(?:[^\'\\\n]|\\.)*\'?|/(?![*/]))*)'
    r"(/\*.*?(?:\*/|\Z)|//[^\n]*)?",
    re.S,
)
# A line whose string or char literal is not closed; group 1 is the opening quote.
UNTERMINATED_RE = re.compile(
    r"^[^\"'\n]*+(?:(?:\"(?:[^\"\\\n]++|\\.)*+\"|'(?:[^'\\\n]++|\\.)*+')[^\"'\n]*+)*+([\"'])",
    re.M,
)
DIRECTIVE_RE = re.compile(r"^[ \t\f\v\r]*#[^\n]*", re.M)
IDENT_RE = re.compile(r"[A-Za-z_$][\w$]*")
DIRECTIVE_NAME_RE = re.compile(r"[ \t\f\v\r]*#[ \t\f\v\r]*([A-Za-z_]\w*)?")
_TOKEN_RE = re.compile(
    r"(?P<ws>[ \t\f\v\r\n]+)"
    r'|(?P<str>(?:u8|[uUL])?"(?:[^"\\\n]|\\.)*"?)'
    r"|(?P<chr>(?:u8|[uUL])?'(?:[^'\\\n]|\\.)*'?)"
    r"|(?P<id>[A-Za-z_$][\w$]*)"
    r"|(?P<num>\.?\d(?:[eEpP][+-]|[\w.])*)"
    r"|(?P<punct>\.\.\.|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||##|[-+*/%&|^]=|.)",
    re.S,
)
MACRO_DEF_RE = re.compile(r"([A-Za-z_$][\w$]*)(\()?")

#: Token kinds.
TOK_ID, TOK_NUM, TOK_STR, TOK_CHR, TOK_PUNCT = range(5)
_KINDS = {"id": TOK_ID, "num": TOK_NUM, "str": TOK_STR, "chr": TOK_CHR, "punct": TOK_PUNCT}
_EMPTY: frozenset[str] = frozenset()


class Tok:
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

    def copy(self, ws: bool | None = None, hide: frozenset[str] | None = None) -> Tok:
        return Tok(
            self.text,
            self.kind,
            self.ws if ws is None else ws,
            self.hide if hide is None else hide,
            self.row,
            self.col,
            self.fixed,
        )


def tokenize(text: str, start: int = 0, end: int | None = None, row: int = -1) -> list[Tok]:
    out: list[Tok] = []
    ws = False
    stop = len(text) if end is None else end
    for m in _TOKEN_RE.finditer(text, start, stop):
        kind = m.lastgroup
        if kind == "ws":
            ws = True
            continue
        out.append(Tok(m.group(), _KINDS[kind or "punct"], ws, _EMPTY, row, m.start()))
        ws = False
    return out


def outside_literal(text: str, pos: int) -> bool:
    """True when *pos* is not inside a string or char literal of its line."""
    line_start = text.rfind("\n", 0, pos) + 1
    if '"' not in text[line_start:pos] and "'" not in text[line_start:pos]:
        return True
    for m in _TOKEN_RE.finditer(text, line_start, pos + 1):
        if m.start() <= pos < m.end():
            return m.lastgroup not in ("str", "chr")
    return True


def join(tokens: Sequence[Tok]) -> str:
    parts: list[str] = []
    for i, t in enumerate(tokens):
        if i and t.ws:
            parts.append(" ")
        parts.append(t.text)
    return "".join(parts)


@dataclass(slots=True)
class Macro:
    name: str
    body: list[Tok] | None  # None until first use: tokenised lazily from body_text
    params: list[str] | None = None  # None: object-like
    variadic: bool = False
    builtin: str = ""
    body_text: str = ""

    def tokens(self) -> list[Tok]:
        """The replacement list (tokenised on first use; most macros are never used)."""
        if self.body is None:
            body = tokenize(self.body_text)
            if body:
                body[0] = body[0].copy(ws=False)
            self.body = body
        return self.body


_read_cache: dict[str, tuple[int, int, bytes]] = {}
# Regexes finding the macro names of one text block, keyed by those names (shared by all runs).
hit_regex_cache: dict[frozenset[str], re.Pattern[str]] = {}


def read_file(path: str) -> bytes:
    """The bytes of the source file *path* (a regular file of at most
    :data:`~idlgen.inputfiles.MAX_SOURCE_BYTES`); raises
    :class:`~idlgen.inputfiles.UnreadableFile` saying why not."""
    try:
        st = os.stat(path)
    except OSError:
        st = None
    if st is not None:
        cached = _read_cache.get(path)
        if cached is not None and cached[0] == st.st_mtime_ns and cached[1] == st.st_size:
            return cached[2]
    data = read_input_file(path, MAX_SOURCE_BYTES)
    if st is not None:
        _read_cache[path] = (st.st_mtime_ns, st.st_size, data)
    return data
