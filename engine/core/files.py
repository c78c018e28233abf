"""Files in and out, treated as hostile: only regular files are read, what is read is bounded by
the bytes actually read (never by `stat`, which is 0 for pipes and devices), and outputs are
checked before any work starts and written atomically (a temporary file renamed into place)."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ntmcert.core.errors import InputError, Location, Problem

_KINDS = [(stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")]


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _refuse(code: str, message: str, path: str | Path, key_path: str | None = None) -> InputError:
    return InputError([Problem(code, message, Location(str(path), None, None, key_path))])


def open_regular(path: str | Path) -> BinaryIO:
    """`path` opened for binary reading, if it is a regular file (links followed).

    A pipe, device, socket or folder is refused at once (`input_not_regular_file`) and never read:
    the file is opened with O_NONBLOCK (so opening a FIFO with no writer does not wait), then
    checked with fstat on the very descriptor that would be read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno in (errno.ENXIO, errno.EOPNOTSUPP):  # a socket (or a device with nothing behind it)
            raise _refuse("input_not_regular_file", "this is a socket or device, not a regular file: give a file",
                          path) from None
        if exc.errno == errno.ENOENT:
            raise _refuse("file_unreadable", "the file does not exist", path) from None
        raise _refuse("file_unreadable", f"cannot read the file: {exc.strerror or exc}", path) from None
    except ValueError as exc:  # a NUL in the path
        raise _refuse("file_unreadable", f"cannot read the file: {exc}", path) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refuse("input_not_regular_file", f"this is {_kind(mode)}, not a regular file: give a file", path)
        if flags & getattr(os, "O_NONBLOCK", 0):
            import fcntl

            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bounded(path: str | Path, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (`file_too_large` otherwise, counted
    by the bytes read: a file growing while it is read cannot slip past)."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise _refuse("file_too_large", f"the file is {size:,} bytes; at most {limit:,} are read", path)
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise _refuse("file_too_large", f"the file is larger than {limit:,} bytes; at most {limit:,} are read", path)
    return data


class BoundedReader(io.RawIOBase):
    """A binary stream that refuses to yield more than `limit` bytes in total (`file_too_large`)."""

    def __init__(self, raw: BinaryIO, limit: int, path: str | Path):
        self._raw, self._left, self._limit, self._path = raw, limit, limit, path

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._raw.read(min(len(view), self._left + 1))
        if len(data) > self._left:
            raise _refuse("file_too_large", f"the file is larger than {self._limit:,} bytes; at most "
                          f"{self._limit:,} are read", self._path)
        self._left -= len(data)
        view[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self._raw.close()
        super().close()


# ----------------------------------------------------------------------------- outputs


def check_output_file(out: str | Path, *, code: str, option: str = "--out",
                      inputs: tuple[str | Path, ...] = ()) -> None:
    """Refuse an output file path before any work starts (exit 2 with `code`, nothing written): its folder
    missing or not a folder, read-only, the path a folder or something other than a regular file,
    or one of the `inputs` (the results would overwrite the figures they come from)."""
    out = Path(out)
    where = str(out)

    def fail(message: str) -> InputError:
        return _refuse(code, message, where, option)

    parent = out.parent
    if not parent.exists():
        raise fail(f"the folder {str(parent)!r} does not exist: create it first")
    if not parent.is_dir():
        raise fail(f"{str(parent)!r} is a file, not a folder")
    if out.is_dir():
        raise fail(f"{where!r} is a folder: give a file name inside it")
    if out.exists() or out.is_symlink():
        try:
            info = out.stat()
        except OSError:
            raise fail(f"{where!r} is a broken link") from None
        if not stat.S_ISREG(info.st_mode):
            raise fail(f"{where!r} is {_kind(info.st_mode)}: give a regular file name")
        for source in inputs:
            with contextlib.suppress(OSError):
                if os.path.samefile(out, source):
                    raise fail("this is the input file: the results would overwrite the communes' "
                               "figures; give another name")
    _check_writable(parent, fail)


def check_output_folder(out: str | Path, *, code: str, option: str = "--out") -> None:
    """Refuse an output folder path before any work starts: a file in place of the folder (or of
    a folder above it), or a folder that cannot be written; folders that do not exist yet are made
    later, under the nearest existing one."""
    out = Path(out)
    where = str(out)

    def fail(message: str) -> InputError:
        return _refuse(code, message, where, option)

    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise fail(f"{str(existing)!r} is a file, not a folder")
    _check_writable(existing, fail)


def _check_writable(folder: Path, fail: Callable[[str], InputError]) -> None:
    """Really try: permission bits say nothing for root, nor for a read-only file system."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".ntmcert-probe-", dir=folder)
    except OSError as exc:
        raise fail(f"cannot write in the folder {str(folder)!r}: "
                   f"{exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(probe)


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path beside `target`, moved onto it (os.replace) only when the block ends
    without an exception: an interrupted run leaves no half-written output."""
    target = Path(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix or ".tmp", dir=target.parent)
    os.close(fd)
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # the permissions an ordinary new file would have
        yield Path(tmp)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


__all__ = ["BoundedReader", "atomic_path", "check_output_file", "check_output_folder", "open_regular",
           "read_bounded"]
