"""idlgen: read MIDL (COM IDL) and generate typed Python from it.

The Python API mirrors the command line: :func:`parse` loads IDL files,
:func:`generate` writes Python packages from them (``idlgen generate``),
:func:`render` returns the generated text without writing.  They are imported
lazily from :mod:`idlgen.api`, so ``import idlgen`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from idlgen.version import __version__

__all__ = ["__version__", "check", "generate", "parse", "render"]

if TYPE_CHECKING:
    from idlgen.api import check, generate, parse, render


def __getattr__(name: str) -> Any:
    if name in ("check", "generate", "parse", "render"):
        from idlgen import api

        return getattr(api, name)
    raise AttributeError(f"module 'idlgen' has no attribute {name!r}")
