"""Reading files that come from outside (IDL sources, configuration, scenario files, existing
output): only regular files, never more than a stated number of bytes, never a read that blocks.

:func:`read_input_file` is the one way idlgen reads such a file.  A FIFO, socket or device is
refused before it is opened (opening a FIFO waits for a writer), the file is opened with
``O_NONBLOCK`` and checked again on the open descriptor (it may have been swapped), and at most
*limit* + 1 bytes are read, so a file whose size the kernel does not know (``/proc`` files report
0) cannot make idlgen read without end, and one whose reads block (``/proc/kmsg``) is refused.
"""

from __future__ import annotations

import errno
import os
import stat

__all__ = ["MAX_SOURCE_BYTES", "UnreadableFile", "read_input_file"]

#: The largest source file idlgen reads (the largest real IDL or header is under 1 MB;
#: a bigger input is almost certainly not source, and would take minutes and gigabytes).
MAX_SOURCE_BYTES = 16 * 1024 * 1024

_CHUNK = 1 << 20


class UnreadableFile(OSError):
    """A file cannot be read: ``message`` says why, naming the file (``cannot read 'x':
    reason``); ``reason`` is the part after the file name.  An OSError, so code that
    handles failed reads handles it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = message.split("': ", 1)[-1]


def _too_large(path: str, size: int | None, limit: int, what: str) -> UnreadableFile:
    shown = f"{size / 2**20:.1f} MB" if size is not None else f"more than {_megabytes(limit)}"
    return UnreadableFile(
        f"cannot read '{path}': file too large ({shown}; "
        f"idlgen reads {what} files up to {_megabytes(limit)})"
    )


def _megabytes(limit: int) -> str:
    return f"{limit // 2**20} MB" if limit >= 2**20 else f"{limit} bytes"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _check_mode(path: str, mode: int) -> None:
    if stat.S_ISDIR(mode):
        raise UnreadableFile(f"cannot read '{path}': is a directory")
    if not stat.S_ISREG(mode):
        raise UnreadableFile(f"cannot read '{path}': {_kind(mode)}, not a regular file")


def read_input_file(
    path: str | os.PathLike[str], limit: int, *, what: str = "source", head: bool = False
) -> bytes:
    """The bytes of the regular file *path*: at most *limit* of them.

    Raises :class:`UnreadableFile` (with a message naming *path*) when the file is missing,
    unreadable, not a regular file, would block, or holds more than *limit* bytes (*what*
    names the kind of file in that message).  With *head*, a longer file is not an error:
    its first *limit* bytes are returned.
    """
    spath = os.fspath(path)
    try:
        _check_mode(spath, os.stat(spath).st_mode)
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(spath, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
    except UnreadableFile:
        raise
    except FileNotFoundError:
        raise UnreadableFile(f"cannot open '{spath}': no such file") from None
    except OSError as exc:
        raise UnreadableFile(f"cannot open '{spath}': {exc.strerror or exc}") from None
    except ValueError as exc:  # an embedded NUL character
        raise UnreadableFile(f"cannot open '{spath}': {exc}") from None
    try:
        st = os.fstat(fd)
        _check_mode(spath, st.st_mode)
        if st.st_size > limit and not head:
            raise _too_large(spath, st.st_size, limit, what)
        return _read_capped(fd, spath, limit, what, head)
    except UnreadableFile:
        raise
    except OSError as exc:
        raise UnreadableFile(f"cannot read '{spath}': {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def _read_capped(fd: int, path: str, limit: int, what: str, head: bool) -> bytes:
    parts: list[bytes] = []
    total = 0
    while total <= limit:
        try:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
        except BlockingIOError:
            raise UnreadableFile(
                f"cannot read '{path}': reading it would block (not a plain file)"
            ) from None
        except OSError as exc:
            if exc.errno == errno.EINTR:
                continue
            raise
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    data = b"".join(parts)
    if len(data) > limit:
        if head:
            return data[:limit]
        raise _too_large(path, None, limit, what)
    return data
