"""Result folders: written in full under a temporary name, then renamed (atomic).

A run folder holds the case as given, its resolved SI form, fields (XDMF), pictures,
``summary.json`` and ``checksums.sha256`` (SHA-256 of every other file). It appears only
when complete: an interrupted run leaves at most a hidden ``.*.partial`` folder, which
later runs remove once its writer is gone (:mod:`solver.io.partials`; also ``dendrite
clean``), and which a watcher process removes at once when the writer is killed
(:mod:`solver.janitor`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import hashlib
import importlib.metadata
import json
import os
import platform
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from mpi4py import MPI

from solver.errors import CaseError, DendriteError
from solver.io.partials import is_stale, partial_prefix, remove_stale_partials, remove_stale_temporaries
from solver.lifecycle import forget_temporary, register_temporary
from solver.studies.parallel import broadcast_errors

__all__ = ["run_folder", "software_versions", "write_json", "write_checksums", "verify_checksums", "clean"]


_versions_cache: dict = {}


def software_versions(comm: MPI.Comm = MPI.COMM_WORLD) -> dict:
    """Versions of the software that produced a result (and the git commit if known).

    Computed once per process, on rank 0 of ``comm`` (no ``git`` fork on every rank), and
    broadcast (collective).
    """
    if "versions" not in _versions_cache:
        _versions_cache["versions"] = comm.bcast(_collect_versions() if comm.rank == 0 else None, root=0)
    return dict(_versions_cache["versions"])


def _collect_versions() -> dict:
    out = {"python": platform.python_version(), "platform": platform.platform()}
    for dist in ("dendrite", "fenics-dolfinx", "dolfinx-solver-real", "fenics-basix", "fenics-ffcx",
                 "fenics-ufl", "gmsh", "numpy", "petsc4py", "mpi4py", "pyvista", "pydantic", "pint", "meshio"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            out[dist] = importlib.metadata.version(dist)
    with contextlib.suppress(Exception):
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        ).stdout.strip()
        if commit:
            out["git_commit"] = commit
    return out


class _Encoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, Path):
            return str(o)
        return super().default(o)


def write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=2, cls=_Encoder, allow_nan=True) + "\n")


def write_checksums(folder: Path) -> None:
    lines = []
    for f in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != "checksums.sha256"):
        lines.append(f"{hashlib.sha256(f.read_bytes()).hexdigest()}  {f.relative_to(folder)}")
    (folder / "checksums.sha256").write_text("\n".join(lines) + "\n")


def verify_checksums(folder: str | Path) -> list[str]:
    """Files of ``folder`` whose SHA-256 differs from ``checksums.sha256`` or that are missing or unlisted."""
    folder = Path(folder)
    listed = {}
    for line in (folder / "checksums.sha256").read_text().splitlines():
        digest, _, rel = line.partition("  ")
        listed[rel] = digest
    present = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != "checksums.sha256"}
    bad = [rel for rel, digest in listed.items()
           if rel not in present or hashlib.sha256((folder / rel).read_bytes()).hexdigest() != digest]
    return sorted(bad + list(present - set(listed)))


def _claim(tmp: Path, parent: Path, name: str) -> Path:
    """Rename ``tmp`` to ``parent/name-YYYYmmdd-HHMMSS[-N]``: the first name nobody holds.

    ``os.rename`` onto an existing non-empty folder fails, so two runs finishing in the
    same second with the same name get distinct folders (no check-then-act race).
    """
    base = parent / f"{name}-{_dt.datetime.now().strftime('%Y%m%d-%H%M%S')}"
    for n in range(1, 10_000):
        final = base if n == 1 else Path(f"{base}-{n}")
        try:
            os.rename(tmp, final)
            return final
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
    raise DendriteError(f"more than 10000 result folders named {base}-N")


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _place(tmp: Path, final: Path, overwrite: bool) -> None:
    """Rename ``tmp`` to the folder ``--out`` named (swapping out the old one with overwrite).

    With overwrite the new and old folders are exchanged in one atomic step, so a kill at
    any moment leaves ``final`` complete (old or new); the old one is then deleted. Where
    the exchange is not available, the old folder is moved to ``.NAME.old`` first, and
    :func:`clean` puts it back if a kill came before the new one was in place.
    """
    if overwrite and final.exists():
        if _exchange(tmp, final):
            shutil.rmtree(tmp, ignore_errors=True)
            return
        trash = final.with_name(f".{final.name}.old")
        os.replace(final, trash)
        os.replace(tmp, final)
        shutil.rmtree(trash, ignore_errors=True)
        return
    try:
        os.rename(tmp, final)
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
            raise
        raise CaseError("--out", f"{final} was written by another run meanwhile; nothing was replaced") from None


def clean(parent: str | Path) -> list[Path]:
    """Remove what interrupted runs left in ``parent``; returns the removed paths.

    Temporary run folders name their owner (:mod:`solver.io.partials`); those of a process
    still alive on this machine, or written on another machine, are kept.
    """
    removed = []
    parent = Path(parent)
    for old in sorted(parent.glob(".*.old")):  # an --overwrite killed between its two renames
        original = old.with_name(old.name[1:-len(".old")])
        if not original.exists():
            os.rename(old, original)
    for path in sorted(parent.glob(".*.partial")) + sorted(parent.glob(".*.old")):
        if path.name.endswith(".partial") and not is_stale(path):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    # the hidden temporary files of sweeps (``parent`` or its subfolders) killed while writing
    for sweep in [parent, *sorted(parent.glob("*/"))]:
        if (sweep / "sweep.json").is_file():
            removed += remove_stale_temporaries(sweep) + remove_stale_temporaries(sweep / "points")
    return removed


@contextlib.contextmanager
def run_folder(name: str, parent: str | Path = "results", out: str | Path | None = None,
               overwrite: bool = False, comm: MPI.Comm = MPI.COMM_WORLD):
    """Yield a temporary folder (same path on all ranks); rename it into place on success.

    ``out`` names the final folder exactly (an error if it exists, unless ``overwrite``);
    otherwise the folder is ``parent/name-YYYYmmdd-HHMMSS`` (never an existing one).
    On any error the temporary folder is removed and nothing appears. On success the
    final path is stored in the yielded object's ``.final`` attribute after the block.
    """
    with broadcast_errors(comm):
        if comm.rank == 0:
            if out is not None:
                final = Path(out)
                if final.exists() and not overwrite:
                    raise CaseError("--out", f"{final} exists; choose another folder or pass --overwrite")
                parent_dir = final.parent
            else:
                parent_dir = Path(parent)
                final = None
            parent_dir.mkdir(parents=True, exist_ok=True)
            remove_stale_partials(parent_dir)  # left by runs killed before they could clean up
            tmp = Path(tempfile.mkdtemp(prefix=partial_prefix(name), suffix=".partial", dir=parent_dir))
            register_temporary(tmp)
            info = (str(tmp), str(final) if final else None)
        else:
            info = None
    tmp_s, final_s = comm.bcast(info, root=0)
    holder = _Folder(tmp_s)
    try:
        with broadcast_errors(comm):
            yield holder
        with broadcast_errors(comm):
            if comm.rank == 0:
                write_checksums(holder)
                if final_s:
                    _place(Path(holder), Path(final_s), overwrite)
                    holder.final = Path(final_s)
                else:
                    holder.final = _claim(Path(holder), Path(parent), name)
        holder.final = Path(comm.bcast(str(holder.final) if comm.rank == 0 else None, root=0))
    except BaseException:
        if comm.rank == 0:
            shutil.rmtree(tmp_s, ignore_errors=True)
        raise
    finally:
        forget_temporary(tmp_s)


class _Folder(type(Path())):
    """A Path that can also carry the final location once the run is complete."""

    final: Path | None = None
