"""A hatchling build hook that generates Python bindings from IDL at build time.

Registered through hatch's plugin entry point (``[project.entry-points.hatch]
idlgen = "idlgen.buildhook"``), so a project only needs::

    [build-system]
    requires = ["hatchling", "idlgen"]
    build-backend = "hatchling.build"

    [tool.idlgen]
    sources = ["idl/demo.idl"]

    [tool.hatch.build.hooks.idlgen]
    # every [tool.idlgen] key may be given here too (it wins), plus:
    destination = ""        # folder inside the wheel/sdist for the generated packages
    sdist = true            # also put the generated files into the sdist
    include-tests = false   # true: also ship the conformance suite when emit lists "tests"

The hook renders the bindings into a temporary directory and adds them to the
wheel (and the sdist) with ``build_data["force_include"]``; the source tree
is not touched.  ``output`` belongs to ``idlgen generate``: the hook ignores
it in ``[tool.idlgen]`` and rejects it in its own table.  An error in the
IDL or the configuration fails the build with the diagnostics in the usual
``path:line:col: error: message`` form and one line (no traceback).

hatchling is imported only here; nothing else in idlgen needs it.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl

from idlgen.config import Config, ConfigError, key_error, load_config, parse_table, read_toml
from idlgen.diagnostics import CompileError, Diagnostic, SourceCache, format_diagnostic

#: The hook table in pyproject.toml.
HOOK_TABLE = "tool.hatch.build.hooks.idlgen"

#: Keys of the hook table that hatch itself reads (allowed, ignored by idlgen).
HATCH_KEYS: dict[str, type] = {
    "dependencies": list,
    "require-runtime-dependencies": bool,
    "require-runtime-features": list,
    "enable-by-default": bool,
}

#: Keys only the hook table has.
HOOK_KEYS: dict[str, type] = {"destination": str, "sdist": bool, "include-tests": bool}

#: The emit kind of the conformance suite, which the hook leaves out unless asked.
TESTS_KIND = "tests"


class IdlgenBuildError(Exception):
    """The bindings could not be generated; the message holds the diagnostics (as text),
    ``diagnostics`` the diagnostics themselves."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics = list(diagnostics)


@dataclass
class HookSettings:
    """The merged settings of one build."""

    config: Config
    destination: str = ""
    sdist: bool = True
    #: the conformance suite (emit ``tests``) goes into the artifacts too
    include_tests: bool = False

    def emit(self) -> list[str]:
        """The kinds to generate: the configured ones, ``tests`` only with *include_tests*."""
        from idlgen.api import DEFAULT_EMIT

        kinds = list(self.config.emit or DEFAULT_EMIT)
        return kinds if self.include_tests else [k for k in kinds if k != TESTS_KIND]

    def left_out(self) -> list[str]:
        """The configured kinds the hook does not build (``tests`` without opt-in)."""
        return [k for k in self.config.emit or () if k not in self.emit()]


def _diagnostic_text(diagnostics: Sequence[Diagnostic]) -> str:
    sources = SourceCache()
    return "\n".join(format_diagnostic(d, sources) for d in diagnostics)


def hook_settings(root: str | os.PathLike[str], hook_config: dict[str, Any]) -> HookSettings:
    """Merge ``[tool.idlgen]`` of *root*'s pyproject.toml with the hook table *hook_config*.

    Raises :class:`ConfigError` for unknown keys, wrong types or bad values.
    """
    pyproject = Path(root) / "pyproject.toml"
    path = str(pyproject)
    base: Config | None = None
    text: str | None = None
    if pyproject.is_file():
        base = load_config(pyproject)
        _, text = read_toml(pyproject)
    table = {k: v for k, v in hook_config.items() if k not in HATCH_KEYS}
    if "output" in table:
        raise key_error(
            path,
            text,
            HOOK_TABLE,
            "output",
            "the build hook writes into the wheel; use 'destination' for the folder inside it",
        )
    hook = parse_table(table, path, text, HOOK_TABLE, extra_keys=HOOK_KEYS)
    merged = base if base is not None else Config(path=pyproject, root=hook.root)
    for name in (
        "sources",
        "include_dir",
        "define",
        "undefine",
        "builtin_include",
        "source_encoding",
        "with_imports",
        "package",
        "emit",
        "line_length",
    ):
        value = getattr(hook, name)
        if value is not None:
            setattr(merged, name, value)
    destination = str(hook.extra.get("destination", "")).strip("/")
    if destination and any(p in ("", ".", "..") for p in destination.split("/")):
        raise key_error(path, text, HOOK_TABLE, "destination", "must be a plain relative path")
    if not merged.sources:
        raise key_error(
            path,
            text,
            "tool.idlgen",
            "sources",
            "not set: the build hook has no IDL to generate from",
        )
    if merged.emit:
        from idlgen.api import emit_problem

        problem = emit_problem(merged.emit)
        if problem is not None:
            where = HOOK_TABLE if hook.emit is not None else "tool.idlgen"
            raise key_error(path, text, where, "emit", problem)
    return HookSettings(
        merged,
        destination,
        bool(hook.extra.get("sdist", True)),
        bool(hook.extra.get("include-tests", False)),
    )


def generate_into(settings: HookSettings, directory: str) -> dict[str, str]:
    """Generate the bindings of *settings* into *directory*; returns ``{path: text}``.

    Raises :class:`IdlgenBuildError` with the diagnostics when the IDL has errors.
    """
    from idlgen.api import generate

    cfg = settings.config
    try:
        result = generate(
            cfg.sources or [],
            directory,
            include_dirs=cfg.include_dir or [],
            defines=cfg.define or [],
            undefines=cfg.undefine or [],
            builtin_include=cfg.builtin_include if cfg.builtin_include is not None else True,
            package=cfg.package,
            emit=settings.emit(),
            with_imports=bool(cfg.with_imports),
            line_length=cfg.line_length,
            style_dir=cfg.root,
            source_encoding=cfg.source_encoding,
        )
    except CompileError as exc:
        raise IdlgenBuildError(
            "idlgen could not generate the bindings:\n" + _diagnostic_text(exc.diagnostics),
            exc.diagnostics,
        ) from None
    return result.files


class IdlgenBuildHook(BuildHookInterface[BuilderConfig]):
    """Generates the bindings configured in pyproject.toml into the wheel and the sdist."""

    PLUGIN_NAME = "idlgen"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Render the bindings into a temporary folder and force-include them.

        Bad configuration or IDL errors end the build like a compiler would: the
        diagnostics, then a one-line failure (``app.abort``, no Python traceback).
        """
        try:
            settings = hook_settings(self.root, self.config)
        except ConfigError as exc:
            self._fail("invalid configuration", exc.diagnostics)
        if self.target_name == "sdist" and not settings.sdist:
            return
        self._tmpdir = tempfile.mkdtemp(prefix="idlgen-build-")
        try:
            files = generate_into(settings, self._tmpdir)
        except IdlgenBuildError as exc:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._fail("could not generate the bindings", exc.diagnostics)
        except BaseException:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            raise
        force_include: dict[str, str] = build_data.setdefault("force_include", {})
        for rel in sorted(files):
            source = os.path.join(self._tmpdir, *rel.split("/"))
            force_include[source] = (
                posixpath.join(settings.destination, rel) if settings.destination else rel
            )
        count = len(settings.config.sources or [])
        self.app.display_info(
            f"idlgen: generated {len(files)} files from {count} IDL file{'s' if count != 1 else ''}"
        )
        if settings.left_out():
            self.app.display_info(
                f"idlgen: the conformance suite (emit '{TESTS_KIND}') is left out of the "
                f"{self.target_name}; set include-tests = true in [{HOOK_TABLE}] to ship it"
            )

    def _fail(self, what: str, diagnostics: Sequence[Diagnostic]) -> NoReturn:
        """Print *diagnostics* and a one-line failure, then end the build (exit status 1)."""
        if diagnostics:
            self.app.display_error(_diagnostic_text(diagnostics))
        errors = sum(1 for d in diagnostics if d.is_error)
        counted = f" ({errors} error{'s' if errors != 1 else ''})" if errors else ""
        self.app.abort(f"idlgen: {what}{counted}: the {self.target_name} was not built")
        raise SystemExit(1)  # not reached: abort() exits

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary folder."""
        tmp = getattr(self, "_tmpdir", None)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
            self._tmpdir = ""


@hookimpl
def hatch_register_build_hook() -> type[IdlgenBuildHook]:
    """Tell hatch about the ``idlgen`` build hook."""
    return IdlgenBuildHook
