"""Formatting of generated Python with black, in the user's black style, with a verified cache.

**The style.**  A :class:`BlackStyle` holds the black settings that change its output (line
length, target versions, string normalisation, magic trailing comma, preview features).
:data:`DEFAULT_STYLE` is black's own defaults; :func:`idlgen.config.black_style_for` reads the
``[tool.black]`` of the project an output directory belongs to, so that the user's own
``black --check`` accepts the generated files.

**The cache.**  black is by far the slowest stage of ``idlgen generate``, and its output
depends only on its input, its version and the style.  So results are kept on disk, keyed by a
SHA-256 of those three: an unchanged rerun does no formatting work and does not even import
black.  The cache lives in ``$IDLGEN_CACHE_DIR`` if set (an empty string turns it off), else
``$XDG_CACHE_HOME/idlgen`` or ``~/.cache/idlgen``; a cache that cannot be read or written is
simply not used.

The cache may be shared (a CI cache) and is never trusted: an entry carries a checksum of its
key and body (a truncated, corrupt or foreign entry is ignored and rebuilt), is read only when
it is a small regular file, and a body that differs from the source is accepted only when its
syntax tree equals the source's (black's own safety rule: only layout, quotes and docstring
indentation may differ), so a poisoned entry cannot put other code into the output.  When the
generator already emitted black's text (the usual case) the entry records just that, and is
accepted without parsing anything.

**Many files.**  :func:`format_files` serves what it can from the cache and runs black for the
rest, in worker processes when there is enough work to share (see :class:`Formatter`).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import hashlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when worker processes are started
    from concurrent.futures import Executor, Future

#: black's own default line length.
DEFAULT_LINE_LENGTH = 88


@dataclass(frozen=True)
class BlackStyle:
    """The black settings generated code is formatted with (black's defaults unless set).

    *target_versions* are black's names (``"py311"``); empty lets black infer them from each
    file, as it does without configuration.  *origin* says where the style was read (a
    ``pyproject.toml``) and is not part of the style itself.
    """

    line_length: int = DEFAULT_LINE_LENGTH
    target_versions: tuple[str, ...] = ()
    string_normalization: bool = True
    magic_trailing_comma: bool = True
    preview: bool = False
    unstable: bool = False
    enabled_features: tuple[str, ...] = ()
    is_pyi: bool = False
    origin: str | None = field(default=None, compare=False)

    @property
    def key_text(self) -> str:
        """The settings as one canonical line (part of the format cache's key)."""
        return (
            f"line_length={self.line_length} target={','.join(sorted(self.target_versions))} "
            f"string_normalization={self.string_normalization} "
            f"magic_trailing_comma={self.magic_trailing_comma} preview={self.preview} "
            f"unstable={self.unstable} features={','.join(sorted(self.enabled_features))} "
            f"is_pyi={self.is_pyi}"
        )

    def mode(self) -> Any:
        """The ``black.Mode`` of this style (imports black)."""
        import black
        from black.mode import Preview, TargetVersion

        return black.Mode(
            target_versions={TargetVersion[v.upper()] for v in self.target_versions},
            line_length=self.line_length,
            string_normalization=self.string_normalization,
            is_pyi=self.is_pyi,
            magic_trailing_comma=self.magic_trailing_comma,
            preview=self.preview,
            unstable=self.unstable,
            enabled_features={Preview[f] for f in self.enabled_features},
        )


#: black's defaults: what generated code looks like when no ``[tool.black]`` says otherwise.
DEFAULT_STYLE = BlackStyle()


def black_mode(style: BlackStyle = DEFAULT_STYLE) -> Any:
    """The ``black.Mode`` generated code is formatted with in *style* (black imported lazily:
    an unchanged rerun, served from the cache, never loads it)."""
    return style.mode()


@functools.cache
def black_version() -> str:
    """The installed black's version (part of the cache key; read once, without importing
    black: from the small module black's build writes, else from the package metadata)."""
    import importlib

    try:
        return str(importlib.import_module("_black_version").version)
    except (ImportError, AttributeError):
        import importlib.metadata

        return importlib.metadata.version("black")


#: First line of every cache entry (a different line: a foreign or older entry, ignored).
_ENTRY_MAGIC = "idlgen-format-cache 2"
#: Body of an entry saying "black leaves the source as it is".
_SAME = ""
_SAME_FLAG = "same"
_TEXT_FLAG = "text"


#: About how much source one black call formats (see :mod:`idlgen.output.blocks`).
BLOCK_CHARS = 64 * 1024


class Formatted(str):
    """Generated text that is black's already (in the style it was made for): the
    :class:`Formatter` keeps it as it is.  For text black need not read whole, such as a
    large literal put back after black formatted the code around it."""

    __slots__ = ()


def format_python(source: str, style: BlackStyle = DEFAULT_STYLE) -> str:
    """Return *source* formatted by black in *style* (cached; see the module doc).

    Raises ``ValueError`` (with black's message) when *source* is not valid
    Python, which would be a generator bug.
    """
    key = cache_key(source, style)
    cached = read_cached(key, source)
    if cached is not None:
        return cached
    formatted = run_black(source, style)
    store_cached(key, source, formatted)
    return formatted


def run_black(source: str, style: BlackStyle) -> str:
    """black's text for *source* in *style*, without the cache (``ValueError`` if invalid)."""
    import black
    from black.parsing import InvalidInput

    try:
        return black.format_str(source, mode=style.mode())
    except InvalidInput as exc:  # a bug in a template
        raise ValueError(f"generated code is not valid Python: {exc}") from exc


# --------------------------------------------------------------------------- many files


#: Below this much text to format (characters), worker processes cost more than they save.
PARALLEL_MIN_CHARS = 400_000


def default_jobs() -> int:
    """How many processes format in parallel by default: the CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


class Formatter:
    """Formats generated files as they come: cache hits at once, the rest by black.

    :meth:`submit` a file at a time (``.py`` files are formatted, others kept as they are),
    then :meth:`results`.  With *jobs* > 1, misses are queued and, once there is enough work
    (:data:`PARALLEL_MIN_CHARS`), sent to a pool of worker processes, so black runs while
    the caller goes on loading and rendering the next input.  Results do not depend on
    *jobs*.  Use it as a context manager (the pool is shut down on exit).
    """

    def __init__(self, style: BlackStyle = DEFAULT_STYLE, *, jobs: int | None = None) -> None:
        self.style = style
        self.jobs = default_jobs() if jobs is None else max(1, jobs)
        self._order: list[str] = []
        self._done: dict[str, str] = {}
        self._blocks: dict[str, int] = {}  # a module formatted in blocks -> how many
        self._pending: list[tuple[str, str, str]] = []  # (path, key, source)
        self._pending_chars = 0
        self._futures: list[tuple[str, str, str, Future[str]]] = []
        self._pool: Executor | None = None
        #: how many files black formatted (not served by the cache)
        self.black_runs = 0

    def __enter__(self) -> Formatter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, path: str, text: str) -> None:
        """Add the file *path* with its generated *text* (kept as it is when it is
        :class:`Formatted` or not Python; a large module is formatted in blocks, see
        :mod:`idlgen.output.blocks`)."""
        self._order.append(path)
        if isinstance(text, Formatted) or not path.endswith((".py", ".pyi")):
            self._done[path] = str(text)
            return
        if len(text) > BLOCK_CHARS:
            from idlgen.output.blocks import split_blocks

            blocks = split_blocks(text)
            if len(blocks) > 1:
                self._blocks[path] = len(blocks)
                for i, block in enumerate(blocks):
                    self._submit_piece(f"{path}#{i}", block)
                return
        self._submit_piece(path, text)

    def _submit_piece(self, path: str, text: str) -> None:
        key = cache_key(text, self.style)
        cached = read_cached(key, text)
        if cached is not None:
            self._done[path] = cached
            return
        self.black_runs += 1
        self._pending.append((path, key, text))
        self._pending_chars += len(text)
        if self.jobs > 1 and (self._pool is not None or self._pending_chars >= PARALLEL_MIN_CHARS):
            self._dispatch()

    def results(self) -> dict[str, str]:
        """Every submitted file, formatted: ``{path: text}`` in submission order.

        Raises ``ValueError`` when black rejects a text (a generator bug).
        """
        from concurrent.futures import BrokenExecutor

        if self._pool is not None:
            self._dispatch()
        if self._pending:
            with _collecting_only_new_objects():
                for path, key, source in self._pending:
                    formatted = run_black(source, self.style)
                    store_cached(key, source, formatted)
                    self._done[path] = formatted
                    gc.collect()
        self._pending.clear()
        for path, key, source, future in self._futures:
            try:
                formatted = future.result()
            except BrokenExecutor:  # a worker died (killed, out of memory): format here
                formatted = run_black(source, self.style)
            store_cached(key, source, formatted)
            self._done[path] = formatted
        self._futures.clear()
        for path, count in self._blocks.items():
            self._done[path] = "\n\n".join(self._done.pop(f"{path}#{i}") for i in range(count))
        self._blocks.clear()
        return {path: self._done[path] for path in self._order}

    def close(self) -> None:
        """Shut the worker processes down (pending work is dropped)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _dispatch(self) -> None:
        if self._pool is None:
            self._pool = _start_pool(self.jobs)
            if self._pool is None:  # no worker processes here: format in this one
                self.jobs = 1
                return
        for path, key, source in self._pending:
            future = self._pool.submit(_format_in_worker, source, self.style)
            self._futures.append((path, key, source, future))
        self._pending.clear()


def format_files(
    files: Mapping[str, str], style: BlackStyle = DEFAULT_STYLE, *, jobs: int | None = None
) -> dict[str, str]:
    """Format the ``.py`` files of *files* (``{path: text}``) in *style*; see :class:`Formatter`."""
    with Formatter(style, jobs=jobs) as formatter:
        for path, text in files.items():
            formatter.submit(path, text)
        return formatter.results()


def _start_pool(jobs: int) -> Executor | None:
    """A pool of *jobs* worker processes, forked from this one with black imported; None
    where forking is unavailable or unsafe (another thread is running), and then the
    caller formats in this process.  Forked workers re-run nothing of the caller's program
    (a spawned one would import its main module again)."""
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    if (
        sys.platform == "darwin"  # forking is unsafe there (system frameworks)
        or "fork" not in multiprocessing.get_all_start_methods()
        or threading.active_count() > 1
    ):
        return None
    try:
        import black  # noqa: F401 - imported once here, shared by the forked workers

        context = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_worker_setup)
    except (OSError, ValueError, ImportError):
        return None


@contextlib.contextmanager
def _collecting_only_new_objects() -> Iterator[None]:
    """While black runs in this process: the objects that exist already (the caller's model,
    perhaps millions) are frozen out of garbage collection, and automatic collection is off
    (it would rescan them for every few thousand of black's objects); the caller collects
    after each file.  The collector's state is restored afterwards."""
    was_enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _worker_setup() -> None:
    """A forked worker only formats.  What it inherited from the caller (its whole model) is
    frozen out of garbage collection, which would otherwise touch, and so copy, every page of
    it; automatic collection is off (it rescans black's syntax trees, millions of small
    objects, again and again for nothing) and runs once after each file instead."""
    gc.freeze()
    gc.disable()


def _format_in_worker(source: str, style: BlackStyle) -> str:
    try:
        return run_black(source, style)
    finally:
        gc.collect()


# --------------------------------------------------------------------------- the cache


def cache_dir() -> Path | None:
    """The on-disk format cache folder, or None when caching is turned off."""
    configured = os.environ.get("IDLGEN_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "idlgen"


def cache_key(source: str, style: BlackStyle = DEFAULT_STYLE) -> str:
    """The cache key of formatting *source* in *style* with the installed black."""
    h = hashlib.sha256()
    h.update(f"{_ENTRY_MAGIC}\nblack {black_version()}\n{style.key_text}\n".encode())
    h.update(source.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _entry_path(key: str) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    return root / "format" / key[:2] / key


def _checksum(key: str, flag: str, body: str) -> str:
    h = hashlib.sha256(f"{key}\n{flag}\n".encode())
    h.update(body.encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def read_cached(key: str, source: str) -> str | None:
    """The cached formatting of *source* under *key*, or None (absent or not to be trusted).

    An entry is used only when it is a regular file of a sane size, its checksum matches, and
    its text is the source itself or has the source's syntax tree (:func:`same_code`).
    """
    path = _entry_path(key)
    if path is None:
        return None
    limit = 4 * len(source) + 4096
    raw = _read_small_regular_file(path, limit)
    if raw is None:
        return None
    try:
        text = raw.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:
        return None
    magic, _, rest = text.partition("\n")
    flag, _, rest = rest.partition("\n")
    checksum, _, body = rest.partition("\n")
    if magic != _ENTRY_MAGIC or checksum != _checksum(key, flag, body):
        return None
    if flag == _SAME_FLAG and body == _SAME:
        return source
    if flag == _TEXT_FLAG and (body == source or same_code(source, body)):
        return body
    return None


def store_cached(key: str, source: str, formatted: str) -> None:
    """Record that black turns *source* into *formatted* (problems only mean no caching)."""
    path = _entry_path(key)
    if path is None:
        return
    flag, body = (_SAME_FLAG, _SAME) if formatted == source else (_TEXT_FLAG, formatted)
    entry = f"{_ENTRY_MAGIC}\n{flag}\n{_checksum(key, flag, body)}\n{body}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(entry.encode("utf-8", "surrogatepass"))
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError:
        pass


def _read_small_regular_file(path: Path, limit: int) -> bytes | None:
    """The bytes of *path* if it is a regular file (not a link) of at most *limit* bytes."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(limit + 1)
        return data if len(data) <= limit else None
    except OSError:
        return None
    finally:
        os.close(fd)


def same_code(source: str, formatted: str) -> bool:
    """Whether *formatted* is *source* laid out anew: the same syntax tree, docstrings
    compared without their indentation (what black may change).  Never raises."""
    try:
        return _tree_text(source) == _tree_text(formatted)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _tree_text(text: str) -> str:
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        ):
            node.value.value = _strip_lines(node.value.value)
    return ast.dump(tree)


def _strip_lines(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines()).strip()
