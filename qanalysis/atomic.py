"""Atomic writes: a reader sees the old file or the new one, never half of one.

Write to a temporary file in the same folder, flush and fsync, then
``os.replace`` — atomic on POSIX and Windows within one file system.

Temporary names carry the writer's PID (``.NAME.tmp-PID-XXXX``, ``.NAME.old-PID``)
so that what a killed writer left can be proven dead and removed later
(:func:`remove_leftovers`).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Callable, Iterator


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _tmp_prefix(target: Path) -> str:
    return f".{target.name}.tmp-{os.getpid()}-"


# .NAME.tmp-PID-XXXX (a file or folder being written) or .NAME.old-PID (a folder being replaced)
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.(?P<what>tmp|old)-(?P<pid>[0-9]+)(?:-.*)?$")


def pid_alive(pid: int) -> bool:
    """True unless ``pid`` is certainly not a running process (errs on the side of alive)."""
    if pid <= 0:
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: someone else's live process
        return True
    return True


def remove_leftovers(folder: str | os.PathLike, pids: set[int] | None = None,
                     name: str | None = None) -> list[str]:
    """Remove what killed atomic writers left in ``folder``; return the names removed.

    A leftover is removed only when its writer is proven gone: its PID (in the
    name) is not alive, or is one of ``pids`` (writers the caller just killed or
    is itself). ``name`` limits it to one target. A folder half-way through
    :func:`atomic_dir`'s swap (the old one moved aside, the new one not yet in
    place) is restored rather than removed.
    """
    folder = Path(folder)
    removed: list[str] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for p in entries:
        m = _LEFTOVER.match(p.name)
        if not m or (name is not None and m["name"] != name):
            continue
        pid = int(m["pid"])
        if not (pid in pids if pids is not None else not pid_alive(pid)):
            continue
        target = folder / m["name"]
        try:
            if m["what"] == "old" and not target.exists():
                os.replace(p, target)  # killed between the two renames of atomic_dir
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
            removed.append(p.name)
        except FileNotFoundError:
            pass
    return removed


def _usual_mode(path: Path, directory: bool = False) -> None:
    """mkstemp/mkdtemp make 0600/0700; give what open()/mkdir() would (0666/0777 less umask)."""
    os.chmod(path, (0o777 if directory else 0o666) & ~_umask())


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success move it into place.

    On any exception the temporary file is removed and ``target`` is untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=_tmp_prefix(target), suffix=suffix or (target.suffix + ".tmp"), dir=target.parent
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as fh:
            os.fsync(fh.fileno())
        _usual_mode(tmp_path)
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_bytes(target: str | os.PathLike, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def write_text(target: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    write_bytes(target, text.encode(encoding))


def write_with(target: str | os.PathLike, writer: Callable[[Path], object]) -> None:
    """Call ``writer(tmp_path)`` and move the result into place atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)


def write_csv(df, target: str | os.PathLike, **kwargs) -> None:
    """A DataFrame as UTF-8 CSV, atomically."""
    kwargs.setdefault("index", False)
    write_with(target, lambda p: df.to_csv(p, **kwargs))


@contextlib.contextmanager
def atomic_dir(target: str | os.PathLike) -> Iterator[Path]:
    """Build a whole folder beside ``target`` and swap it in at the end.

    The old folder, if any, is kept until the new one is in place, then removed.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(target), dir=target.parent))
    try:
        yield tmp
        _usual_mode(tmp, directory=True)
        old = None
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            os.replace(target, old)
        os.replace(tmp, target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


LOCK_WAIT_SECONDS = 600  # how long a second writer waits for the first (QANALYSIS_LOCK_WAIT overrides)


@contextlib.contextmanager
def exclusive(lock_file: str | os.PathLike, what: str) -> Iterator[None]:
    """Hold an exclusive lock (``fcntl.flock``) on ``lock_file`` for the block.

    One writer at a time: a second process waits, saying once on stderr that it
    does, and after ``QANALYSIS_LOCK_WAIT`` seconds (default :data:`LOCK_WAIT_SECONDS`)
    gives up with one line. The lock goes with the process: a killed holder frees it.
    The file holds the holder's PID, for the message only. Re-entrant in one process.
    """
    # POSIX only (fcntl); imported here so the rest of this module stays portable
    import fcntl
    import sys
    import time

    from .errors import QAnalysisError  # errors is ground floor too; kept out of atomic's import time

    lock_file = Path(lock_file)
    key = str(lock_file.resolve()) if lock_file.exists() else str(lock_file.absolute())
    if key in _HELD:
        yield
        return
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    try:
        wait = float(os.environ.get("QANALYSIS_LOCK_WAIT", LOCK_WAIT_SECONDS))
        end, told = time.monotonic() + wait, False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "?"
                if time.monotonic() >= end:
                    raise QAnalysisError(f"{what} is being written by another qanalysis process (PID {holder}); "
                                         f"waited {wait:.0f} s — try again when it has finished") from None
                if not told:
                    print(f"waiting: {what} is being written by another qanalysis process (PID {holder}) …",
                          file=sys.stderr, flush=True)
                    told = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)  # closing releases the lock


_HELD: set[str] = set()
