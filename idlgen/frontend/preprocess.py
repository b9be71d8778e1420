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
from idlgen.frontend.ppexpr import MAX_NESTING, ExprError, ExprParser
from idlgen.frontend.pptokens import (
    CODE_THEN_COMMENT_RE,
    DIRECTIVE_NAME_RE,
    DIRECTIVE_RE,
    IDENT_RE,
    MACRO_DEF_RE,
    TOK_ID,
    TOK_NUM,
    TOK_STR,
    UNTERMINATED_RE,
    Macro,
    Tok,
    hit_regex_cache,
    join,
    outside_literal,
    read_file,
    tokenize,
)
from idlgen.frontend.sourcefiles import Lookup, decode_source, find_source
from idlgen.inputfiles import MAX_SOURCE_BYTES, UnreadableFile

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

#: A string literal from its opening quote to its closing one, across line breaks.
_MULTILINE_STRING_RE = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)

#: ``NAME`` or ``NAME(a, b)`` / ``NAME(a, ...)``: what ``-D NAME[=VALUE]`` may define.
_MACRO_HEAD_RE = re.compile(
    r"[A-Za-z_]\w*(?:\(\s*(?:(?:[A-Za-z_]\w*\s*,\s*)*(?:[A-Za-z_]\w*|\.\.\.)\s*)?\))?"
)


def is_macro_head(text: str) -> bool:
    """True for a macro name, or a function-like one with its parameters: ``F(x, y)``."""
    return _MACRO_HEAD_RE.fullmatch(text) is not None


MAX_INCLUDE_DEPTH = 200
MAX_EXPANSION_STEPS = 50_000

# What one compilation (a main or imported file with everything it #includes) may cost; the
# corpus needs at most 10 files, 460 KB and a few thousand macro tokens per compilation.
#: Files read: the compiled file and each ``#include`` (``#pragma once`` skips do not count).
MAX_FILES_READ = 2_000
#: Bytes read, all files together.
MAX_BYTES_READ = 2 * MAX_SOURCE_BYTES
#: Tokens made by macro expansion.
MAX_MACRO_TOKENS = 1_000_000


@dataclass(frozen=True, slots=True)
class Pragma:
    """A ``#pragma`` line: the text after ``pragma`` and where it was.

    ``output_line`` is the number of output lines before it: the pragma stands between
    output lines ``output_line`` and ``output_line + 1`` (what ``#pragma pack`` needs).
    """

    text: str
    span: Span
    output_line: int = 0


#: Greater than any line number (a bisect key that sorts after every (column, line) pair).
_MAX_LINE = 1 << 62

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
    _starts: dict[int, list[int]] = field(default_factory=dict, repr=False)

    def locate(self, line: int, column: int) -> tuple[str, int, int]:
        """Map an output position (1-based line and column) to (file, line, column)."""
        segments = self.column_maps.get(line)
        if segments is not None:
            starts = self._starts.get(line)
            if starts is None:  # once per line: a long spliced line has thousands of segments
                starts = self._starts[line] = [s[0] for s in segments]
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


# ---------------------------------------------------------------- the preprocessor


class _ExpansionLimit(Exception):
    pass


class _BudgetExceeded(Exception):
    """One compilation read or made too much: preprocessing stops (like a fatal error)."""

    def __init__(self, span: Span, message: str) -> None:
        super().__init__(message)
        self.span = span
        self.message = message


@dataclass
class _Cond:
    active: bool  # this branch is being emitted
    taken: bool  # some branch of this group was taken
    parent_active: bool
    span: Span
    seen_else: bool = False


class _Preprocessor:
    def __init__(
        self,
        main_path: str,
        include_dirs: Sequence[str],
        sink: DiagnosticSink,
        code_page: str | None = None,
    ) -> None:
        self.main_path = main_path
        self.code_page = code_page
        self.include_dirs = list(include_dirs)
        self.sink = sink
        self.macros: dict[str, Macro] = {}
        self.chunks: list[str] = []
        self.origins: list[tuple[str, int]] = []
        self.column_maps: dict[int, list[_Segment]] = {}
        self.pragmas: list[Pragma] = []
        self.included: list[str] = []
        self.pragma_once: set[str] = set()
        self.depth = 0
        self.steps = 0
        self.files_read = 0
        self.bytes_read = 0
        self.macro_tokens = 0
        self.cur_file = main_path
        self.cur_line = 0
        self.line_file = main_path
        self.line_delta = 0
        self.in_if = False
        # (file, first physical line) of a spliced text line -> (logical column, physical line)
        self.splices: dict[tuple[str, int], list[tuple[int, int]]] = {}
        now = time.gmtime()
        self.macros["__FILE__"] = Macro("__FILE__", [], builtin="file")
        self.macros["__LINE__"] = Macro("__LINE__", [], builtin="line")
        self.macros["__DATE__"] = Macro(
            "__DATE__", [Tok(time.strftime('"%b %e %Y"', now), TOK_STR, False)]
        )
        self.macros["__TIME__"] = Macro(
            "__TIME__", [Tok(time.strftime('"%H:%M:%S"', now), TOK_STR, False)]
        )

    # ---- definitions

    def define_text(self, name: str, value: str) -> None:
        self.macros[name] = Macro(name, None, body_text=value)

    def parse_define(self, rest: str, span: Span) -> None:
        m = MACRO_DEF_RE.match(rest)
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
            self.macros[name] = Macro(name, None, body_text=rest[m.end() :])
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
            elif p.endswith("...") and IDENT_RE.fullmatch(p[:-3].strip()):
                variadic = True
                params.append(p[:-3].strip())
            elif IDENT_RE.fullmatch(p):
                params.append(p)
            else:
                self.sink.error(
                    span, f"invalid parameter '{p}' in the definition of macro '{name}'"
                )
                return
        self.macros[name] = Macro(name, None, params, variadic, body_text=rest[close + 1 :])

    # ---- expansion

    def expand(
        self,
        tokens: deque[Tok],
        more: Callable[[], list[Tok] | None] | None,
        span: Span,
        level: int = 0,
    ) -> list[Tok]:
        """Expand macros in *tokens*; *more* supplies further source tokens on demand."""
        if level > MAX_NESTING:
            raise _ExpansionLimit("macro arguments nested too deeply")
        out: list[Tok] = []
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
            mac = macros.get(t.text) if t.kind == TOK_ID else None
            if mac is None or t.text in t.hide:
                out.append(t)
                continue
            self.steps += 1
            if self.steps > MAX_EXPANSION_STEPS:
                raise _ExpansionLimit("macro expansion too large or recursive")
            if mac.builtin:
                text = f'"{self.line_file}"' if mac.builtin == "file" else str(self.cur_line)
                out.append(
                    Tok(
                        text.replace("\\", "\\\\") if mac.builtin == "file" else text,
                        TOK_STR if mac.builtin == "file" else TOK_NUM,
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
    def _place(repl: list[Tok], name: Tok) -> None:
        """Position the tokens a macro made at the macro name that made them."""
        for x in repl:
            if x.row < 0:
                x.row, x.col, x.fixed = name.row, name.col, True

    @staticmethod
    def _refill(tokens: deque[Tok], more: Callable[[], list[Tok] | None]) -> bool:
        while True:
            extra = more()
            if extra is None:
                return False
            if extra:
                tokens.extend(extra)
                return True

    def collect_args(
        self,
        tokens: deque[Tok],
        more: Callable[[], list[Tok] | None] | None,
        mac: Macro,
        span: Span,
    ) -> tuple[list[list[Tok]], Tok | None]:
        tokens.popleft()  # '('
        args: list[list[Tok]] = [[]]
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
        self, mac: Macro, args: list[list[Tok]], hide: frozenset[str], span: Span, level: int
    ) -> list[Tok]:
        params = mac.params or []
        index = {p: i for i, p in enumerate(params)}
        body = mac.tokens()
        out: list[Tok] = []
        expanded: dict[int, list[Tok]] = {}
        i = 0
        n = len(body)
        while i < n:
            t = body[i]
            if t.text == "#" and mac.params is not None and i + 1 < n and body[i + 1].text in index:
                arg = args[index[body[i + 1].text]]
                s = join(arg).replace("\\", "\\\\").replace('"', '\\"')
                out.append(Tok(f'"{s}"', TOK_STR, t.ws))
                i += 2
                continue
            if t.text == "##" and out and i + 1 < n:
                nxt = body[i + 1]
                rhs = args[index[nxt.text]] if nxt.text in index else [nxt]
                i += 2
                if not rhs:
                    continue
                left = out.pop()
                pasted = tokenize(left.text + rhs[0].text)
                if len(pasted) != 1:
                    self.sink.error(
                        span,
                        f'pasting "{left.text}" and "{rhs[0].text}" does not give a valid token',
                    )
                for k, p in enumerate(pasted):
                    out.append(p.copy(ws=left.ws if k == 0 else p.ws))
                out.extend(rhs[1:])
                continue
            if t.kind == TOK_ID and t.text in index:
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
        self.macro_tokens += len(out)
        if self.macro_tokens > MAX_MACRO_TOKENS:
            raise _BudgetExceeded(
                span,
                f"macro expansion made more than {MAX_MACRO_TOKENS:,} tokens in this "
                "compilation; preprocessing stopped",
            )
        # most tokens hide nothing yet: share *hide* instead of a new set per token
        return [x.copy(hide=hide if x.hide <= hide else x.hide | hide) for x in out]

    # ---- files

    def _spend_bytes(self, size: int, span: Span) -> None:
        """Count a file read against the budget of one compilation."""
        self.files_read += 1
        self.bytes_read += size
        if self.files_read > MAX_FILES_READ:
            raise _BudgetExceeded(
                span,
                f"more than {MAX_FILES_READ:,} files read (#include) in this compilation; "
                "preprocessing stopped",
            )
        if self.bytes_read > MAX_BYTES_READ:
            raise _BudgetExceeded(
                span,
                f"more than {MAX_BYTES_READ // 2**20} MB read (#include) in this compilation; "
                "preprocessing stopped",
            )

    def find_include(self, name: str, quoted: bool) -> Lookup:
        """``"name"``: the including file's directory, then the include directories;
        ``<name>``: only those (see :func:`~idlgen.frontend.sourcefiles.find_source`)."""
        dirs: list[str] = []
        if quoted:
            dirs.append(os.path.dirname(self.cur_file) or ".")
        dirs.extend(self.include_dirs)
        return find_source(name, dirs)

    def process_file(self, path: str, text: str | None, span: Span | None) -> None:
        if text is None:
            try:
                data = read_file(path)
            except UnreadableFile as exc:
                self.sink.error(span or Span(path, 0, 0), exc.message)
                return
            self._spend_bytes(len(data), span or Span(path, 0, 0))
            decoded = decode_source(data, self.code_page)
            text = decoded.text
            bad = decoded.bad_offset
            if bad is not None:
                line = text.count("\n", 0, bad) + 1
                col = bad - (text.rfind("\n", 0, bad) + 1) + 1
                self.sink.error(Span(path, line, col), f"{decoded.problem} in the source file")
        else:
            self._spend_bytes(len(text), span or Span(path, 0, 0))
            if text.startswith("\ufeff"):
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

    def _strip(self, path: str, text: str, joins: list[tuple[int, int]]) -> str:
        """Blank out comments, keeping line count and the columns of what follows them.

        A comment running over line breaks inside a directive is one space, as in C: the
        directive goes on after it (``#define F(x) /* ... */ body`` over two lines); each
        such join is added to *joins* as (0-based logical line, lines joined to it).
        """
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
            pos = m.start(2)
            line_start = text.rfind("\n", 0, pos) + 1
            if text[line_start:pos].lstrip(" \t\f\v\r").startswith("#"):
                joins.append((text.count("\n", 0, pos), k))
                return code + " "
            return code + "\n" * k + " " * (len(s) - s.rfind("\n") - 1)

        return CODE_THEN_COMMENT_RE.sub(repl, text)

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
            k = max(0, bisect.bisect_right(pieces, (col, _MAX_LINE)) - 1)
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
            joins: list[tuple[int, int]] = []
            text = self._strip(path, text, joins)
            if joins:
                # the lines a comment joined to a directive are gone from the logical lines
                if l2p is None:
                    l2p = list(range(text.count("\n") + sum(k for _, k in joins) + 2))
                for joined_line, k in reversed(joins):
                    del l2p[joined_line + 2 : joined_line + 2 + k]
        if not text.endswith("\n"):
            text += "\n"
        conds: list[_Cond] = []
        active = True
        pos = 0
        line_no = 1
        for dm in DIRECTIVE_RE.finditer(text):
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
        bad = UNTERMINATED_RE.search(text, start, end)
        newlines_in_strings: list[int] = []
        while bad is not None:
            q = bad.start(1)
            row = text.count("\n", start, q)
            col = q - (text.rfind("\n", 0, q) + 1) + 1
            line = (l2p[line_no + row] if l2p is not None else line_no + row) + self.line_delta
            resume = text.find("\n", q) + 1
            closed = _MULTILINE_STRING_RE.match(text, q) if text[q] == '"' else None
            if closed is not None and closed.end() <= end:
                # MIDL (and widl, with a warning) reads a string across a line break
                last = line + text.count("\n", q, closed.end())
                self.sink.warning(
                    Span(path, line, col),
                    f"newline in string constant (the string ends on line {last})",
                )
                newlines_in_strings.extend(
                    i for i in range(q, closed.end()) if text[i] == "\n" and text[i - 1] != "\\"
                )
                resume = text.find("\n", closed.end()) + 1
            else:
                self.sink.error(Span(path, line, col), f"missing terminating {text[q]} character")
            bad = UNTERMINATED_RE.search(text, resume, end) if resume else None
        if newlines_in_strings:
            # an escaped newline: the parser reads one string, and line numbers stay
            pieces, last_end = [], start
            for i in newlines_in_strings:
                pieces.append(text[last_end:i])
                pieces.append("\\")
                last_end = i
            pieces.append(text[last_end:end])
            text, start, end = "".join(pieces), 0, end - start + len(newlines_in_strings)
        idents = set(IDENT_RE.findall(text, start, end))
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
        rx = hit_regex_cache.get(key)
        if rx is None:
            names = "|".join(re.escape(h) for h in sorted(hits, key=len, reverse=True))
            rx = re.compile(r"\b(?:" + names + r")\b")
            if len(hit_regex_cache) > 1024:
                hit_regex_cache.clear()
            hit_regex_cache[key] = rx
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
            p for p in (m.start() for m in rx.finditer(block)) if outside_literal(block, p)
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

            def more(consumed: list[int] = consumed) -> list[Tok] | None:
                j = consumed[0] + 1
                if j >= nl:
                    return None
                consumed[0] = j
                toks = tokenize(lines[j], row=j)
                if toks:
                    toks[0].ws = True
                return toks

            toks = deque(tokenize(ln, col0, row=i))
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
        m = DIRECTIVE_NAME_RE.match(line)
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
                mm = IDENT_RE.match(rest)
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
            mm = IDENT_RE.match(rest)
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
        toks = tokenize(rest)
        if toks and toks[0].kind != TOK_NUM:
            toks = self.expand(deque(toks), None, span)
        if not toks or toks[0].kind != TOK_NUM or not toks[0].text.isdigit():
            self.sink.error(span, "#line expects a positive line number")
            return
        physical = dline - self.line_delta
        self.line_delta = int(toks[0].text) - 1 - physical
        if len(toks) > 1:
            if toks[1].kind != TOK_STR or not toks[1].text.startswith('"'):
                self.sink.error(span, "invalid file name in #line directive")
                return
            self.line_file = toks[1].text[1:-1].replace("\\\\", "\\")

    def do_include(self, rest: str, span: Span) -> None:
        if rest[:1] not in ('"', "<"):
            toks = self.expand(deque(tokenize(rest)), None, span)
            rest = join(toks).strip()
        if rest.startswith('"') and rest.find('"', 1) > 0:
            name, quoted = rest[1 : rest.find('"', 1)], True
        elif rest.startswith("<") and rest.find(">") > 0:
            name, quoted = rest[1 : rest.find(">")], False
        else:
            self.sink.error(span, '#include expects "FILENAME" or <FILENAME>')
            return
        lookup = self.find_include(name, quoted)
        found = lookup.path
        if lookup.ambiguous:
            self.sink.error(span, lookup.ambiguity_message(name))
            return
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
            expanded = self.expand(deque(tokenize(rest)), None, span)
            resolved: list[Tok] = []
            i = 0
            n = len(expanded)
            while i < n:
                t = expanded[i]
                if t.text != "defined" or t.kind != TOK_ID:
                    resolved.append(t)
                    i += 1
                    continue
                name: str | None = None
                if i + 1 < n and expanded[i + 1].kind == TOK_ID:
                    name, i = expanded[i + 1].text, i + 2
                elif (
                    i + 3 < n
                    and expanded[i + 1].text == "("
                    and expanded[i + 2].kind == TOK_ID
                    and expanded[i + 3].text == ")"
                ):
                    name, i = expanded[i + 2].text, i + 4
                if name is None:
                    raise ExprError("operator 'defined' requires an identifier")
                resolved.append(Tok("1" if name in self.macros else "0", TOK_NUM, t.ws))
            return bool(ExprParser(resolved).parse())
        except (ExprError, _ExpansionLimit) as e:
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
    code_page: str | None = None,
) -> PreprocessedSource:
    """Preprocess *path* (or *text* standing for it) with a fresh macro table.

    Files read are decoded by :func:`~idlgen.frontend.sourcefiles.decode_source`: UTF-8 or
    UTF-16 when a BOM or the bytes say so, else the Windows *code_page* (default cp1252).

    The table starts from :data:`PREDEFINED_MACROS`, then applies *macro_ops*
    (``("define", NAME, VALUE|None)`` / ``("undef", NAME, None)``) in order; a NAME
    with parameters (``F(x)``) defines a function-like macro.
    ``#include "x"`` searches the including file's directory, then
    *include_dirs* in order; ``<x>`` only *include_dirs*.
    """
    pp = _Preprocessor(path, include_dirs, sink, code_page)
    for name, value in PREDEFINED_MACROS.items():
        pp.define_text(name, value)
    for op in macro_ops:
        kind, macro = op[0], op[1]
        op_value = op[2] if len(op) > 2 else None
        if kind == "define" and "(" in macro:
            # `-D "DECLARE_HANDLE(n)=typedef void *n"`, as C compilers take it
            body = "" if op_value is None else op_value
            pp.parse_define(f"{macro} {body}", Span("<command line>", 0, 0))
        elif kind == "define":
            pp.define_text(macro, "1" if op_value is None else op_value)
        elif kind == "undef":
            pp.macros.pop(macro, None)
    try:
        pp.process_file(path, text, None)
        pp.apply_splices()
    except RecursionError:
        sink.error(Span(path, pp.cur_line, 1), "input nested too deeply")
    except _BudgetExceeded as exc:
        sink.error(exc.span, exc.message)
        return PreprocessedSource(path=path, text="", line_origins=[])
    return PreprocessedSource(
        path=path,
        text="".join(pp.chunks),
        line_origins=pp.origins,
        pragmas=pp.pragmas,
        included_files=pp.included,
        column_maps=pp.column_maps,
    )
