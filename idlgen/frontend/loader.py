"""The front end: preprocess, parse, follow imports, resolve.

:func:`load` turns IDL files into a :class:`Program`.  For each main file it
runs the preprocessor and the parser, then follows every ``import``: the
imported file is searched in the importing file's directory, then in the
``-I`` directories, then in idlgen's built-in include directory
(:data:`BUILTIN_INCLUDE_DIR`, the standard system IDL); in each, the exact name first,
then a name differing only in case (:mod:`idlgen.frontend.sourcefiles`).  An imported file is
preprocessed and parsed **once per process** and shared by every file that
imports it (the cache key is its real path, size and mtime, the include
path and the command-line macros); its declarations are marked
``imported=True``.  Import cycles are harmless: a file already being loaded is
not loaded again, and the resolver walks each file once per run.

Units and what depends on what (for caching front-end work).  A *unit* is one file as
the preprocessor and the parser make it: a main file or an imported one, with the text of
everything it ``#include``s.  Its parse depends on its bytes, those of every file it
``#include``s, which file each ``#include`` name finds (the include path; names are also
matched in another case), the command-line macros and the source code page — never on
another import, since each import is preprocessed with a fresh macro table.  Its
resolution (bindings, values, vtable slots) depends on its own declarations, those of the
files it imports, directly or not, in import order, and — since a name may be used before
its definition anywhere in a compilation — those of the files that declare a name it uses
without declaring or importing it (:attr:`Program.borrowed`).  An imported unit is resolved
once per process, in the first compilation that reaches it.  So a change in a file X
invalidates the parse of X and of every unit that ``#include``s X, and the resolution of X,
of every unit that imports X (directly or not) and of every unit that borrowed from X.

``importlib("stdole2.tlb")`` and ``importlib("stdole32.tlb")`` stand for the
OLE Automation type library; idlgen has no ``.tlb`` reader and loads the
bundled ``include/tlb/stdole2.idl`` (Wine's source of that library) instead.
Its declarations are a fallback scope: visible only where nothing else
declares the name (so ``oaidl.idl``'s ``IDispatch`` wins when both are there).
"""

from __future__ import annotations

import contextlib
import gc
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from idlgen.diagnostics import Diagnostic, DiagnosticSink, Span
from idlgen.frontend.declared import FileIndex, index_file
from idlgen.frontend.resolve import Resolver
from idlgen.frontend.sourcefiles import Lookup, check_encoding, find_source
from idlgen.frontend.symbols import SymbolTable
from idlgen.model import (
    CONTAINERS,
    Declaration,
    IdlFile,
    ImportLib,
    Interface,
)

#: idlgen's own include directory (standard system IDL), searched last.
BUILTIN_INCLUDE_DIR = Path(__file__).resolve().parents[1] / "include"

#: Type libraries that ``importlib`` understands, mapped to the IDL that stands for them.
KNOWN_TYPE_LIBRARIES = {
    "stdole2.tlb": BUILTIN_INCLUDE_DIR / "tlb" / "stdole2.idl",
    "stdole32.tlb": BUILTIN_INCLUDE_DIR / "tlb" / "stdole2.idl",
}

MacroOp = tuple[str, ...]


@dataclass
class Program:
    """The result of loading some IDL files.

    ``files`` are the main files in the order given, each fully resolved;
    ``imports`` every file loaded for an ``import`` (shared between main
    files), in load order; ``symbols`` the names visible at the end of each
    main file (keyed by its path as given).
    """

    files: list[IdlFile] = field(default_factory=list)
    imports: list[IdlFile] = field(default_factory=list)
    symbols: dict[str, SymbolTable] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: file path -> the files of its compilation whose declarations it used without
    #: importing them (forward references across files): what its resolution depends
    #: on besides its own text, #includes and imports
    borrowed: dict[str, set[str]] = field(default_factory=dict)

    @property
    def has_errors(self) -> bool:
        """True when loading reported at least one error."""
        return any(d.is_error for d in self.diagnostics)

    def file(self, path: str) -> IdlFile | None:
        """The main file loaded from *path*, if any."""
        for f in self.files:
            if f.path == path:
                return f
        return None


@dataclass
class _CacheEntry:
    file: IdlFile
    diagnostics: list[Diagnostic]
    #: what the file declares (for forward references), built on first use
    index: FileIndex | None = None


_CacheKey = tuple[str, int, int, tuple[str, ...], tuple[MacroOp, ...], str | None]

#: Process-wide cache of imported files (see :class:`Loader`).
_IMPORT_CACHE: dict[_CacheKey, _CacheEntry] = {}
_ENTRY_BY_FILE: dict[int, _CacheEntry] = {}


def _shared_index(f: IdlFile) -> FileIndex | None:
    """The index of a cached imported file, kept with it (None for other files)."""
    entry = _ENTRY_BY_FILE.get(id(f))
    if entry is None or entry.file is not f:
        return None
    if entry.index is None:
        entry.index = index_file(f)
    return entry.index


def clear_cache() -> None:
    """Forget every imported file parsed so far in this process."""
    _IMPORT_CACHE.clear()
    _ENTRY_BY_FILE.clear()


class Loader:
    """Loads and resolves main files that share imports (one per ``check`` call)."""

    def __init__(
        self,
        *,
        include_dirs: Sequence[str | os.PathLike[str]] = (),
        macro_ops: Sequence[MacroOp] = (),
        sink: DiagnosticSink,
        builtin_include: bool = True,
        source_encoding: str | None = None,
    ) -> None:
        self.sink = sink
        #: the Windows code page of sources that are neither UTF-8 nor marked by a BOM
        #: (None: cp1252); ValueError when Python does not know it
        self.code_page = check_encoding(source_encoding) if source_encoding else None
        self.include_dirs = [str(d) for d in include_dirs]
        if builtin_include:
            self.include_dirs.append(str(BUILTIN_INCLUDE_DIR))
        self.macro_ops: tuple[MacroOp, ...] = tuple(tuple(op) for op in macro_ops)
        self.resolver = Resolver(sink, self._load_importlib, _shared_index)
        self.program = Program(diagnostics=sink.diagnostics, borrowed=self.resolver.borrowed)
        self._loaded: dict[int, IdlFile] = {}  # id(file) -> file (imports of this loader)
        self._replayed: set[int] = set()
        self._main_by_path: dict[str, IdlFile] = {}
        self._importlibs: dict[str, IdlFile | None] = {}

    # ------------------------------------------------------------------ main files

    def load_all(self, paths: Iterable[str | os.PathLike[str]]) -> list[IdlFile]:
        """:meth:`load_main` each of *paths* in order (the collector paused throughout)."""
        with gc_paused():
            return [self.load_main(p) for p in paths]

    def load_main(self, path: str | os.PathLike[str], *, text: str | None = None) -> IdlFile:
        """Preprocess, parse and resolve one main file; diagnostics go to the sink."""
        spath = os.fspath(path)
        with gc_paused():
            return self._load_main(spath, text)

    def _load_main(self, spath: str, text: str | None) -> IdlFile:
        try:
            f = self.parse_main(spath, text=text)
        except RecursionError:
            return self._give_up(spath)
        return self.resolve_main(f)

    def parse_main(self, path: str, *, text: str | None = None) -> IdlFile:
        """Preprocess and parse the main file *path* (imports not followed, nothing
        resolved); :meth:`load_main` is this, then :meth:`resolve_main`."""
        return self._parse(path, text, imported=False, sink=self.sink)

    def resolve_main(self, f: IdlFile) -> IdlFile:
        """Follow the imports of the parsed main file *f*, resolve it and add it to the
        program (a caller may change the parsed model in between: the reordering tests)."""
        spath = f.path
        try:
            real = _realpath(spath)
            if real is not None:
                self._main_by_path[real] = f
            self._follow_imports(f, spath)
            self.program.symbols[spath] = self.resolver.resolve_run(f)
        except RecursionError:
            return self._give_up(spath)
        self.program.files.append(f)
        return f

    def _give_up(self, spath: str) -> IdlFile:
        self.sink.error(Span(spath, 1, 1), "input nested too deeply to process")
        f = IdlFile(spath)
        self.program.files.append(f)
        return f

    # ------------------------------------------------------------------ parsing

    def _parse(
        self, path: str, text: str | None, *, imported: bool, sink: DiagnosticSink
    ) -> IdlFile:
        preprocessed, locate, pragmas = run_preprocessor(
            path, text, tuple(self.include_dirs), self.macro_ops, sink, self.code_page
        )
        f = run_parser(preprocessed, path, sink, locate, pragmas, self.code_page)
        if imported:
            mark_imported(f.declarations)
        return f

    def _follow_imports(self, f: IdlFile, importer: str) -> None:
        """Load (or take from the cache) every file *f* imports, recursively."""
        todo: list[tuple[IdlFile, str]] = [(f, importer)]
        while todo:
            current, current_path = todo.pop()
            for imp in current.imports:
                target = imp.resolved
                if target is not None and id(target) in _ENTRY_BY_FILE:
                    # bound when the importing file was first loaded (same cache key)
                    real = _realpath(target.path)
                    main = self._main_by_path.get(real) if real is not None else None
                    if main is not None:
                        imp.resolved = main  # a cycle back to a main file of this loader
                        continue
                    if id(target) not in self._loaded:
                        self._adopt(target, todo)
                    continue
                where = imp.span.file if imp.span.line > 0 else current_path
                lookup = self.lookup_import(imp.name, where)
                found = lookup.path
                if lookup.ambiguous:
                    imp.resolved = None
                    self.sink.error(imp.span, lookup.ambiguity_message(imp.name))
                    continue
                if found is None:
                    imp.resolved = None
                    self.sink.error(
                        imp.span,
                        f"cannot find imported file '{imp.name}'",
                        self.sink.note(
                            imp.span, "searched: " + ", ".join(self._search_dirs(where))
                        ),
                    )
                    continue
                real = _realpath(found)
                main = self._main_by_path.get(real) if real is not None else None
                if main is not None:
                    imp.resolved = main  # a cycle back to a main file: nothing to load
                    continue
                imported = self._load_imported(found)
                imp.resolved = imported
                if id(imported) not in self._loaded:
                    self._adopt(imported, todo)

    def _adopt(self, f: IdlFile, todo: list[tuple[IdlFile, str]]) -> None:
        self._loaded[id(f)] = f
        self.program.imports.append(f)
        self._replay(f)
        todo.append((f, f.path))

    def _replay(self, f: IdlFile) -> None:
        """Report the stored preprocessing/parsing diagnostics of a cached file once."""
        entry = _ENTRY_BY_FILE.get(id(f))
        if entry is not None and id(f) not in self._replayed:
            self._replayed.add(id(f))
            for d in entry.diagnostics:
                self.sink.report(d)

    def _load_imported(self, path: str) -> IdlFile:
        key = self._cache_key(path)
        entry = _IMPORT_CACHE.get(key) if key is not None else None
        if entry is None:
            private = DiagnosticSink()
            f = self._parse(path, None, imported=True, sink=private)
            entry = _CacheEntry(f, list(private.diagnostics))
            _ENTRY_BY_FILE[id(f)] = entry
            if key is not None:
                _IMPORT_CACHE[key] = entry
        self._replay(entry.file)
        return entry.file

    def _cache_key(self, path: str) -> _CacheKey | None:
        try:
            st = os.stat(path)
        except OSError:
            return None
        real = os.path.realpath(path)
        return (
            real,
            st.st_size,
            st.st_mtime_ns,
            tuple(self.include_dirs),
            self.macro_ops,
            self.code_page,
        )

    # ------------------------------------------------------------------ search

    def _search_dirs(self, importer: str) -> list[str]:
        here = os.path.dirname(importer) or "."
        dirs = [here]
        for d in self.include_dirs:
            if d not in dirs:
                dirs.append(d)
        return dirs

    def find_import(self, name: str, importer: str) -> str | None:
        r"""Where ``import "name"`` in *importer* leads: importer's dir, -I dirs, built-in dir
        (each: the exact name, else one differing only in case; ``\`` separates too)."""
        return self.lookup_import(name, importer).path

    def lookup_import(self, name: str, importer: str) -> Lookup:
        """:meth:`find_import` with the candidates of an ambiguous name."""
        return find_source(name, self._search_dirs(importer))

    # ------------------------------------------------------------------ importlib

    def _load_importlib(self, lib: ImportLib) -> IdlFile | None:
        name = os.path.basename(lib.name.replace("\\", "/")).lower()
        if name in self._importlibs:
            return self._importlibs[name]
        source = KNOWN_TYPE_LIBRARIES.get(name)
        result: IdlFile | None = None
        if source is None:
            self.sink.warning(
                lib.span,
                f"type library '{lib.name}' cannot be read; "
                "only stdole2.tlb and stdole32.tlb are known",
            )
        else:
            result = self._load_imported(str(source))
            self._follow_imports(result, result.path)
        self._importlibs[name] = result
        return result


Locate = Callable[[int, int], tuple[str, int, int]]


def run_preprocessor(
    path: str,
    text: str | None,
    include_dirs: tuple[str, ...],
    macro_ops: tuple[MacroOp, ...],
    sink: DiagnosticSink,
    code_page: str | None = None,
) -> tuple[str, Locate | None, list[tuple[int, str]]]:
    """Preprocess one file; returns the text, the map back to original positions and the
    ``#pragma`` lines as ``(output lines before it, text)``."""
    from idlgen.frontend.preprocess import preprocess

    source = preprocess(
        path,
        text=text,
        include_dirs=include_dirs,
        macro_ops=macro_ops,
        sink=sink,
        code_page=code_page,
    )
    return source.text, source.locate, [(p.output_line, p.text) for p in source.pragmas]


def run_parser(
    text: str,
    path: str,
    sink: DiagnosticSink,
    locate: Locate | None,
    pragmas: Sequence[tuple[int, str]] = (),
    code_page: str | None = None,
) -> IdlFile:
    """Parse preprocessed text into an :class:`IdlFile` (*pragmas*: see
    :func:`run_preprocessor`; *code_page*: of the bytes that escapes in narrow string
    literals stand for)."""
    from idlgen.frontend.parser import parse_text

    return parse_text(text, path, sink, locate=locate, pragmas=pragmas, code_page=code_page)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a block runs.

    Parsing allocates millions of small objects that live on (the model); each
    automatic collection rescans them all, which costs a third of the front end's
    time on a large input.  Nothing here creates cyclic garbage worth collecting
    mid-run, and the collector is re-enabled (if it was on) afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load(
    paths: Iterable[str | os.PathLike[str]],
    *,
    include_dirs: Sequence[str | os.PathLike[str]] = (),
    macro_ops: Sequence[MacroOp] = (),
    sink: DiagnosticSink,
    builtin_include: bool = True,
    source_encoding: str | None = None,
) -> Program:
    """Load, import-follow and resolve *paths*; problems are reported to *sink*.

    Imported files are parsed once per process and shared by all *paths*.
    ``macro_ops`` are the command line's ``-D``/``-U`` in order, in the form
    :func:`idlgen.frontend.preprocess.preprocess` takes; ``source_encoding`` the code page
    of sources that are neither UTF-8 nor marked by a BOM (default cp1252).
    """
    loader = Loader(
        include_dirs=include_dirs,
        macro_ops=macro_ops,
        sink=sink,
        builtin_include=builtin_include,
        source_encoding=source_encoding,
    )
    loader.load_all(paths)
    return loader.program


def mark_imported(decls: Iterable[Declaration]) -> None:
    """Set ``imported=True`` on *decls* and everything nested in them."""
    for d in decls:
        d.imported = True
        if isinstance(d, CONTAINERS):
            mark_imported(d.body)
        elif isinstance(d, Interface):
            mark_imported(item for item in d.body if isinstance(item, Declaration))


def _realpath(path: str) -> str | None:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return None
