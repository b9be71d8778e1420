"""The emit-kind registry: which output kinds ``emit`` accepts and who renders each.

``"stubs"`` and ``"events"`` are the Python backend's own (:data:`BUILTIN_TARGETS`); every
other kind is an :data:`Emitter` registered here by its backend (``"tests"`` by
:mod:`idlgen.backends.conformance`), which :func:`idlgen.backends.python.render_package` calls
after the stubs.  Backends register through this module, never through each other.
"""

from __future__ import annotations

from collections.abc import Callable

from idlgen.frontend import Program

__all__ = ["BUILTIN_TARGETS", "EMITTERS", "Emitter", "register_emitter"]

Emitter = Callable[[Program, str], dict[str, str]]

#: Extra emit targets (``"tests"`` is added by :mod:`idlgen.conformance`).
EMITTERS: dict[str, Emitter] = {}

#: The emit targets this module knows itself.
BUILTIN_TARGETS = ("stubs", "events")


def register_emitter(name: str, fn: Emitter) -> None:
    """Add an emit target: ``fn(program, package) -> {relative path: text}``.

    The ``.py`` files it returns are formatted by black afterwards (in the style of the
    output's project), so *fn* may return them unformatted.
    """
    if name in BUILTIN_TARGETS:
        raise ValueError(f"emit target {name!r} is built in")
    EMITTERS[name] = fn
