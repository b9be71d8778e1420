"""Helpers of the ABI layout tests: what a C compiler says of a record, and what the generated
ctypes class says of it, as comparable facts.

The C side: :func:`probe_source` writes a C file that, for every record, defines one constant
array ``{sizeof(T), _Alignof(T), offsetof(T, m), sizeof(((T *)0)->m), ...}`` (one per line)
and, for every bit-field, a constant union of ``T`` and its bytes initialised with the field
set to all ones (``{.s.field = -1}``): its bytes show exactly which bits the field occupies.
Compiled with ``-S`` (nothing runs: a cross compiler will do), :func:`parse_assembly` reads
those objects back from the data directives; compiled and run, the program prints them
(:func:`parse_run_output`).

The Python side: :func:`python_facts` reads the same facts from the ctypes class
(``ctypes.sizeof``/``alignment``, the field descriptors' offsets and sizes, and the bytes of
an instance after setting the bit-field through ctypes).
"""

from __future__ import annotations

import ctypes
import importlib
import os
import re
import subprocess
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _shared import WIDL, widl_base_args

from idlgen.backends.abi.emit import AbiModule, abi_module, render_module
from idlgen.backends.abi.layout import BitUnit, CMember, Member, Record
from idlgen.backends.common.naming import package_name_for


@dataclass
class Case:
    """One record to check: ``label`` names its probe objects in C, ``c_name`` is how C
    names its type (``D3D12_BOX``, ``struct tagX``), ``where`` is for messages."""

    label: str
    c_name: str
    record: Record
    where: str
    #: an IDL stand-in (hidden from C by cpp_quote("#if 0")): only its size and alignment
    #: are probed, C's type of that name being another one
    stand_in: bool = False
    members: list[CMember] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.members = [] if self.stand_in else self.record.c_members()

    def identifiers(self) -> set[str]:
        """The names the probe uses (all must be declared by the C headers)."""
        words = {w for w in self.c_name.split() if w not in ("struct", "union")}
        for m in self.members:
            words.update(m.path.split("."))
        return words

    @property
    def plain(self) -> list[CMember]:
        """The members that are not bit-fields."""
        return [m for m in self.members if m.bits is None]

    @property
    def bitfields(self) -> list[CMember]:
        """The bit-fields."""
        return [m for m in self.members if m.bits is not None]


def c_type_name(record: Record) -> str | None:
    """How C code names the type of a top-level record (None: it has no name)."""
    decl = record.decl
    if decl.typedef_name:
        return decl.typedef_name
    if decl.name:
        return f"{'union' if record.kind == 'union' else 'struct'} {decl.name}"
    return None


def _bit_value(bits: tuple[int, int, bool]) -> str:
    _bit, width, signed = bits
    return "-1" if signed else f"{(1 << width) - 1:#x}ull"


def probe_objects(case: Case) -> list[tuple[str, str]]:
    """The C objects of one case, ``(label, line)``: its facts array, then one union per
    bit-field."""
    t = case.c_name
    values = [f"sizeof({t})", f"_Alignof({t})"]
    for m in case.plain:
        values.append(f"offsetof({t}, {m.path})")
        values.append(f"sizeof((({t} *)0)->{m.path})")
    out = [(case.label, f"const unsigned long long {case.label}[] = {{{', '.join(values)}}};")]
    for i, m in enumerate(case.bitfields):
        assert m.bits is not None
        label = f"{case.label}_b{i}"
        out.append(
            (
                label,
                f"const union {{ {t} s; unsigned char b[sizeof({t})]; }} {label} = "
                f"{{ .s.{m.path} = {_bit_value(m.bits)} }};",
            )
        )
    return out


def probe_source(
    prelude: Iterable[str], cases: Iterable[Case], *, main: bool = False
) -> tuple[str, dict[int, Case]]:
    """A C file: *prelude* (the ``#include`` lines), then the probe objects of *cases*; with
    *main*, a ``main`` that prints each object as ``label hex-bytes``.  Also returns which
    case each probe line (1-based) belongs to, to map compiler errors back."""
    out = [*prelude, "#include <stddef.h>", "#include <stdio.h>"]
    labels: list[str] = []
    owners: dict[int, Case] = {}
    for case in cases:
        for label, line in probe_objects(case):
            out.append(line)
            owners[len(out)] = case
            labels.append(label)
    if main:
        out.append("static void dump(const char *label, const void *p, size_t n) {")
        out.append("    const unsigned char *b = p;")
        out.append('    printf("%s", label);')
        out.append('    for (size_t i = 0; i < n; i++) printf(" %02x", b[i]);')
        out.append('    printf("\\n");')
        out.append("}")
        out.append("int main(void) {")
        for label in labels:
            out.append(f'    dump("{label}", &{label}, sizeof({label}));')
        out.append("    return 0;")
        out.append("}")
    return "\n".join(out) + "\n", owners


_LABEL = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):\s*$")
_DATA = re.compile(
    r"^\s*\.(byte|value|word|short|2byte|long|int|4byte|quad|8byte|zero|space|ascii|string)\s+(.*)$"
)
_SIZES = {"byte": 1, "value": 2, "word": 2, "short": 2, "2byte": 2, "long": 4, "int": 4,
          "4byte": 4, "quad": 8, "8byte": 8}  # fmt: skip


def parse_assembly(text: str, prefix: str = "idlgen_") -> dict[str, bytes]:
    """The bytes of every data object whose label starts with *prefix*, from GCC's ``-S``."""
    out: dict[str, bytes] = {}
    current: bytearray | None = None
    for line in text.splitlines():
        label = _LABEL.match(line)
        if label is not None:
            current = None
            if label.group(1).startswith(prefix):
                current = bytearray()
                out[label.group(1)] = b""
                name = label.group(1)
            continue
        if current is None:
            continue
        data = _DATA.match(line)
        if data is None:
            if line.strip().startswith(".") and not line.strip().startswith((".align", ".p2align")):
                out[name] = bytes(current)
                current = None
            continue
        kind, arg = data.groups()
        if kind in ("zero", "space"):
            current.extend(bytes(int(arg.split(",")[0], 0)))
        elif kind in ("ascii", "string"):
            literal = bytes(arg.strip()[1:-1], "ascii").decode("unicode_escape").encode("latin-1")
            current.extend(literal + (b"\0" if kind == "string" else b""))
        else:
            size = _SIZES[kind]
            for item in arg.split(","):
                current.extend((int(item.strip(), 0) % (1 << (8 * size))).to_bytes(size, "little"))
        out[name] = bytes(current)
    return out


def parse_run_output(text: str) -> dict[str, bytes]:
    """The objects a probe program with ``main`` printed."""
    out: dict[str, bytes] = {}
    for line in text.splitlines():
        label, *hex_bytes = line.split()
        out[label] = bytes(int(h, 16) for h in hex_bytes)
    return out


Facts = dict[str, Any]


def c_facts(case: Case, data: dict[str, bytes]) -> Facts:
    """The facts of *case* from the C compiler's objects (missing objects: no facts)."""
    facts: Facts = {}
    raw = data.get(case.label)
    if raw is None:
        return facts
    values = [int.from_bytes(raw[i : i + 8], "little") for i in range(0, len(raw), 8)]
    facts[f"{case.where}: sizeof"] = values[0]
    facts[f"{case.where}: alignof"] = values[1]
    for k, m in enumerate(case.plain):
        facts[f"{case.where}: offsetof {m.path}"] = values[2 + 2 * k]
        facts[f"{case.where}: sizeof {m.path}"] = values[3 + 2 * k]
    for i, m in enumerate(case.bitfields):
        image = data.get(f"{case.label}_b{i}")
        if image is not None:
            facts[f"{case.where}: bits {m.path}"] = image[: values[0]].hex()
    return facts


def model_facts(case: Case) -> Facts:
    """The facts of *case* as idlgen's layout engine computed them (bit-fields: as bytes)."""
    r = case.record
    facts: Facts = {f"{case.where}: sizeof": r.size, f"{case.where}: alignof": r.align}
    for m in case.plain:
        facts[f"{case.where}: offsetof {m.path}"] = m.offset
        facts[f"{case.where}: sizeof {m.path}"] = m.size
    for m in case.bitfields:
        assert m.bits is not None
        bit, width, _signed = m.bits
        value = ((1 << width) - 1) << (bit + 8 * m.offset)
        facts[f"{case.where}: bits {m.path}"] = value.to_bytes(r.size, "little").hex()
    return facts


def python_facts(case: Case, cls: Any) -> Facts:
    """The facts of *case* from its generated ctypes class *cls*."""
    facts: Facts = {
        f"{case.where}: sizeof": ctypes.sizeof(cls),
        f"{case.where}: alignof": ctypes.alignment(cls),
    }
    paths: dict[str, tuple[int, int, tuple[str, ...]]] = {}
    _walk(case.record, cls, "", 0, (), paths)
    for m in case.plain:
        found = paths.get(m.path)
        if found is not None:
            facts[f"{case.where}: offsetof {m.path}"] = found[0]
            facts[f"{case.where}: sizeof {m.path}"] = found[1]
    for m in case.bitfields:
        found = paths.get(m.path)
        if found is None or m.bits is None:
            continue
        obj = cls()
        target: Any = obj
        *outer, last = found[2]
        for name in outer:
            target = getattr(target, name)
        setattr(target, last, -1 if m.bits[2] else (1 << m.bits[1]) - 1)
        facts[f"{case.where}: bits {m.path}"] = bytes(obj).hex()
    return facts


def _walk(
    record: Record,
    cls: Any,
    prefix: str,
    base: int,
    pypath: tuple[str, ...],
    out: dict[str, tuple[int, int, tuple[str, ...]]],
) -> None:
    """C path -> (offset, size, Python attribute path) for every member, through ctypes."""
    names = AbiModule.field_names(record)
    types = {f[0]: f[1] for f in cls._fields_}
    for m in record.members:
        fname = names[id(m)]
        desc = getattr(cls, fname)
        if isinstance(m, BitUnit):
            unit = types[fname]
            for b in m.bits:
                if b.name is not None:
                    bname = names[id(b)]
                    bit_desc = getattr(unit, bname)
                    out[prefix + b.name] = (
                        base + desc.offset + bit_desc.offset,
                        0,
                        (*pypath, bname),
                    )
            continue
        assert isinstance(m, Member)
        inline = m.type if isinstance(m.type, Record) and m.type.parent is record else None
        if m.anonymous:
            if inline is not None:
                _walk(inline, types[fname], prefix, base + desc.offset, pypath, out)
            continue
        assert m.name is not None
        out[prefix + m.name] = (base + desc.offset, desc.size, (*pypath, fname))
        if inline is not None:
            _walk(
                inline,
                types[fname],
                f"{prefix}{m.name}.",
                base + desc.offset,
                (*pypath, fname),
                out,
            )


def differences(expected: Facts, actual: Facts) -> list[str]:
    """One line per fact of *expected* that *actual* lacks or contradicts."""
    diffs = []
    for key, want in expected.items():
        got = actual.get(key, "missing")
        if got != want:
            diffs.append(f"{key}: C says {want}, got {got}")
    return diffs


# --------------------------------------------------------------------------- files


def run_widl(files: Iterable[Path], out_dir: Path) -> dict[Path, str]:
    """``widl -h`` of each file into *out_dir* (two at a time); {file: error} for failures."""
    assert WIDL is not None

    def one(idl: Path) -> tuple[Path, str | None]:
        run = subprocess.run(
            [*widl_base_args(WIDL), "-h", "-o", str(out_dir / f"{idl.stem}.h"), str(idl)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        return idl, (None if run.returncode == 0 else run.stderr)

    with ThreadPoolExecutor(max_workers=2) as pool:
        return {idl: err for idl, err in pool.map(one, files) if err is not None}


@dataclass
class FileProbe:
    """The C probe of one IDL file: its header, prelude and cases."""

    idl: str  # the file name, e.g. "d3d12.idl"
    cases: list[Case]
    prelude: list[str] = field(default_factory=list)
    #: why cases were left out of the probe (the C header does not declare them)
    dropped: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    #: the preprocessed text of the file's own header (what widl's header defines)
    own_text: str = ""

    @property
    def header(self) -> str:
        """The name of widl's header."""
        return f"{Path(self.idl).stem}.h"

    @property
    def lines(self) -> list[str]:
        """The prelude and the header's include."""
        return [*self.prelude, f'#include "{self.header}"']

    def reset(self) -> None:
        """Forget the outcome of a compilation."""
        self.dropped.clear()
        self.error = None
        self.own_text = ""

    def defines(self, case: Case) -> bool:
        """Whether widl's header itself defines the type of *case* (in C's view: not under a
        false ``#if``): else C uses another header's definition."""
        decl = case.record.decl
        patterns = []
        if decl.typedef_name:
            patterns.append(rf"\}}\s*{re.escape(decl.typedef_name)}\s*[,;]")
        if decl.name:
            patterns.append(rf"\b(?:struct|union)\s+{re.escape(decl.name)}\s*\{{")
        return any(re.search(p, self.own_text) for p in patterns)


def read_text(path: Path) -> str:
    """The text of *path*, or "" when it does not exist."""
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


_LINEMARKER = re.compile(r'^# \d+ "([^"]*)"', re.MULTILINE)


def split_by_file(preprocessed: str) -> dict[str, str]:
    """The preprocessed text by the base name of the file it came from (``-E`` linemarkers)."""
    out: dict[str, list[str]] = {}
    marks = list(_LINEMARKER.finditer(preprocessed))
    for m, nxt in zip(marks, [*marks[1:], None], strict=True):
        end = nxt.start() if nxt is not None else len(preprocessed)
        out.setdefault(os.path.basename(m.group(1)), []).append(preprocessed[m.end() : end])
    return {k: "".join(v) for k, v in out.items()}


#: A C identifier.
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass
class Generated:
    """The abi module of one IDL file, imported, and its cases."""

    idl: str
    module: AbiModule
    imported: Any
    cases: list[Case]

    def cls(self, record: Record) -> Any:
        """The ctypes class of a record."""
        return getattr(self.imported, self.module.record_name(record))


def own_records(module: AbiModule) -> list[Record]:
    """The top-level records the file itself declares (in the order defined)."""
    return [
        t
        for t in module.items
        if isinstance(t, Record) and t.parent is None and t.decl.file == module.file.path
    ]


def defined_records(module: AbiModule) -> list[Record]:
    """The top-level records the module defines (its file's and those it reaches)."""
    return [t for t in module.items if isinstance(t, Record) and t.parent is None]


def generate(
    program: Any,
    root: Path,
    top: str,
    index: int,
    idl: str,
    *,
    reached: bool = False,
    path: str | None = None,
) -> Generated:
    """Render and import the abi module of *program*'s main file (or of its imported file
    *path*) under package *top*; its cases are the records the file declares (with
    *reached*, also those it defines because they come from imported files)."""
    path = path if path is not None else program.files[0].path
    package = package_name_for(path)
    module = abi_module(program, package, {path: package})
    assert module is not None
    text = render_module(module)
    target = root / top / package / "abi.py"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    importlib.invalidate_caches()
    imported = importlib.import_module(f"{top}.{package}.abi")
    cases = []
    records = own_records(module) if not reached else defined_records(module)
    for j, r in enumerate(records):
        name = c_type_name(r)
        if name is not None:
            label = f"idlgen_f{index}_r{j}"
            cases.append(Case(label, name, r, f"{idl} {name}", module.is_stand_in(r)))
    return Generated(idl, module, imported, cases)


@dataclass
class Result:
    """Everything one file's comparison needs."""

    generated: Generated
    probe: FileProbe
    c_data: dict[str, bytes]


@dataclass
class Comparison:
    """The outcome for one file."""

    differences: list[str] = field(default_factory=list)
    facts: int = 0
    compared: list[Case] = field(default_factory=list)
    #: records the C headers do not declare by default (where: reason)
    undeclared: dict[str, str] = field(default_factory=dict)
    #: stand-ins: (case, whether C's type of that name has the same size and alignment)
    stand_ins: list[tuple[Case, bool | None]] = field(default_factory=list)
    #: records that differ because C defines them elsewhere, or they hold stand-ins
    #: (where: why)
    elsewhere: dict[str, str] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        """No differences, nothing left out."""
        return not (self.differences or self.undeclared or self.elsewhere)


def compare(result: Result) -> Comparison:
    """C against ctypes (and against idlgen's own layouts) for one file."""
    out = Comparison()
    probe = result.probe
    module = result.generated.module
    if probe.error:
        out.differences.append(f"{probe.idl}: the C probe does not compile:\n{probe.error}")
        return out
    for case in result.generated.cases:
        reason = probe.dropped.get(case.label)
        expected: Facts = {} if reason else c_facts(case, result.c_data)
        actual = python_facts(case, result.generated.cls(case.record))
        if case.stand_in:
            same = None if not expected else not differences(expected, actual)
            out.stand_ins.append((case, same))
            continue
        if reason is not None and reason.startswith("not in the C headers"):
            out.undeclared[case.where] = reason
            continue
        if reason is not None:
            out.differences.append(f"{case.where}: the probe does not compile: {reason}")
            continue
        if not expected:
            out.differences.append(f"{case.where}: no facts from the C compiler")
            continue
        diffs = differences(expected, actual)
        diffs += [f"(model) {d}" for d in differences(expected, model_facts(case))]
        inside = module.stand_ins_inside(case.record)
        if diffs and not probe.defines(case):
            out.elsewhere[case.where] = f"C uses another header's definition: {diffs[0]}"
        elif diffs and inside:
            out.elsewhere[case.where] = f"holds IDL stand-ins {', '.join(inside)}: {diffs[0]}"
        else:
            out.compared.append(case)
            out.facts += len(expected)
            out.differences += diffs
    return out


@dataclass
class Compiler:
    """A C compiler invocation (*command*, without the source) and a folder for probes."""

    command: list[str]
    work: Path
    #: link and run the probe (it prints its objects) instead of compiling it to assembly
    execute: bool = False
    counter: int = 0

    def _source(self, text: str) -> Path:
        self.counter += 1
        path = self.work / f"probe_{os.getpid()}_{threading.get_ident()}_{self.counter}.c"
        path.write_text(text, encoding="utf-8")
        return path

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.command, *args], capture_output=True, text=True, check=False, timeout=900
        )

    def assemble(self, probes: list[FileProbe]) -> dict[str, bytes]:
        """Compile *probes* together (``-S``, or into a program that is run) and return their
        probe objects.

        When the probe lines fail, the cases whose names the preprocessed headers do not
        contain (declared under a false ``#if``, or a tag ``#define``d away) are left out,
        with the reason, and so are those whose probe line fails; then it is compiled again.
        A batch that fails in the headers (two headers that cannot be included together) is
        split in two."""
        includes = [line for p in probes for line in p.lines]
        for _attempt in range(4):
            cases = [c for p in probes for c in p.cases if c.label not in p.dropped]
            source, owners = probe_source(includes, cases, main=self.execute)
            c_file = self._source(source)
            out, preprocessed = c_file.with_suffix(".s"), c_file.with_suffix(".i")
            if self.execute:
                out = c_file.with_suffix("")
                run = self._run("-save-temps=obj", "-o", str(out), str(c_file))
            else:
                run = self._run("-S", "-save-temps=obj", "-o", str(out), str(c_file))
            by_file = split_by_file(read_text(preprocessed))
            for p in probes:
                p.own_text = by_file.get(p.header, "")
            if run.returncode == 0 and self.execute:
                ran = subprocess.run(
                    [str(out)], capture_output=True, text=True, check=True, timeout=60
                )
                return parse_run_output(ran.stdout)
            if run.returncode == 0:
                return parse_assembly(read_text(out))
            errors = [ln for ln in run.stderr.splitlines() if ": error:" in ln]
            ours = [re.match(rf"{re.escape(str(c_file))}:(\d+):", ln) for ln in errors]
            if not errors or not all(m is not None and int(m.group(1)) in owners for m in ours):
                return self._split(probes, run.stderr)
            declared = {
                word
                for name, text in by_file.items()
                if name != c_file.name
                for word in IDENTIFIER.findall(text)
            }
            for p in probes:
                for case in p.cases:
                    missing = sorted(case.identifiers() - declared)
                    if missing and case.label not in p.dropped:
                        p.dropped[case.label] = f"not in the C headers: {', '.join(missing)}"
            for m, line in zip(ours, errors, strict=True):
                assert m is not None
                case = owners[int(m.group(1))]
                probe = next(p for p in probes if case in p.cases)
                probe.dropped.setdefault(case.label, line.split(": error:", 1)[1].strip())
        probes[0].error = "probe lines still fail after leaving cases out"
        return {}

    def _split(self, probes: list[FileProbe], stderr: str) -> dict[str, bytes]:
        if len(probes) == 1:
            errors = [ln for ln in stderr.splitlines() if ": error:" in ln]
            probes[0].error = "\n".join(errors[:5]) or stderr[-2000:]
            return {}
        half = len(probes) // 2
        return {**self.assemble(probes[:half]), **self.assemble(probes[half:])}
