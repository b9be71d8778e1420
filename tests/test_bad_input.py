"""Bad input never produces a traceback: ``idlgen check`` answers 0 or 1, never 3.

Everything goes through the real command line (:func:`idlgen.cli.main`, in
process; a few cases also as a child process) and must end with exit status
0 or 1, without "Traceback" or "internal error"; with status 1 stderr has a
``path:line:col: error: ...`` line.  Inputs: hand-written nasties (deep
nesting, unterminated comments and strings, huge numbers, unknown types,
binary junk, random bytes) and corpus files cut short or with tokens deleted,
duplicated or swapped (seeded, so every run feeds the same inputs).

What checks cleanly is also generated (stubs, events and the conformance suite; again exit 0
or 1, never 3), and whatever is generated must import (:func:`generate_and_import`): the
generator must not write code that fails to import or means something else.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from _shared import CORPUS, import_generated

from idlgen.cli import main

ERROR_LINE = re.compile(r"^.+:\d+:\d+: error: \S", re.MULTILINE)
CORPUS_OPTIONS = ["-I", str(CORPUS / "include"), "-I", str(CORPUS / "crt"), "-D", "BOOL=WINBOOL"]


def check(
    path: Path, capsys: pytest.CaptureFixture[str], *, options: list[str] | None = None
) -> tuple[int, str]:
    """Run ``idlgen check PATH`` in process; assert the no-traceback contract; return (rc, err)."""
    rc = main(["check", str(path), *(options or [])])
    err = capsys.readouterr().err
    assert rc in (0, 1), f"exit {rc} on {path.name}:\n{err[-2000:]}"
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    return rc, err


def assert_located_error(rc: int, err: str, what: str) -> None:
    """With exit 1, stderr has at least one ``path:line:col: error:`` line."""
    if rc == 1:
        assert ERROR_LINE.search(err), f"{what}: no 'path:line:col: error:' line in\n{err[:2000]}"


GENERATED_ERROR = re.compile(r"^.+: error: \S", re.MULTILINE)


def generate_and_import(
    paths: list[Path],
    out: Path,
    capsys: pytest.CaptureFixture[str],
    *,
    options: list[str] | None = None,
) -> int:
    """Generate each of *paths* (stubs, events, tests) into *out*, then import every package
    written there in a child process (with a timeout); returns how many generated."""
    generated = 0
    for path in paths:
        args = ["generate", "--emit", "stubs,events,tests", "-q", "-o", str(out / path.stem)]
        rc = main([*args, str(path), *(options or [])])
        err = capsys.readouterr().err
        assert rc in (0, 1), f"generate: exit {rc} on {path.name}:\n{err[-2000:]}"
        assert "Traceback" not in err and "internal error" not in err, err[-2000:]
        if rc == 1:
            assert GENERATED_ERROR.search(err), f"{path.name}: no located error in\n{err[:2000]}"
        generated += rc == 0
    if generated:
        import_generated(*(d for d in sorted(out.iterdir()) if d.is_dir()))
    return generated


# --------------------------------------------------------------------------- hand-written inputs

IMPORT = 'import "unknwn.idl";\n'
ITF = "[object, uuid(12345678-1234-1234-1234-123456789abc)] interface I : IUnknown {\n"

#: name -> (text, must it be an error?)
CASES: dict[str, tuple[str | bytes, bool]] = {
    "empty": ("", False),
    "only_comment": ("/* nothing */\n// here\n", False),
    "parens_10000": ("const int x = " + "(" * 10000 + "1" + ")" * 10000 + ";\n", False),
    "open_parens_10000": ("const int x = " + "(" * 10000 + "1;\n", True),
    "brackets_10000": ("[" * 10000 + "\n", True),
    "braces_5000": ("struct s " + "{ struct t " * 5000 + "\n", True),
    "attributes_deep": ("[" + "custom(" * 3000 + "\n", True),
    "if_5000": ("#if 1\n" * 5000, True),
    "include_self": ('#include "t.idl"\n', True),
    "macro_bomb": (
        "".join(f"#define A{i} A{i + 1} A{i + 1}\n" for i in range(40)) + "A0\n",
        True,
    ),
    # Deeper than Python's recursion limit: "t.idl: error: input nested too deeply to process".
    "unary_chain_20000": ("const int x = " + "-" * 20000 + "1;\n", True),
    "unterminated_comment": ("/* never ends\ninterface I {\n", True),
    "unterminated_string": ('cpp_quote("abc\n', True),
    "unterminated_char": ("const char c = 'a;\n", True),
    "unterminated_interface": (IMPORT + ITF + "HRESULT f(", True),
    "unterminated_attribute": ("[object, uuid(12345678-1234", True),
    "unterminated_if": ("#if 1\nconst int x = 1;\n", True),
    "stray_endif": ("#endif\n", True),
    "division_by_zero": ("enum e { A = 1 / 0 };\n", True),
    # widl rejects these three ("integer constant ... is too large"); idlgen accepts them today.
    "huge_numbers": ("const long x = 999999999999999999999999999999999999999;\n", False),
    "huge_shift": ("const int x = 1 << 99999999999;\n", False),
    "huge_array": ("typedef struct s { int a[99999999999999999999]; } s;\n", False),
    "unknown_type": (IMPORT + ITF + "HRESULT f([in] NoSuchType x); }\n", True),
    "unknown_base": (
        "[object, uuid(12345678-1234-1234-1234-12345678abcd)] interface J : Nope {}\n",
        True,
    ),
    "unknown_import": ('import "no_such_file.idl";\n', True),
    "keyword_soup": ("interface interface coclass library { } ; ; ] ) ( [\n", True),
    "long_identifier": ("interface " + "a" * 200_000 + ";\n", False),
    "many_errors": ("HRESULT f(;\n" * 500, True),
    "nul_bytes": (b"\x00" * 1000 + b"interface I;\n", True),
    "invalid_utf8": (b"interface I\xff\xfe;\n", True),
    "elf_binary": (b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 40, True),
    "utf16_bom": ("interface I;\n".encode("utf-16"), False),  # UTF-16 with a BOM is read
    "lone_backslashes": ("\\\n\\\\\n#define X \\\n", False),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_nasty_input(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text, must_fail = CASES[name]
    path = tmp_path / "t.idl"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    options = CORPUS_OPTIONS if CORPUS.is_dir() else []
    rc, err = check(path, capsys, options=options)
    if must_fail:
        assert rc == 1, f"{name}: expected an error, got exit 0:\n{err[:1000]}"
        assert re.search(r"(^|\n)[^\n]*t\.idl[^\n]*: error: ", err), err[:1000]
    assert_located_error(rc, err, name)
    if rc == 0:
        generate_and_import([path], tmp_path / "out", capsys, options=options)


@pytest.mark.parametrize("seed", range(6))
def test_random_bytes(seed: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(seed)
    size = rng.choice([1, 17, 4096, 65536])
    data = bytes(rng.randrange(256) for _ in range(size))
    if seed % 2:  # printable noise gets past the encoding checks into the lexer and parser
        data = bytes(
            rng.choice(b" \n\t{}[]();,:*=<>|&!~-+/%\"'#abcdefXYZ0123456789_") for _ in range(size)
        )
    path = tmp_path / "noise.idl"
    path.write_bytes(data)
    rc, err = check(path, capsys)
    assert_located_error(rc, err, f"seed {seed}")


# --------------------------------------------------------------------------- mutated corpus files

_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[A-Za-z_]\w*|0[xX][0-9a-fA-F]+|\d+|\S')
CUTS = (0.11, 0.5, 0.83)
MUTATIONS_PER_FILE = 10
#: How many of the mutations that check cleanly are generated and imported, per file.
GENERATED_PER_FILE = 3


def _sample() -> list[str]:
    """20 classic corpus files of modest size, spread over the alphabet."""
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    rows = [ln.split("\t") for ln in manifest.read_text(encoding="utf-8").splitlines()[1:]]
    files = [
        r[0]
        for r in rows
        if len(r) >= 3
        and r[1] == "classic"
        and r[2] == "ok"
        and 2_000 < (CORPUS / r[0]).stat().st_size < 25_000
    ]
    step = max(1, len(files) // 20)
    return files[::step][:20]


SAMPLE = _sample()


def _mutate(text: str, rng: random.Random) -> str:
    tokens = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    if len(tokens) < 3:
        return text[: len(text) // 2]
    k = rng.randrange(1, len(tokens) - 1)
    (s0, e0), (s1, e1) = tokens[k], tokens[k + 1]
    op = rng.choice(["delete", "duplicate", "swap", "replace", "truncate"])
    if op == "delete":
        return text[:s0] + text[e0:]
    if op == "duplicate":
        return text[:e0] + " " + text[s0:e0] + text[e0:]
    if op == "swap":
        return text[:s0] + text[s1:e1] + text[e0:s1] + text[s0:e0] + text[e1:]
    if op == "replace":
        return (
            text[:s0]
            + rng.choice(["{", "}", "(", ")", ";", "[", "]", ",", "interface", "0x"])
            + text[e0:]
        )
    return text[:s0]


@pytest.mark.skipif(not SAMPLE, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("rel", SAMPLE)
def test_truncated_and_mutated_corpus_file(
    rel: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (CORPUS / rel).read_bytes()
    text = data.decode("utf-8", errors="replace")
    name = Path(rel).name
    failures = 0
    for cut in CUTS:
        path = tmp_path / f"cut{int(cut * 100)}_{name}"
        path.write_bytes(data[: int(len(data) * cut)])
        rc, err = check(path, capsys, options=CORPUS_OPTIONS)
        assert_located_error(rc, err, f"{rel} cut at {cut:.0%}")
        failures += rc
    rng = random.Random(rel)
    clean: list[Path] = []
    for i in range(MUTATIONS_PER_FILE):
        path = tmp_path / f"mut{i}_{name}"
        path.write_text(_mutate(text, rng), encoding="utf-8")
        rc, err = check(path, capsys, options=CORPUS_OPTIONS)
        assert_located_error(rc, err, f"{rel} mutation {i}")
        if rc == 0:
            clean.append(path)
    assert failures >= 2, f"{rel}: cutting the file short should be an error at least twice"
    # the mutations that still check cleanly are generated, and what is generated imports
    generate_and_import(
        clean[:GENERATED_PER_FILE], tmp_path / "out", capsys, options=CORPUS_OPTIONS
    )


# --------------------------------------------------------------------------- a real process


@pytest.mark.parametrize(
    "content",
    [b"\x7fELF\x00\x00" + bytes(range(256)) * 8, b"const int x = " + b"-" * 20000 + b"1;\n"],
    ids=["binary", "deep"],
)
def test_child_process_exit_status(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "bad.idl"
    path.write_bytes(content)
    p = subprocess.run(
        [sys.executable, "-m", "idlgen", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert p.returncode == 1, p.stderr[-2000:]
    assert "Traceback" not in p.stderr and "internal error" not in p.stderr
    assert "error: " in p.stderr


def test_a_huge_file_is_refused_quickly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from idlgen.frontend import MAX_SOURCE_BYTES

    huge = tmp_path / "huge.idl"
    with huge.open("wb") as f:
        f.truncate(50 * 1024 * 1024)  # sparse: no time or disk spent
    assert huge.stat().st_size > MAX_SOURCE_BYTES
    assert main(["check", str(huge)]) == 1
    err = capsys.readouterr().err
    assert "file too large (50.0 MB; idlgen reads source files up to 16 MB)" in err
