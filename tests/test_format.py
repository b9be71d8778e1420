"""The format cache: black runs once per distinct source, and an unchanged rerun not at all."""

from __future__ import annotations

from pathlib import Path

import black
import pytest

from idlgen.output import format as fmt

UGLY = "x = {  'a':1,\n'b' :2 }\n"
PRETTY = 'x = {"a": 1, "b": 2}\n'


def _no_black(*_args: object, **_kwargs: object) -> str:
    raise AssertionError("black ran although the result was cached")


def test_cached_result_equals_black_and_is_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDLGEN_CACHE_DIR", str(tmp_path))
    assert fmt.format_python(UGLY) == PRETTY == black.format_str(UGLY, mode=fmt.black_mode())
    assert list((tmp_path / "format").rglob("*")), "nothing was cached on disk"
    # the second time it comes from the disk: black is not called again
    monkeypatch.setattr(black, "format_str", _no_black)
    assert fmt.format_python(UGLY) == PRETTY


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


def test_a_corrupt_entry_is_not_trusted_blindly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Entries are keyed by the source's hash; a different source never hits them."""
    monkeypatch.setenv("IDLGEN_CACHE_DIR", str(tmp_path))
    fmt.format_python(UGLY)
    assert fmt.format_python("y   =  1\n") == "y = 1\n"
