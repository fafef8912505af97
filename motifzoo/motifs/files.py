"""Writing output files atomically: a reader never sees a half-written file, and a failed write
never replaces a good one.

Files are created with the mode the umask gives (0644 under the usual umask 022), as ``open``
would, so a lab member can read a MEME file and a web server can serve a report;
``tempfile.mkstemp`` would make them 0600.
"""
from __future__ import annotations

import contextlib
import errno
import os
import secrets
from pathlib import Path


class DiskFullError(OSError):
    """The disk filled while an output was written; the old file (if any) is intact."""


def disk_full_message(path) -> str:
    return f"cannot write {path}: the disk is full (no space left on device); free some space and run again"


def _temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``; on success it is renamed over ``path``, on any
    failure it is removed and ``path`` is left as it was. A full disk raises :class:`DiskFullError`.

    The temporary file does not exist yet when yielded; create it with ``open``-like calls, which
    honour the umask (use :func:`atomic_write_text` / :func:`atomic_write_bytes` for plain data).
    """
    path = Path(path)
    if not path.parent.exists():
        raise FileNotFoundError(f"cannot write {path}: directory {path.parent} does not exist")
    tmp = _temp_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as err:
        _unlink(tmp)
        if err.errno == errno.ENOSPC and not isinstance(err, DiskFullError):
            raise DiskFullError(errno.ENOSPC, disk_full_message(path)) from None
        raise
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def _write_fd(fd: int, path: Path, data: bytes) -> None:
    """Write all of ``data`` to the open file ``fd`` (at ``path``) and flush it to the disk."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.fsync(fd)


def _write(path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        # O_EXCL: never follow a planted link; 0o666 & ~umask, as open() gives
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            _write_fd(fd, tmp, data)
        finally:
            os.close(fd)


def atomic_write_text(path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename, so an interrupted
    write never leaves a truncated file behind; the file gets the mode the umask allows."""
    _write(path, text.encode("utf-8"))


def atomic_write_bytes(path, data: bytes) -> None:
    """As :func:`atomic_write_text`, for bytes."""
    _write(path, data)
