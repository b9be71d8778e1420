"""Source files as MIDL users expect: found by the names ``import`` and ``#include`` give,
decoded from the encodings MIDL reads (:func:`decode_source`).

IDL written for MIDL comes from a case-insensitive file system: ``import "oaidl.idl"`` where
the file is ``OAIdl.Idl``, ``#include "..\\inc\\defs.h"`` with Windows separators.
:func:`find_source` looks a name up in a list of directories, in order; in each one

1. the exact name first (one ``stat``: the usual case costs nothing more);
2. then, component by component, an entry whose name differs only in case (on a
   case-insensitive file system step 1 has already found it).  Two such entries in one
   directory (``Defs.h`` and ``DEFS.H``) make the name ambiguous: :class:`Lookup` lists
   the candidates and the caller reports an error rather than guessing.

``\\`` and ``/`` both separate components.  Directory listings are cached per process,
checked against the directory's mtime.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from idlgen.frontend.pptokens import read_file

_SEPARATORS = re.compile(r"[\\/]+")


@dataclass(frozen=True)
class Lookup:
    """Where a name leads: ``path`` (None if nowhere); ``ambiguous`` lists the candidates
    when one directory holds several entries matching it in a different case."""

    path: str | None
    ambiguous: tuple[str, ...] = ()

    def ambiguity_message(self, name: str) -> str:
        """The error for an ambiguous lookup of *name*."""
        listed = ", ".join(f"'{c}'" for c in self.ambiguous)
        return (
            f"'{name}' matches more than one file when case is ignored: {listed} "
            "(rename one, or write the name in its exact case)"
        )


def normalise_name(name: str) -> str:
    """*name* with ``\\`` separators (and runs of separators) as ``/``."""
    if "\\" not in name and "//" not in name:
        return name
    lead = "/" if name[:1] in "\\/" else ""
    return lead + "/".join(p for p in _SEPARATORS.split(name) if p)


def find_source(name: str, directories: Sequence[str]) -> Lookup:
    """Look *name* up in *directories* in order (see the module docstring); an absolute
    name is looked up as it is."""
    name = normalise_name(name)
    if not name:
        return Lookup(None)
    if os.path.isabs(name):
        return _find_in("", name)
    for d in directories:
        found = _find_in(d, name)
        if found.path is not None or found.ambiguous:
            return found
    return Lookup(None)


def _find_in(directory: str, name: str) -> Lookup:
    exact = os.path.join(directory, name) if directory else name
    if _is_file(exact):
        return Lookup(os.path.normpath(exact))
    parts = [p for p in name.split("/") if p]
    current = directory or (os.sep if name.startswith("/") else ".")
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        step = os.path.join(current, part)
        if part in (".", "..") or (_is_file(step) if last else os.path.isdir(step)):
            current = step
            continue
        folded = part.casefold()
        matches = [
            entry
            for entry in _listing(current)
            if entry.casefold() == folded
            and (_is_file(os.path.join(current, entry)) if last else _is_dir(current, entry))
        ]
        if not matches:
            return Lookup(None)
        if len(matches) > 1:
            return Lookup(None, tuple(os.path.join(current, m) for m in sorted(matches)))
        current = os.path.join(current, matches[0])
    return Lookup(os.path.normpath(current))


def _is_file(path: str) -> bool:
    try:
        return os.path.isfile(path)
    except ValueError:  # an embedded NUL
        return False


def _is_dir(directory: str, entry: str) -> bool:
    return os.path.isdir(os.path.join(directory, entry))


_listings: dict[str, tuple[int, list[str]]] = {}


def _listing(directory: str) -> list[str]:
    """The entries of *directory* (cached until its mtime changes; empty if unreadable)."""
    try:
        mtime = os.stat(directory).st_mtime_ns
    except (OSError, ValueError):
        return []
    cached = _listings.get(directory)
    if cached is not None and cached[0] == mtime:
        return cached[1]
    try:
        entries = os.listdir(directory)
    except (OSError, ValueError):
        entries = []
    if len(_listings) > 4096:
        _listings.clear()
    _listings[directory] = (mtime, entries)
    return entries


# --------------------------------------------------------------------------- encodings

#: The code page of text that is neither UTF-8 nor marked by a BOM (Windows' "ANSI" code
#: page of Western systems, in which most MIDL-authored IDL outside UTF-8 is written).
DEFAULT_CODE_PAGE = "cp1252"


@dataclass(frozen=True)
class Decoded:
    """Source text decoded from bytes; ``bad_offset`` is the index in ``text`` of the first
    character that could not be decoded (replaced by U+FFFD), with ``problem`` saying why."""

    text: str
    encoding: str
    bad_offset: int | None = None
    problem: str = ""


def check_encoding(name: str) -> str:
    """The canonical name of the text encoding *name*; ValueError if Python has none."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        raise ValueError(f"unknown text encoding '{name}'") from None
    if not _is_text_encoding(info.name):
        raise ValueError(f"'{name}' is not a text encoding")
    return info.name


def _is_text_encoding(name: str) -> bool:
    try:
        "a".encode(name)
        b"a".decode(name)
    except (LookupError, TypeError, UnicodeError, ValueError):
        return False
    return True


def decode_source(data: bytes, code_page: str | None = None) -> Decoded:
    """Decode source bytes as MIDL reads them: UTF-8 after a UTF-8 BOM, UTF-16 after a
    UTF-16 BOM, UTF-8 when the bytes are valid UTF-8, else *code_page* (default
    :data:`DEFAULT_CODE_PAGE`; bytes it does not define map to the characters of the same
    number, as Windows does).  A *code_page* of UTF-8 makes invalid UTF-8 an error."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(data[2:], "utf-16-le" if data[:1] == b"\xff" else "utf-16-be")
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    page = check_encoding(code_page) if code_page else DEFAULT_CODE_PAGE
    if page == "utf-8":
        return _strict(data, "utf-8")
    return Decoded(decode_bytes(data, page), page)


def source_reader(code_page: str | None = None) -> Callable[[str], str | None]:
    """A function reading a source file as the front end decodes it (for quoting its
    lines in diagnostics): None when it cannot be read."""

    def read(path: str) -> str | None:
        data = read_file(path)
        return None if data is None else decode_source(data, code_page).text

    return read


def decode_bytes(data: bytes, code_page: str) -> str:
    """*data* in the Windows *code_page* (bytes it does not define: the same-numbered
    characters; a UTF-8 code page: invalid sequences as U+FFFD)."""
    if code_page == "utf-8":
        return data.decode("utf-8", errors="replace")
    return data.decode(code_page, errors=_SAME_NUMBER)


def _strict(data: bytes, encoding: str) -> Decoded:
    try:
        return Decoded(data.decode(encoding), encoding)
    except UnicodeDecodeError as exc:
        good = len(data[: exc.start].decode(encoding))
        name = "UTF-8" if encoding == "utf-8" else "UTF-16"
        return Decoded(data.decode(encoding, errors="replace"), encoding, good, f"invalid {name}")


def _same_number(exc: UnicodeError) -> tuple[str, int]:
    """Decode an undefined byte as the character of the same number (U+0081 for 0x81)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return "".join(chr(b) for b in exc.object[exc.start : exc.end]), exc.end


_SAME_NUMBER = "idlgen-same-number"
codecs.register_error(_SAME_NUMBER, _same_number)
