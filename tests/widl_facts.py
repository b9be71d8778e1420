"""Facts about an IDL file, read from the C header that widl generates for it.

:func:`widl_facts` runs ``widl -h`` (the way mingw-w64's build does, from the
corpus folder) and :func:`parse_header` reads the header back into plain
facts: interfaces (IID, base, methods in vtable order including inherited
ones, with parameter names), dispinterfaces (DIID), coclasses (CLSID),
libraries (LIBID) and enums (enumerators with evaluated values).

``cpp_quote`` text is copied into the header verbatim and some files quote
whole hand-written headers (``control.idl``), so the header is first cleaned
of it: ``widl -E`` gives the preprocessed source, whose ``cpp_quote`` strings
are matched, in order, against the header lines and removed.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

# --------------------------------------------------------------------------- the corpus manifest


@dataclass(frozen=True)
class CorpusEntry:
    """One row of the corpus's ``MANIFEST.tsv``."""

    file: str  # relative to the corpus folder, e.g. "include/ocidl.idl"
    dialect: str  # "classic" or "winrt"
    widl_ok: bool
    widl_error: str  # "include/x.idl:24:7: error: ..." or ""

    @property
    def error_line(self) -> int | None:
        """The line widl's error names, if widl rejects the file."""
        m = re.match(r"[^:]+:(\d+):\d+:", self.widl_error)
        return int(m.group(1)) if m else None


@cache
def corpus_entries(corpus: Path) -> tuple[CorpusEntry, ...]:
    """The rows of ``corpus/MANIFEST.tsv`` (empty when it is absent)."""
    manifest = corpus / "MANIFEST.tsv"
    if not manifest.is_file():
        return ()
    with manifest.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return tuple(
        CorpusEntry(r["file"], r["dialect"], r["widl"] == "ok", r.get("widl_error") or "")
        for r in rows
    )


def classic_ok(corpus: Path) -> list[str]:
    """Classic corpus files widl accepts (paths relative to *corpus*)."""
    return [e.file for e in corpus_entries(corpus) if e.dialect == "classic" and e.widl_ok]


def classic_rejected(corpus: Path) -> list[CorpusEntry]:
    """Classic corpus files widl rejects."""
    return [e for e in corpus_entries(corpus) if e.dialect == "classic" and not e.widl_ok]


def widl_version(widl: str | os.PathLike[str]) -> tuple[int, int] | None:
    """widl's (major, minor) version, or None if it cannot be run."""
    try:
        out = subprocess.run(
            [os.fspath(widl), "-V"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    m = re.search(r"version (\d+)\.(\d+)", out)
    return (int(m.group(1)), int(m.group(2))) if m else None


#: Oldest widl this module understands (Debian's widl 7 cannot read the corpus).
MIN_WIDL_VERSION = (9, 0)

# --------------------------------------------------------------------------- facts


@dataclass(frozen=True)
class MethodFact:
    """One vtable slot: method name and parameter names (without ``This``)."""

    name: str
    params: tuple[str, ...]
    owner: str  # the interface whose "/*** X methods ***/" group lists it


@dataclass
class InterfaceFact:
    """An interface or dispinterface as widl's header describes it."""

    name: str
    kind: str  # "interface" or "dispinterface"
    uuid: str | None = None
    base: str | None = None
    #: Every vtable slot in order, inherited ones first; empty for non-object interfaces.
    methods: list[MethodFact] = field(default_factory=list)
    has_vtbl: bool = False

    def own_methods(self) -> list[MethodFact]:
        """The slots the interface itself adds (its own "methods" group)."""
        return [m for m in self.methods if m.owner == self.name]


@dataclass
class EnumFact:
    """A generated enum: ``tag`` (or None), ``typedef`` name (or None) and members."""

    tag: str | None
    typedef: str | None
    members: list[tuple[str, int | None]]
    line: int
    #: The expression widl wrote for each member with an explicit value.
    exprs: dict[str, str] = field(default_factory=dict)


@dataclass
class HeaderFacts:
    """Everything :func:`parse_header` read from one header."""

    interfaces: dict[str, InterfaceFact] = field(default_factory=dict)
    dispinterfaces: dict[str, InterfaceFact] = field(default_factory=dict)
    coclasses: dict[str, str] = field(default_factory=dict)
    libraries: dict[str, str] = field(default_factory=dict)
    enums: list[EnumFact] = field(default_factory=list)
    #: ``const`` declarations (``#define NAME (value)``) with their values (None if unknown).
    consts: dict[str, int | None] = field(default_factory=dict)
    #: Lines removed as cpp_quote text, and cpp_quote lines not found in the header.
    cpp_quote_lines: int = 0
    cpp_quote_unmatched: int = 0
    #: Things the parser did not understand (should stay empty on the corpus).
    problems: list[str] = field(default_factory=list)

    def enum_values(self) -> dict[str, int | None]:
        """Every enumerator name -> value, over all enums."""
        return {n: v for e in self.enums for n, v in e.members}


@dataclass
class WidlRun:
    """The result of running widl on one file."""

    file: str
    returncode: int
    stderr: str
    facts: HeaderFacts | None  # None when widl failed


# --------------------------------------------------------------------------- cpp_quote

_CPP_QUOTE = re.compile(r'\bcpp_quote\s*\(\s*"((?:[^"\\\n]|\\.)*)"\s*\)')
_ESCAPES = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'", "r": "\r", "0": "\0"}


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(1)), s)


def cpp_quote_lines(preprocessed: str) -> list[str]:
    """The header lines ``cpp_quote`` statements of *preprocessed* produce, in order."""
    lines: list[str] = []
    for m in _CPP_QUOTE.finditer(preprocessed):
        lines.extend(_unescape(m.group(1)).split("\n"))
    return lines


def strip_cpp_quotes(header_lines: list[str], quoted: list[str]) -> tuple[list[str], int, int]:
    """Blank the header lines that came from ``cpp_quote``.

    Both sequences keep their order in the header, so each quoted line is
    matched to the first equal header line after the previous match.  Returns
    the cleaned lines (same length; removed lines become ``""``), how many
    were removed and how many quoted lines were not found.
    """
    out = list(header_lines)
    pos = 0
    removed = unmatched = 0
    for q in quoted:
        j = pos
        while j < len(out) and out[j] != q:
            j += 1
        if j == len(out):
            unmatched += 1
            continue
        out[j] = ""
        removed += 1
        pos = j + 1
    return out, removed, unmatched


# --------------------------------------------------------------------------- expressions


class _ExprError(Exception):
    pass


_TOKEN = re.compile(r"\s*(0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|<<|>>|[-+*/%()|&^~!])")
_CASTS = {
    "int": (32, True),
    "INT": (32, True),
    "LONG": (32, True),
    "long": (32, True),
    "DWORD": (32, False),
    "UINT": (32, False),
    "ULONG": (32, False),
    "unsigned": (32, False),
}
_BINARY = [("|",), ("^",), ("&",), ("<<", ">>"), ("+", "-"), ("*", "/", "%")]


def _wrap(value: int, bits: int, signed: bool) -> int:
    value &= (1 << bits) - 1
    if signed and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def evaluate(text: str, names: dict[str, int | None]) -> int:
    """Evaluate an enumerator expression as widl writes it (C integer syntax).

    *names* maps known enumerators to values; an unknown name raises ValueError.
    """
    tokens: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"cannot read {text[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    i = 0

    def peek() -> str | None:
        return tokens[i] if i < len(tokens) else None

    def take() -> str:
        nonlocal i
        if i >= len(tokens):
            raise _ExprError("unexpected end")
        i += 1
        return tokens[i - 1]

    def unary() -> int:
        t = take()
        if t == "-":
            return -unary()
        if t == "+":
            return unary()
        if t == "~":
            return ~unary()
        if t == "!":
            return int(not unary())
        if t == "(":
            if peek() in _CASTS and i + 1 < len(tokens) and tokens[i + 1] == ")":
                bits, signed = _CASTS[take()]
                take()
                return _wrap(unary(), bits, signed)
            v = binary(0)
            if take() != ")":
                raise _ExprError("expected )")
            return v
        if t[0].isdigit():
            t = t.rstrip("uUlL")
            return int(t, 0) if not t.startswith("0") or t[:2].lower() == "0x" else int(t, 8)
        if t in names:
            known = names[t]
            if known is None:
                raise _ExprError(f"{t} has no known value")
            return known
        raise _ExprError(f"unknown name {t}")

    def binary(level: int) -> int:
        if level == len(_BINARY):
            return unary()
        left = binary(level + 1)
        while peek() in _BINARY[level]:
            op = take()
            right = binary(level + 1)
            if op == "|":
                left |= right
            elif op == "^":
                left ^= right
            elif op == "&":
                left &= right
            elif op == "<<":
                left <<= right
            elif op == ">>":
                left >>= right
            elif op == "+":
                left += right
            elif op == "-":
                left -= right
            elif op == "*":
                left *= right
            elif right == 0:
                raise _ExprError("division by zero")
            elif op == "/":
                left = int(left / right)
            else:
                left = left - int(left / right) * right
        return left

    try:
        value = binary(0)
    except _ExprError as exc:
        raise ValueError(str(exc)) from None
    if i != len(tokens):
        raise ValueError(f"trailing tokens in {text!r}")
    return value


# --------------------------------------------------------------------------- header parsing

_GUID_ARGS = re.compile(
    r"^DEFINE_GUID\((\w+),\s*"
    r"0x([0-9a-fA-F]+),\s*0x([0-9a-fA-F]+),\s*0x([0-9a-fA-F]+),\s*"
    + r",\s*".join([r"0x([0-9a-fA-F]+)"] * 8)
    + r"\);$"
)
_SECTION = re.compile(r"^#ifndef __(\w+)_(INTERFACE|DISPINTERFACE|LIBRARY)_DEFINED__$")
_COCLASS_COMMENT = re.compile(r"^ \* (\w+) coclass$")
_ENUM_START = re.compile(r"^(typedef )?enum (?:(\w+) )?\{$")
_ENUM_MEMBER = re.compile(r"^    (\w+)(?: = (.*?))?,?$")
_VTBL_SLOT = re.compile(r"^    (.+?) ?\((?:\w+ )?\*(\w+)\)\($")
_CONST = re.compile(r"^#define (\w+) \((.*)\)$")
_GROUP = re.compile(r"^    /\*\*\* (\w+) methods \*\*\*/$")


def _guid(m: re.Match[str]) -> str:
    g = [int(x, 16) for x in m.groups()[1:]]
    tail = "".join(f"{b:02x}" for b in g[5:])
    return f"{g[0]:08x}-{g[1]:04x}-{g[2]:04x}-{g[3]:02x}{g[4]:02x}-{tail}"


def _split_top(text: str) -> list[str]:
    parts: list[str] = []
    depth = 0
    start = 0
    for k, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def param_name(decl: str) -> str:
    """The declared name in a C parameter declaration (``const WCHAR *name[4]`` -> ``name``)."""
    decl = decl.strip()
    m = re.search(r"\(\s*(?:\w+\s+)*\*+\s*(\w+)\s*\)\s*\(", decl)  # function pointer
    if m:
        return m.group(1)
    while decl.endswith("]"):
        decl = decl[: decl.rindex("[")].rstrip()
    m = re.search(r"(\w+)$", decl)
    return m.group(1) if m else ""


class _HeaderParser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.facts = HeaderFacts()
        self.names: dict[str, int | None] = {}

    def problem(self, k: int, text: str) -> None:
        self.facts.problems.append(f"header line {k + 1}: {text}")

    def run(self) -> HeaderFacts:
        lines = self.lines
        k = 0
        while k < len(lines):
            line = lines[k]
            m = _SECTION.match(line)
            if m:
                k = self.section(k, m.group(1), m.group(2))
                continue
            m = _COCLASS_COMMENT.match(line)
            if m:
                k = self.coclass(k, m.group(1))
                continue
            m = _ENUM_START.match(line)
            if m:
                k = self.enum(k, m.group(2))
                continue
            self.const(line)
            k += 1
        return self.facts

    def const(self, line: str) -> None:
        m = _CONST.match(line)
        if m:
            try:
                value: int | None = evaluate(m.group(2), self.names)
            except ValueError:
                value = None
            self.facts.consts[m.group(1)] = self.names[m.group(1)] = value

    def _end_of_section(self, k: int, name: str, kind: str) -> int:
        marker = f"#endif  /* __{name}_{kind}_DEFINED__ */"
        for j in range(k + 1, len(self.lines)):
            if self.lines[j] == marker:
                return j
        return -1

    def section(self, k: int, name: str, kind: str) -> int:
        if kind == "LIBRARY":
            for j in range(k + 1, min(k + 6, len(self.lines))):
                m = _GUID_ARGS.match(self.lines[j])
                if m and m.group(1) == f"LIBID_{name}":
                    self.facts.libraries[name] = _guid(m)
                    break
            else:
                self.problem(k, f"library {name} without LIBID")
            return k + 1
        end = self._end_of_section(k, name, kind)
        if end < 0:
            # A cpp_quote'd guard whose text was kept, or a truncated header.
            self.problem(k, f"{kind.lower()} {name}: no end of section")
            return k + 1
        fact = InterfaceFact(name, "interface" if kind == "INTERFACE" else "dispinterface")
        guid_prefix = "IID_" if kind == "INTERFACE" else "DIID_"
        j = k + 1
        while j < end:
            line = self.lines[j]
            m = _GUID_ARGS.match(line)
            if m and m.group(1) == guid_prefix + name and fact.uuid is None:
                fact.uuid = _guid(m)
            elif line.startswith('MIDL_INTERFACE("'):
                cxx_uuid = line[len('MIDL_INTERFACE("') :].split('"')[0].lower()
                if fact.uuid is not None and cxx_uuid != fact.uuid:
                    self.problem(j, f"{name}: MIDL_INTERFACE uuid differs from DEFINE_GUID")
                fact.uuid = fact.uuid or cxx_uuid
                fact.base = self._base(self.lines[j + 1], name, j + 1)
            elif line == f"interface {name}" or line.startswith(f"interface {name} : public "):
                fact.base = self._base(line[len("interface ") :], name, j)
            elif line == f"typedef struct {name}Vtbl {{":
                j = self.vtbl(j, fact)
            else:
                me = _ENUM_START.match(line)
                if me:
                    j = self.enum(j, me.group(2))
                    continue
                self.const(line)
            j += 1
        table = self.facts.interfaces if kind == "INTERFACE" else self.facts.dispinterfaces
        if name in table:
            self.problem(k, f"{name} defined twice")
        table[name] = fact
        return end + 1

    def _base(self, line: str, name: str, k: int) -> str | None:
        line = line.strip()
        if line == name:
            return None
        if line.startswith(f"{name} : public "):
            return line[len(f"{name} : public ") :].strip()
        self.problem(k, f"{name}: cannot read the base from {line!r}")
        return None

    def vtbl(self, k: int, fact: InterfaceFact) -> int:
        fact.has_vtbl = True
        owner = ""
        j = k + 1
        lines = self.lines
        end_line = f"}} {fact.name}Vtbl;"
        while j < len(lines) and lines[j] != end_line:
            line = lines[j]
            g = _GROUP.match(line)
            if g:
                owner = g.group(1)
                j += 1
                continue
            s = _VTBL_SLOT.match(line)
            if s:
                ret, mname = s.group(1), s.group(2)
                text = []
                j += 1
                while j < len(lines) and not lines[j].endswith(");"):
                    text.append(lines[j])
                    j += 1
                if j < len(lines):
                    text.append(lines[j][:-2])
                params = [param_name(p) for p in _split_top(" ".join(text))]
                if params and params[0] == "This":
                    params = params[1:]
                else:
                    self.problem(j, f"{fact.name}.{mname}: first parameter is not This")
                if params and params[0] == "__ret" and ret.rstrip().endswith("*"):
                    params = params[1:]  # aggregate return value, passed by pointer in C
                fact.methods.append(MethodFact(mname, tuple(params), owner))
            elif (
                line.strip()
                and line.strip() not in ("BEGIN_INTERFACE", "END_INTERFACE")
                and not line.startswith("        ")
            ):
                self.problem(j, f"{fact.name}Vtbl: unexpected {line!r}")
            j += 1
        if j >= len(lines):
            self.problem(k, f"{fact.name}Vtbl: no end")
        return j

    def coclass(self, k: int, name: str) -> int:
        for j in range(k + 1, min(k + 6, len(self.lines))):
            m = _GUID_ARGS.match(self.lines[j])
            if m and m.group(1) == f"CLSID_{name}":
                self.facts.coclasses[name] = _guid(m)
                return j + 1
        self.problem(k, f"coclass {name} without CLSID")
        return k + 1

    def enum(self, k: int, tag: str | None) -> int:
        members: list[tuple[str, int | None]] = []
        exprs: dict[str, str] = {}
        j = k + 1
        lines = self.lines
        next_value: int | None = 0
        while j < len(lines) and not lines[j].startswith("}"):
            m = _ENUM_MEMBER.match(lines[j])
            if not m:
                self.problem(j, f"enum {tag}: cannot read {lines[j]!r}")
                j += 1
                continue
            name, expr = m.group(1), m.group(2)
            value: int | None
            if expr is None:
                value = next_value
            else:
                try:
                    value = evaluate(expr, self.names)
                except ValueError:
                    value = None  # refers to something outside this header
            if expr is not None:
                exprs[name] = expr
            members.append((name, value))
            self.names[name] = value
            next_value = None if value is None else value + 1
            j += 1
        if j >= len(lines):
            self.problem(k, f"enum {tag}: no end")
            return j
        close = lines[j]
        typedef: str | None = None
        if close.startswith("} ") and close.endswith(";"):
            typedef = close[2:-1].split(",")[0].strip() or None
        elif close != "};":
            self.problem(j, f"enum {tag}: cannot read {close!r}")
        self.facts.enums.append(EnumFact(tag, typedef, members, k + 1, exprs))
        return j + 1


def parse_header(text: str, quoted: Iterable[str] = ()) -> HeaderFacts:
    """Read widl's C header *text*; *quoted* are the cpp_quote lines to ignore."""
    lines, removed, unmatched = strip_cpp_quotes(text.split("\n"), list(quoted))
    facts = _HeaderParser(lines).run()
    facts.cpp_quote_lines = removed
    facts.cpp_quote_unmatched = unmatched
    return facts


# --------------------------------------------------------------------------- running widl

#: Options mingw-w64's build uses for the corpus (paths relative to the corpus folder).
CORPUS_INCLUDE_DIRS = ("include", "crt")
CORPUS_DEFINES = ("BOOL=WINBOOL",)
#: The same as widl options (widl runs from the corpus folder).
WIDL_OPTIONS = ("-DBOOL=WINBOOL", "-Iinclude", "-Icrt")


def run_widl(
    widl: str | os.PathLike[str], corpus: Path, rel: str, out_dir: Path, *, timeout: float = 120
) -> WidlRun:
    """Run ``widl -h`` (and ``-E``) on *rel* inside *corpus*; parse the header into facts.

    The header is written to *out_dir* (reused if it is already there).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = rel.replace("/", "_").replace("\\", "_")
    header = out_dir / f"{stem}.h"
    pre = out_dir / f"{stem}.E"
    rc = 0
    err = ""
    if not (header.is_file() and pre.is_file()):
        tmp_header = out_dir / f"{stem}.h.part"
        p = subprocess.run(
            [os.fspath(widl), *WIDL_OPTIONS, "-h", "-o", str(tmp_header), rel],
            cwd=corpus,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        rc, err = p.returncode, p.stderr
        if rc != 0 or not tmp_header.is_file():
            return WidlRun(rel, rc or 1, err, None)
        e = subprocess.run(
            [os.fspath(widl), *WIDL_OPTIONS, "-E", rel],
            cwd=corpus,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if e.returncode != 0:
            return WidlRun(rel, e.returncode, e.stderr, None)
        pre.write_text(e.stdout, encoding="utf-8")
        os.replace(tmp_header, header)
    facts = parse_header(
        header.read_text(encoding="utf-8", errors="replace"),
        cpp_quote_lines(pre.read_text(encoding="utf-8", errors="replace")),
    )
    return WidlRun(rel, rc, err, facts)


def run_many(
    widl: str | os.PathLike[str],
    corpus: Path,
    files: Iterable[str],
    out_dir: Path,
    *,
    workers: int = 2,
) -> dict[str, WidlRun]:
    """:func:`run_widl` over *files* with *workers* processes in parallel."""
    files = list(files)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        runs = list(pool.map(lambda f: run_widl(widl, corpus, f, out_dir), files))
    return dict(zip(files, runs, strict=True))


def widl_facts(widl: str | os.PathLike[str], corpus: Path, rel: str) -> HeaderFacts | None:
    """Facts for one corpus file (widl output in a temporary directory); None if widl fails."""
    with tempfile.TemporaryDirectory() as tmp:
        return run_widl(widl, corpus, rel, Path(tmp)).facts


def resolve_across(runs: dict[str, WidlRun]) -> int:
    """Evaluate enumerators that refer to names of other headers (``VT_I4``, ``DISPID_VALUE``).

    widl writes such values as the expression; the names come from imported
    files, whose headers are among *runs*.  Returns how many stay unknown.
    """
    names: dict[str, int | None] = {}
    for r in runs.values():
        if r.facts is not None:
            names.update({k: v for k, v in r.facts.consts.items() if v is not None})
            names.update({k: v for k, v in r.facts.enum_values().items() if v is not None})
    unknown = 0
    for r in runs.values():
        for e in r.facts.enums if r.facts is not None else ():
            local = dict(names)
            next_value: int | None = 0
            for idx, (name, value) in enumerate(e.members):
                if value is None:
                    expr = e.exprs.get(name)
                    try:
                        value = evaluate(expr, local) if expr is not None else next_value
                    except ValueError:
                        value = None
                    if value is None:
                        unknown += 1
                    e.members[idx] = (name, value)
                local[name] = value
                next_value = None if value is None else value + 1
    return unknown


def iter_problems(runs: dict[str, WidlRun]) -> Iterator[str]:
    """Every parser problem over *runs*, prefixed with its file."""
    for rel, r in runs.items():
        if r.facts is not None:
            for p in r.facts.problems:
                yield f"{rel}: {p}"


# --------------------------------------------------------------------------- idlgen on the corpus


@dataclass
class CheckResult:
    """``idlgen.api.check`` of one corpus file, kept for every test that needs it."""

    program: Any
    diagnostics: list[Any]
    seconds: float

    @property
    def errors(self) -> list[Any]:
        """The error diagnostics."""
        return [d for d in self.diagnostics if d.is_error]


@cache
def check_corpus_file(corpus: Path, rel: str) -> CheckResult:
    """Run idlgen's front end on one corpus file with the build's options (cached per process)."""
    from idlgen.api import check  # imported late: collecting the tests must not need it

    start = time.perf_counter()
    program, diagnostics = check(
        [corpus / rel],
        include_dirs=[corpus / d for d in CORPUS_INCLUDE_DIRS],
        defines=list(CORPUS_DEFINES),
    )
    return CheckResult(program, diagnostics, time.perf_counter() - start)
