"""Formatting of generated Python with black's API, in one fixed mode, with a cache.

The mode is pinned so output does not depend on any ``pyproject.toml`` around
the output directory: line length 100 (the project's own), Python 3.11 target,
string normalisation on, magic trailing comma respected.

black is by far the slowest stage of ``idlgen generate`` (seconds for a large
file), and its output depends only on its input, its version and the mode.  So
formatted results are cached on disk, keyed by a SHA-256 of those three: an
unchanged rerun does no formatting work at all.  The cache lives in
``$IDLGEN_CACHE_DIR`` if set (set it to an empty string to turn the cache off),
else ``$XDG_CACHE_HOME/idlgen`` or ``~/.cache/idlgen``; a cache that cannot be
read or written is simply not used.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
from pathlib import Path
from typing import Any

#: Line length of generated code.
LINE_LENGTH = 100

#: The black mode generated code is formatted with (part of the cache key).
BLACK_MODE_TEXT = (
    f"target=py311 line_length={LINE_LENGTH} string_normalization=True "
    "is_pyi=False magic_trailing_comma=True"
)


def black_mode() -> Any:
    """The one ``black.Mode`` generated code is formatted with (black is imported lazily:
    an unchanged rerun, served from the cache, never loads it)."""
    import black
    from black.mode import TargetVersion

    return black.Mode(
        target_versions={TargetVersion.PY311},
        line_length=LINE_LENGTH,
        string_normalization=True,
        is_pyi=False,
        magic_trailing_comma=True,
    )


_BLACK_VERSION = importlib.metadata.version("black")


def format_python(source: str) -> str:
    """Return *source* formatted by black in :func:`black_mode` (cached; see the module doc).

    Raises ``ValueError`` (with black's message) when *source* is not valid
    Python, which would be a generator bug.
    """
    path = _cache_path(_cache_key(source))
    if path is not None:
        try:
            cached = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            cached = None
        if cached is not None:
            return cached
    import black
    from black.parsing import InvalidInput

    try:
        formatted = black.format_str(source, mode=black_mode())
    except InvalidInput as exc:  # pragma: no cover - a bug in a template
        raise ValueError(f"generated code is not valid Python: {exc}") from exc
    if path is not None:
        _store(path, formatted)
    return formatted


def cache_dir() -> Path | None:
    """The on-disk format cache folder, or None when caching is turned off."""
    configured = os.environ.get("IDLGEN_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "idlgen"


def _cache_key(source: str) -> str:
    h = hashlib.sha256()
    h.update(f"black {_BLACK_VERSION}\n{BLACK_MODE_TEXT}\n".encode())
    h.update(source.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _cache_path(key: str) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    return root / "format" / key[:2] / key


def _store(path: Path, text: str) -> None:
    """Write *text* to *path* atomically; problems only mean no caching."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass
