"""The emit-kind registry: which output kinds ``emit`` accepts and who renders each.

``"stubs"`` and ``"events"`` are the Python backend's own (:data:`BUILTIN_TARGETS`); every
other kind is an :data:`Emitter` registered here by its backend (``"tests"`` by
:mod:`idlgen.backends.conformance`), which :func:`idlgen.backends.python.render_package` calls
after the stubs.  Backends register through this module, never through each other.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from idlgen.frontend import Program

__all__ = [
    "BUILTIN_TARGETS",
    "EMITTERS",
    "FILE_EMITTERS",
    "Emitter",
    "FileEmitter",
    "register_emitter",
]

Emitter = Callable[[Program, str], dict[str, str]]

#: ``fn(program, package, packages)``: see :func:`register_emitter`.
FileEmitter = Callable[[Program, str, Mapping[str, str]], dict[str, str]]

#: Extra emit targets (``"tests"`` is added by :mod:`idlgen.conformance`).
EMITTERS: dict[str, Emitter] = {}

#: Extra emit targets rendered for imported files' packages too (see :func:`register_emitter`).
FILE_EMITTERS: dict[str, FileEmitter] = {}

#: The emit targets this module knows itself.
BUILTIN_TARGETS = ("stubs", "events")


def register_emitter(name: str, fn: Emitter, *, every_file: FileEmitter | None = None) -> None:
    """Add an emit target: ``fn(program, package) -> {relative path: text}``.

    With *every_file*, the target is rendered by ``every_file(program, package, packages)``
    for every package of the run (with ``with_imports``, the imported files' too), where
    *packages* maps the path of each IDL file generated in the run to its package.

    The ``.py`` files it returns are formatted by black afterwards (in the style of the
    output's project), so it may return them unformatted.
    """
    if name in BUILTIN_TARGETS:
        raise ValueError(f"emit target {name!r} is built in")
    EMITTERS[name] = fn
    if every_file is not None:
        FILE_EMITTERS[name] = every_file
    else:
        FILE_EMITTERS.pop(name, None)
