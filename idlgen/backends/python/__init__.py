"""The Python backend: typed stubs and event sinks (``--emit stubs,events``).

:func:`render_package` is its entry point; other emit kinds register through
:func:`register_emitter` and are rendered after it.
"""

from idlgen.backends.python.render import (
    BUILTIN_TARGETS,
    EMITTERS,
    Emitter,
    package_name_for,
    register_emitter,
    render_package,
)

__all__ = [
    "BUILTIN_TARGETS",
    "EMITTERS",
    "Emitter",
    "package_name_for",
    "register_emitter",
    "render_package",
]
