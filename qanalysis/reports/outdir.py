"""The batch's output folder: checked, locked to one batch at a time, swept of dead leftovers.

Standard library only (the batch parent stays light). The lock is an
``fcntl.flock`` on ``<out>/.qanalysis-batch.lock``: the kernel releases it when
its holder dies however it dies, so a lock file left by a killed batch is
*stale* and is taken over; the file holds the holder's PID and start time so a
second batch can say whom it is waiting for.
"""
from __future__ import annotations

import contextlib
import errno
import json
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

from .. import config
from ..atomic import pid_alive, remove_leftovers
from ..errors import BusyError, UsageError
from .jobs import IPC_PREFIX, now

LOCK_NAME = ".qanalysis-batch.lock"


def check_out_dir(out_dir: str | os.PathLike) -> Path:
    """The output folder, created if missing; a :class:`UsageError` (one line) if it cannot be.

    Refused: a file, a path under a file, a folder inside data/ (raw, processed,
    deliveries), a folder that cannot be created or written. Whether it can be written is finally proven by creating the lock
    file in it (:class:`BatchLock`): as root ``os.access`` says yes to nearly
    everything, a read-only file system still refuses.
    """
    raw = str(out_dir)
    path = Path(out_dir).expanduser().absolute()
    data = Path(config.DATA_DIR).resolve()
    if path.resolve() == data or data in path.resolve().parents:
        # prepare rebuilds data/processed whole and reads data/raw (deliveries too) as input
        raise UsageError(f"--out {raw}: inside the data folder {data}, whose files prepare replaces or "
                         "reads as input; write reports elsewhere (default out/)")
    for p in [path, *path.parents]:
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                what = "is" if p == path else f"is under {p}, which is"
                raise UsageError(f"--out {raw}: {what} a file, not a folder")
            break
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--out {raw}: cannot create the folder: {_reason(exc)}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"--out {raw}: the folder is not writable by this user")
    return path.resolve()


def _reason(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else str(exc)


class BatchLock:
    """One batch per output folder. ``acquire()`` returns the stale holder taken over, if any."""

    def __init__(self, out_dir: Path, label: str = "--out") -> None:
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / LOCK_NAME
        self.label = label
        self.fd: int | None = None

    def acquire(self) -> dict | None:
        import fcntl  # POSIX only: imported where the lock is taken

        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise UsageError(f"{self.label} {self.out_dir}: cannot write in the folder "
                                 f"({_reason(exc)})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _read_holder(fd, wait=True)
                os.close(fd)
                if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                    raise UsageError(f"{self.label} {self.out_dir}: cannot lock the folder "
                                     f"({_reason(exc)})") from None
                raise BusyError(f"{self.label} {self.out_dir} is in use by another report batch "
                                f"({_describe(holder)}); wait for it to end or choose another "
                                f"{self.label}") from None
            # A batch that finishes unlinks the file: ours must still be the one at the path.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        stale = _read_holder(fd)
        me = {"pid": os.getpid(), "started": now(), "host": platform.node()}
        data = json.dumps(me).encode()
        os.ftruncate(fd, 0)
        os.pwrite(fd, data, 0)
        self.fd = fd
        return stale or None

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)  # while still holding it: a waiter re-checks the inode
        os.close(self.fd)
        self.fd = None


def _read_holder(fd: int, wait: bool = False) -> dict:
    """What the lock file says (a starting holder may not have written it yet)."""
    for _ in range(10 if wait else 1):
        try:
            raw = os.pread(fd, 4096, 0)
            if raw:
                return json.loads(raw.decode("utf-8", "replace"))
        except (OSError, ValueError):
            pass
        if wait:
            time.sleep(0.05)
    return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "PID unknown, just starting"
    host = holder.get("host")
    where = f" on {host}" if host and host != platform.node() else ""
    return f"PID {holder.get('pid', '?')}{where}, started {holder.get('started', '?')}"


def describe_stale(holder: dict) -> str:
    # The lock was free: the kernel released it when its holder ended, however it ended.
    return f"took over the lock left by a batch that is gone ({_describe(holder)})"


def sweep_dead(out_dir: Path) -> list[str]:
    """Remove what killed batches left: temporary report folders in ``out_dir`` and
    ``_failed/``, and workers' private folders in the temp dir, each only when the
    PID that owns it (in its name) is no longer alive. Returns what was removed."""
    removed = [str(out_dir / n) for n in remove_leftovers(out_dir)]
    removed += [str(out_dir / "_failed" / n) for n in remove_leftovers(out_dir / "_failed")]
    tmp = Path(tempfile.gettempdir())
    try:
        candidates = list(tmp.glob(IPC_PREFIX + "*"))
    except OSError:
        candidates = []
    for p in candidates:
        pid = p.name[len(IPC_PREFIX):].split("-", 1)[0]
        try:
            mine = p.is_dir() and p.stat().st_uid == os.getuid()
        except OSError:
            continue
        if mine and pid.isdigit() and not pid_alive(int(pid)):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(str(p))
    return removed
