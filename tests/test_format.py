"""The format cache (black runs once per distinct source, an unchanged rerun not at all, and
no entry is trusted blindly) and formatting many files in worker processes."""

from __future__ import annotations

import os
from pathlib import Path

import black
import pytest

from idlgen.output import format as fmt

UGLY = "x = {  'a':1,\n'b' :2 }\n"
PRETTY = 'x = {"a": 1, "b": 2}\n'


def _no_black(*_args: object, **_kwargs: object) -> str:
    raise AssertionError("black ran although the result was cached")


def _entry(tmp_path: Path, source: str) -> Path:
    return tmp_path / "format" / fmt.cache_key(source)[:2] / fmt.cache_key(source)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IDLGEN_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_cached_result_equals_black_and_is_reused(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert fmt.format_python(UGLY) == PRETTY == black.format_str(UGLY, mode=fmt.black_mode())
    assert _entry(cache, UGLY).is_file(), "nothing was cached on disk"
    # the second time it comes from the disk: black is not called again
    monkeypatch.setattr(black, "format_str", _no_black)
    assert fmt.format_python(UGLY) == PRETTY


def test_text_black_accepts_is_cached_as_such(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert fmt.format_python(PRETTY) == PRETTY
    # the entry says "unchanged" and does not repeat the text
    assert PRETTY not in _entry(cache, PRETTY).read_text()
    monkeypatch.setattr(black, "format_str", _no_black)
    assert fmt.format_python(PRETTY) == PRETTY


def test_the_style_is_part_of_the_key(cache: Path) -> None:
    long_call = "f(" + ", ".join(f"argument_{i}" for i in range(6)) + ")\n"
    narrow = fmt.BlackStyle(line_length=40)
    assert fmt.format_python(long_call) == long_call  # 75 characters: fits black's 88
    assert fmt.format_python(long_call, narrow) == black.format_str(long_call, mode=narrow.mode())
    assert fmt.format_python(long_call, narrow) != long_call


def test_empty_cache_dir_turns_the_disk_cache_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDLGEN_CACHE_DIR", "")
    monkeypatch.chdir(tmp_path)
    assert fmt.cache_dir() is None
    assert fmt.format_python(UGLY) == PRETTY
    assert not any(tmp_path.iterdir())


def test_an_unwritable_cache_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("IDLGEN_CACHE_DIR", str(blocker))
    assert fmt.format_python(UGLY) == PRETTY


def test_another_source_never_hits_an_entry(cache: Path) -> None:
    fmt.format_python(UGLY)
    assert fmt.format_python("y   =  1\n") == "y = 1\n"


# --------------------------------------------------------------------------- hostile entries


def _poison(path: Path, key: str, body: str, flag: str = "text") -> None:
    """Write an entry with a valid checksum, as someone sharing the cache could."""
    path.parent.mkdir(parents=True, exist_ok=True)
    checksum = fmt._checksum(key, flag, body)
    path.write_text(f"{fmt._ENTRY_MAGIC}\n{flag}\n{checksum}\n{body}", encoding="utf-8")


def test_a_poisoned_entry_cannot_inject_code(cache: Path) -> None:
    """An entry with a valid checksum whose text means other code is rebuilt, not used."""
    key = fmt.cache_key(UGLY)
    evil = PRETTY + '__import__("os").system("touch PWNED")\n'
    _poison(_entry(cache, UGLY), key, evil)
    assert fmt.format_python(UGLY) == PRETTY
    # ... and the entry was rebuilt with the real result
    assert fmt.read_cached(key, UGLY) == PRETTY


def test_an_entry_that_only_changes_the_layout_is_accepted(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = fmt.cache_key(UGLY)
    _poison(_entry(cache, UGLY), key, "x = {\n    'a': 1,\n    'b': 2,\n}\n")
    monkeypatch.setattr(black, "format_str", _no_black)
    assert fmt.format_python(UGLY) == "x = {\n    'a': 1,\n    'b': 2,\n}\n"


@pytest.mark.parametrize(
    "damage",
    [
        "truncated",
        "corrupt",
        "foreign",
        "empty",
        "binary",
        "bad checksum",
        "huge",
        "folder",
        "symlink",
        "fifo",
    ],
)
def test_a_broken_entry_is_ignored_and_rebuilt(cache: Path, damage: str) -> None:
    fmt.format_python(UGLY)
    path = _entry(cache, UGLY)
    good = path.read_bytes()
    path.unlink()
    if damage == "truncated":
        path.write_bytes(good[: len(good) - 5])
    elif damage == "corrupt":
        path.write_bytes(good.replace(b"1", b"7"))
    elif damage == "foreign":
        path.write_text(PRETTY)  # an entry of the older format: the bare text
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "binary":
        path.write_bytes(b"\xff\xfe\x00" * 100)
    elif damage == "bad checksum":
        path.write_text(f"{fmt._ENTRY_MAGIC}\ntext\n{'0' * 64}\n{PRETTY}")
    elif damage == "huge":
        path.write_text(f"{fmt._ENTRY_MAGIC}\ntext\n{'0' * 64}\n" + "#" * 1_000_000)
    elif damage == "folder":
        path.mkdir()
    elif damage == "symlink":
        target = cache / "elsewhere"
        target.write_bytes(good)
        path.symlink_to(target)
    elif damage == "fifo":
        os.mkfifo(path)
    assert fmt.read_cached(fmt.cache_key(UGLY), UGLY) is None
    assert fmt.format_python(UGLY) == PRETTY
    if damage not in ("folder", "fifo", "symlink"):
        assert path.read_bytes() == good, "the entry was not rebuilt"


def test_same_code_compares_syntax_trees() -> None:
    assert fmt.same_code(UGLY, PRETTY)
    indented = 'def f():\n    """Doc\n    more."""\n'
    assert fmt.same_code('def f():\n  """Doc\n     more."""\n', indented)
    assert not fmt.same_code("x = 1\n", "x = 2\n")
    assert not fmt.same_code("x = 1\n", "x = (\n")
    assert not fmt.same_code("x = 1\n", "(" * 5000 + ")" * 5000 + "\n")


# --------------------------------------------------------------------------- many files


def _sources(count: int) -> dict[str, str]:
    return {
        f"pkg/m{i}.py": "".join(f"value_{i}_{j} = {{  'k':{j} }}\n" for j in range(200))
        for i in range(count)
    } | {"pkg/README.md": "not  python\n", "pkg/py.typed": ""}


def test_format_files_in_worker_processes_equals_black(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _sources(3)
    monkeypatch.setattr(fmt, "PARALLEL_MIN_CHARS", 1000)
    with fmt.Formatter(jobs=2) as formatter:
        for path, text in files.items():
            formatter.submit(path, text)
        assert formatter._pool is not None, "no worker processes were started"
        got = formatter.results()
        assert formatter.black_runs == 3
    assert list(got) == list(files)
    for path, text in files.items():
        expected = black.format_str(text, mode=fmt.black_mode()) if path.endswith(".py") else text
        assert got[path] == expected, path
    # served from the cache the second time, in this process
    with fmt.Formatter(jobs=2) as again:
        for path, text in files.items():
            again.submit(path, text)
        assert again.results() == got
        assert again.black_runs == 0


def test_invalid_python_is_a_value_error(cache: Path) -> None:
    with pytest.raises(ValueError, match="not valid Python"):
        fmt.format_files({"bad.py": "def (:\n"}, jobs=1)
