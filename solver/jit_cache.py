"""Recovering the DOLFINx/FFCx form cache after a compilation was killed.

FFCx compiles a form into ``<cache_dir>/<module>.c`` (created empty and exclusively as a
lock, then filled), builds the extension next to it and marks it complete with
``<module>.c.cached``. A process killed in between leaves the ``.c`` file without its
``.cached`` mark; every later process then waits for a mark that never comes and fails
with "JIT compilation timed out" until the file is deleted by hand. The opposite state, a
``.cached`` mark whose ``.c`` is gone (FFCx renames a failed compilation's ``.c`` to
``.c.failed``), fails too: FFCx creates the ``.c`` again, compiles, and then cannot create
the mark ("File exists"); such a mark and the module's build products are removed.

Each ``dendrite`` process holds a shared ``flock`` on ``<cache_dir>/.dendrite.lock`` for
its lifetime (released by the kernel on any exit, SIGKILL included). At start, rank 0
tries the exclusive lock: when it gets it, no other ``dendrite`` process is compiling,
so every unmarked ``.c`` file is an orphan and is removed. When other processes hold
the lock, only orphans older than ``STALE_SECONDS`` (far longer than any compilation
here, which takes seconds) are removed. The cache directory is DOLFINx's
(``dolfinx.jit.get_options()["cache_dir"]``: ``~/.cache/fenics`` or under
``XDG_CACHE_HOME``).
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

__all__ = ["recover_jit_cache", "orphans", "stale_marks", "STALE_SECONDS"]

STALE_SECONDS = 600.0
_held: list = []  # the open lock file of this process (kept open: the shared lock lives with it)


def cache_dir() -> Path:
    import solver  # noqa: F401  (dolfinx_solver before dolfinx)
    from dolfinx.jit import get_options

    return Path(get_options()["cache_dir"]).expanduser()


def orphans(folder: Path, older_than: float = 0.0) -> list[Path]:
    """``.c`` files in ``folder`` without their ``.c.cached`` mark, last modified over ``older_than`` s ago."""
    now = time.time()
    found = []
    with contextlib.suppress(OSError):
        for c_file in folder.glob("*.c"):
            with contextlib.suppress(OSError):
                if not c_file.with_suffix(".c.cached").exists() and now - c_file.stat().st_mtime >= older_than:
                    found.append(c_file)
    return found


def stale_marks(folder: Path, older_than: float = 0.0) -> list[Path]:
    """``.c.cached`` marks in ``folder`` whose ``.c`` is gone, last modified over ``older_than`` s ago."""
    now = time.time()
    found = []
    with contextlib.suppress(OSError):
        for mark in folder.glob("*.c.cached"):
            with contextlib.suppress(OSError):
                if not mark.with_suffix("").exists() and now - mark.stat().st_mtime >= older_than:
                    found.append(mark)
    return found


def _module_files(mark: Path) -> list[Path]:
    """The mark and the build products of its module (``.so``, ``.o``, ``.c.failed``)."""
    stem = mark.name[: -len(".c.cached")]
    return [mark, *(p for p in mark.parent.glob(stem + ".*") if p != mark)]


def _lock(folder: Path, exclusive: bool):
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / ".dendrite.lock", "a")
    try:
        fcntl.flock(handle, (fcntl.LOCK_EX | fcntl.LOCK_NB) if exclusive else fcntl.LOCK_SH)
    except OSError:
        handle.close()
        return None
    return handle


def recover_jit_cache(comm=None, folder: Path | None = None) -> list[Path]:
    """Remove orphaned partial compilations (rank 0), then hold the shared lock (every rank).

    Returns the removed files. Never fails a run: a cache that cannot be inspected is
    left to FFCx.
    """
    import fcntl

    removed = []
    try:
        folder = Path(folder) if folder is not None else cache_dir()
        if comm is None or comm.rank == 0:
            exclusive = _lock(folder, exclusive=True)
            age = 0.0 if exclusive else STALE_SECONDS
            broken = orphans(folder, age) + [p for mark in stale_marks(folder, age) for p in _module_files(mark)]
            for path in broken:
                with contextlib.suppress(OSError):
                    path.unlink()
                    removed.append(path)
            if exclusive is not None:
                fcntl.flock(exclusive, fcntl.LOCK_SH)  # downgrade: this process may compile now
                _held.append(exclusive)
        if comm is not None:
            comm.barrier()
        if comm is not None and comm.rank != 0 or not _held:
            handle = _lock(folder, exclusive=False)
            if handle is not None:
                _held.append(handle)
    except OSError:
        pass
    return removed
