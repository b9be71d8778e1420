"""The exceptions of :mod:`idlgen.runtime.native` (besides :class:`~idlgen.runtime.COMError`)."""

from __future__ import annotations

__all__ = ["NullPointerError", "ReleasedProxyError"]


class ReleasedProxyError(RuntimeError):
    """A proxy was used after its reference was released (``release()``, ``with``)."""


class NullPointerError(ValueError):
    """A null interface pointer where an object is needed (``wrap(0, ...)``)."""
