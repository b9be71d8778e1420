"""The output writer: path safety, atomic all-or-nothing writes, foreign files, check mode."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from idlgen.output import MARKER, OutputError, has_marker, path_problem, write_output
from idlgen.output import write as output

HEADER = f"# {MARKER} 0.1.0 from demo.idl. Do not edit.\n"


def gen(text: str) -> str:
    return HEADER + text


FILES = {
    "demo/__init__.py": gen("from demo.interfaces import *\n"),
    "demo/interfaces.py": gen("class IFoo: ...\n"),
    "demo/py.typed": "",
}


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_fresh_write_then_unchanged(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = write_output(FILES, out)
    assert report.written == sorted(FILES)
    assert report.unchanged == []
    assert snapshot(out) == {k: v.encode() for k, v in FILES.items()}
    again = write_output(FILES, out)
    assert again.written == [] and again.unchanged == sorted(FILES)
    assert again.up_to_date


def test_unchanged_file_keeps_its_mtime_and_inode(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(FILES, out)
    target = out / "demo" / "interfaces.py"
    old = 1_000_000_000
    os.utime(target, (old, old))
    inode = target.stat().st_ino
    changed = dict(FILES, **{"demo/__init__.py": gen("# changed\n")})
    report = write_output(changed, out)
    assert report.written == ["demo/__init__.py"]
    assert target.stat().st_mtime == old
    assert target.stat().st_ino == inode


def test_write_is_by_rename_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(FILES, out)
    target = out / "demo" / "interfaces.py"
    inode = target.stat().st_ino
    write_output(dict(FILES, **{"demo/interfaces.py": gen("class IBar: ...\n")}), out)
    assert target.stat().st_ino != inode  # replaced by a new file, not rewritten in place
    assert sorted(p.name for p in (out / "demo").iterdir()) == [
        "__init__.py",
        "interfaces.py",
        "py.typed",
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_new_files_get_normal_permissions_and_existing_keep_theirs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(FILES, out)
    target = out / "demo" / "interfaces.py"
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    target.chmod(0o640)
    write_output(dict(FILES, **{"demo/interfaces.py": gen("x = 1\n")}), out)
    assert target.stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize(
    "bad",
    [
        "/etc/passwd",
        "../escape.py",
        "demo/../../escape.py",
        "demo//x.py",
        "./x.py",
        "C:/x.py",
        "demo\\x.py",
        "",
    ],
)
def test_unsafe_paths_are_refused_and_nothing_is_written(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "out"
    assert path_problem(bad) is not None
    with pytest.raises(OutputError) as info:
        write_output(dict(FILES, **{bad: gen("evil\n")}), out)
    assert info.value.diagnostics[0].is_error
    assert not out.exists()
    assert not (tmp_path / "escape.py").exists()


def test_symlink_escape_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    outside = tmp_path / "outside"
    outside.mkdir()
    out.mkdir()
    (out / "demo").symlink_to(outside, target_is_directory=True)
    with pytest.raises(OutputError) as info:
        write_output(FILES, out)
    assert "outside the output directory" in str(info.value)
    assert list(outside.iterdir()) == []


def test_symlinked_file_pointing_outside_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "demo").mkdir(parents=True)
    victim = tmp_path / "victim.py"
    victim.write_text(gen("mine\n"))
    (out / "demo" / "interfaces.py").symlink_to(victim)
    with pytest.raises(OutputError):
        write_output(FILES, out)
    assert victim.read_text() == gen("mine\n")


def test_symlink_inside_the_output_directory_is_fine(tmp_path: Path) -> None:
    out = tmp_path / "out"
    real = out / "real"
    real.mkdir(parents=True)
    (out / "demo").symlink_to(real, target_is_directory=True)
    report = write_output(FILES, out)
    assert report.written == sorted(FILES)
    assert (real / "interfaces.py").read_text() == FILES["demo/interfaces.py"]


def test_output_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        write_output(FILES, out)
    (tmp_path / "out2").mkdir()
    (tmp_path / "out2" / "demo").write_text("a file where a directory should be")
    with pytest.raises(OutputError, match="not a directory"):
        write_output(FILES, tmp_path / "out2")


def test_directory_where_a_file_should_be_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "demo" / "interfaces.py").mkdir(parents=True)
    with pytest.raises(OutputError, match="is a directory"):
        write_output(FILES, out)
    assert not (out / "demo" / "__init__.py").exists()


def test_foreign_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(FILES, out)
    mine = out / "demo" / "interfaces.py"
    mine.write_text("# my own code\nclass IFoo: pass\n")
    before = snapshot(out)
    changed = dict(FILES, **{"demo/__init__.py": gen("# new\n")})
    with pytest.raises(OutputError) as info:
        write_output(changed, out)
    message = str(info.value)
    assert str(mine) in message and "use --force" in message
    assert snapshot(out) == before  # not even the other, generated file was rewritten
    report = write_output(changed, out, force=True)
    assert report.written == ["demo/__init__.py", "demo/interfaces.py"]
    assert mine.read_text() == FILES["demo/interfaces.py"]


def test_identical_foreign_file_and_empty_file_are_fine(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "demo").mkdir(parents=True)
    (out / "demo" / "py.typed").write_text("")  # same content: unchanged
    (out / "demo" / "__init__.py").write_text("")  # empty: nothing to lose
    report = write_output(FILES, out)
    assert report.unchanged == ["demo/py.typed"]
    assert "demo/__init__.py" in report.written


def test_marker_must_be_near_the_top() -> None:
    assert has_marker(HEADER.encode() + b"x = 1\n")
    assert has_marker(b"#!/usr/bin/env python\n" + HEADER.encode())
    assert not has_marker(b"\n" * 10 + HEADER.encode())
    assert not has_marker(b"print('hello')\n")


def test_check_mode_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = write_output(FILES, out, check=True)
    assert report.missing == sorted(FILES) and not report.up_to_date
    assert not out.exists()
    write_output(FILES, out)
    fresh = write_output(FILES, out, check=True)
    assert fresh.up_to_date and fresh.unchanged == sorted(FILES)
    (out / "demo" / "interfaces.py").write_text(gen("stale\n"))
    (out / "demo" / "py.typed").unlink()
    before = snapshot(out)
    stale = write_output(FILES, out, check=True)
    assert stale.stale == ["demo/interfaces.py"]
    assert stale.missing == ["demo/py.typed"]
    assert stale.written == []
    assert snapshot(out) == before


def test_obsolete_generated_files_are_listed_then_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(dict(FILES, **{"demo/events.py": gen("class Sink: ...\n")}), out)
    (out / "demo" / "handwritten.py").write_text("# keep me\n")
    check = write_output(FILES, out, check=True)
    assert check.obsolete == ["demo/events.py"]
    assert (out / "demo" / "events.py").exists()
    report = write_output(FILES, out)
    assert report.removed == ["demo/events.py"]
    assert not (out / "demo" / "events.py").exists()
    assert (out / "demo" / "handwritten.py").read_text() == "# keep me\n"


def test_failure_midway_restores_previous_output_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_output(FILES, out)
    before = snapshot(out)
    changed = {
        "demo/__init__.py": gen("# v2\n"),
        "demo/interfaces.py": gen("class IFoo2: ...\n"),
        "demo/new/module.py": gen("x = 2\n"),
        "demo/py.typed": "",
        "demo/zz_last.py": gen("y = 3\n"),
    }
    real_replace = os.replace
    calls: list[str] = []

    def failing_replace(src: str, dst: str) -> None:
        calls.append(dst)
        if dst.endswith("zz_last.py"):
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", failing_replace)
    with pytest.raises(OutputError, match="No space left on device"):
        write_output(changed, out)
    monkeypatch.setattr(output.os, "replace", real_replace)
    assert len(calls) >= 3  # some files had really been replaced before the failure
    assert snapshot(out) == before
    assert not (out / "demo" / "new").exists()
    assert sorted(p.name for p in (out / "demo").iterdir()) == sorted(
        ["__init__.py", "interfaces.py", "py.typed"]
    )


def test_obsolete_by_source_name_only_for_our_sources_and_not_deep(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_output(FILES, out)
    ours = out / "demo_conformance" / "test_demo.py"
    theirs = out / "other" / "__init__.py"
    deep = out / "venv" / "lib" / "demo" / "interfaces.py"
    for path, header in ((ours, HEADER), (theirs, HEADER.replace("demo.idl", "Other.idl"))):
        path.parent.mkdir(parents=True)
        path.write_text(header + "x = 1\n")
    deep.parent.mkdir(parents=True)
    deep.write_text(HEADER)
    assert output.generated_from(ours.read_bytes()) == "demo.idl"
    check = write_output(FILES, out, check=True, sources=["idl/demo.idl"])
    assert check.obsolete == ["demo_conformance/test_demo.py"]
    assert write_output(FILES, out, check=True).obsolete == []  # without sources: top dirs only
    report = write_output(FILES, out, sources=["idl/demo.idl"])
    assert report.removed == ["demo_conformance/test_demo.py"]
    assert theirs.exists() and deep.exists() and not ours.exists()


def test_an_obsolete_generated_readme_is_removed_too(tmp_path: Path) -> None:
    out = tmp_path / "out"
    suite = {
        "demo_conformance/__init__.py": gen(""),
        "demo_conformance/README.md": f"<!-- {MARKER} 0.1.0 from demo.idl. Do not edit. -->\n",
    }
    write_output({**FILES, **suite}, out, sources=["demo.idl"])
    (out / "demo_conformance" / "NOTES.md").write_text("# mine, no marker\n")
    check = write_output(FILES, out, check=True, sources=["demo.idl"])
    assert check.obsolete == sorted(suite)
    report = write_output(FILES, out, sources=["demo.idl"])
    assert report.removed == sorted(suite)
    assert [p.name for p in (out / "demo_conformance").iterdir()] == ["NOTES.md"]


def test_interrupt_midway_also_restores_previous_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    write_output(FILES, out)
    before = snapshot(out)
    real_replace = os.replace

    def interrupted(src: str, dst: str) -> None:
        if dst.endswith("py.typed"):
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", interrupted)
    changed = {k: v + "# v2\n" for k, v in FILES.items()}
    with pytest.raises(KeyboardInterrupt):
        write_output(changed, out)
    monkeypatch.setattr(output.os, "replace", real_replace)
    assert snapshot(out) == before
