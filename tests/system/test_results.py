"""Result folders appear only when complete, never collide, and carry verifiable checksums."""

from __future__ import annotations

import copy
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
from solver.io import partials
from solver.io import result_folder as results
from solver.config.case import parse_case
from solver.errors import CaseError
from solver.io.result_folder import clean, run_folder, verify_checksums
from tests.support import BASE, ROOT, shared_tmp

PY = sys.executable


def visible(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if not p.name.startswith(".")) if parent.exists() else []


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith(".")) if parent.exists() else []


@pytest.mark.mpi
def test_complete_folder_with_checksums(tmp_path_factory):
    parent = shared_tmp(tmp_path_factory)
    with run_folder("ok", parent) as folder:
        if MPI.COMM_WORLD.rank == 0:
            (folder / "a.txt").write_text("alpha")
            (folder / "sub").mkdir()
            (folder / "sub" / "b.bin").write_bytes(b"\x00\x01")
        assert not visible(parent)  # nothing visible while writing
    assert folder.final.parent == parent and folder.final.name.startswith("ok-")
    MPI.COMM_WORLD.barrier()
    assert verify_checksums(folder.final) == []
    MPI.COMM_WORLD.barrier()
    if MPI.COMM_WORLD.rank == 0:
        (folder.final / "a.txt").write_text("tampered")
        (folder.final / "extra.txt").write_text("unlisted")
        assert verify_checksums(folder.final) == ["a.txt", "extra.txt"]


@pytest.mark.mpi
@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_error_while_writing_leaves_nothing(tmp_path_factory, error):
    parent = shared_tmp(tmp_path_factory)
    with pytest.raises(type(error)):
        with run_folder("broken", parent) as folder:
            (folder / f"part{MPI.COMM_WORLD.rank}.txt").write_text("half")
            raise error
    MPI.COMM_WORLD.barrier()
    assert visible(parent) == [] and hidden(parent) == []


def test_out_refused_when_it_exists_unless_overwrite(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(CaseError, match=r"^--out: .* exists; choose another folder or pass --overwrite$"):
        with run_folder("x", tmp_path, out=out):
            raise AssertionError("must not start")
    assert (out / "old.txt").exists()
    with run_folder("x", tmp_path, out=out, overwrite=True) as folder:
        (folder / "new.txt").write_text("new")
    assert sorted(p.name for p in out.iterdir()) == ["checksums.sha256", "new.txt"]
    assert hidden(tmp_path) == []


def test_out_taken_meanwhile_is_not_replaced(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(CaseError, match="written by another run meanwhile"):
        with run_folder("x", tmp_path, out=out) as folder:
            out.mkdir()
            (out / "theirs.txt").write_text("theirs")
            (folder / "mine.txt").write_text("mine")
    assert sorted(p.name for p in out.iterdir()) == ["theirs.txt"]
    assert hidden(tmp_path) == []


def test_same_name_same_second_gets_distinct_folders(tmp_path, monkeypatch):
    class Frozen(results._dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5)

    monkeypatch.setattr(results._dt, "datetime", Frozen)
    finals = []
    for i in range(3):
        with run_folder("same", tmp_path) as folder:
            (folder / "i.txt").write_text(str(i))
        finals.append(folder.final.name)
    assert finals == ["same-20260102-030405", "same-20260102-030405-2", "same-20260102-030405-3"]
    assert [(tmp_path / f / "i.txt").read_text() for f in finals] == ["0", "1", "2"]


WRITER = textwrap.dedent("""
    import signal, sys, time
    # Ctrl-C as in a terminal: a test run started in the background (`make test &`, nohup)
    # inherits SIGINT ignored, and Python then installs no KeyboardInterrupt handler
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import solver
    from solver.io.result_folder import run_folder
    parent, tag, finish_at, hang = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4] == "hang"
    with run_folder("same", parent) as folder:
        (folder / "who.txt").write_text(tag)
        print("writing", flush=True)
        time.sleep(600 if hang else max(0.0, finish_at - time.time()))
""")


def test_concurrent_processes_never_share_a_folder(tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    parent = tmp_path / "results"
    finish_at = time.time() + 8  # both rename within milliseconds of each other
    procs = [subprocess.Popen([PY, str(script), str(parent), tag, str(finish_at), "no"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for tag in ("A", "B")]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    folders = visible(parent)
    assert len(folders) == 2, folders
    assert sorted((parent / f / "who.txt").read_text() for f in folders) == ["A", "B"]
    assert hidden(parent) == []


def _start_hanging_writer(tmp_path) -> tuple[subprocess.Popen, Path]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    parent = tmp_path / "results"
    proc = subprocess.Popen([PY, str(script), str(parent), "A", "0", "hang"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    assert len(hidden(parent)) == 1 and hidden(parent)[0].endswith(".partial")
    return proc, parent


def test_sigint_while_writing_removes_the_partial_folder(tmp_path):
    proc, parent = _start_hanging_writer(tmp_path)
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert visible(parent) == [] and hidden(parent) == []


def _gone_within(parent: Path, seconds: float) -> bool:
    """True once ``parent`` holds no hidden entry (the watcher works right after the kill)."""
    deadline = time.monotonic() + seconds
    while hidden(parent) and time.monotonic() < deadline:
        time.sleep(0.05)
    return hidden(parent) == []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL])
def test_a_killed_writer_leaves_no_partial_folder(tmp_path, sig):
    proc, parent = _start_hanging_writer(tmp_path)
    assert clean(parent) == []  # its writer is alive: kept
    proc.send_signal(sig)  # no handler runs: the watcher process removes the folder
    proc.wait(timeout=60)
    assert proc.returncode == -sig
    assert _gone_within(parent, 10), hidden(parent)  # milliseconds, on a loaded machine seconds
    assert visible(parent) == []


def _dead_process() -> tuple[int, int]:
    """(pid, start time) of a process that has ended."""
    proc = subprocess.Popen([PY, "-c", "import time; time.sleep(30)"])
    start = partials._start_time(proc.pid)
    proc.kill()
    proc.wait()
    return proc.pid, start


def test_a_partial_whose_owner_is_gone_is_removed_by_the_next_run(tmp_path, capsys):
    from solver.cli import main

    host = partials._host()
    pid, start = _dead_process()
    mine = partials.partial_prefix("run")  # this process: alive
    me_then = f".run-{os.getpid()}.{partials._start_time('self') + 1}.{host}-x.partial"  # pid reused since
    names = {"dead": f".run-{pid}.{start}.{host}-abc.partial", "reused": me_then,
             "alive": f"{mine}abc.partial", "elsewhere": f".run-{pid}.{start}.0123abcd-abc.partial",
             "old_name": f".run-{pid}-abc.partial"}  # no host in it: left to `dendrite clean`
    if host == "0123abcd":
        pytest.skip("this host's hash is the made-up one")
    for name in names.values():
        (tmp_path / name).mkdir()
        (tmp_path / name / "summary.json").write_text("{}")
    with run_folder("next", tmp_path) as folder:
        assert sorted(hidden(tmp_path)) == sorted([names["alive"], names["elsewhere"], names["old_name"],
                                                   folder.name])
    assert visible(tmp_path) == [folder.final.name]
    assert main(["clean", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == f"removed {tmp_path / names['old_name']}"  # its pid is gone
    assert sorted(hidden(tmp_path)) == sorted([names["alive"], names["elsewhere"]])


# --- a real run -------------------------------------------------------------------------

def small_case(directory: Path):
    raw = copy.deepcopy(BASE)
    raw["outputs"] = {"directory": str(directory), "mesh_cache": None, "png": False}
    return parse_case(raw)


def test_run_writes_a_complete_verifiable_folder(tmp_path):
    from solver.studies.run import run_case

    result = run_case(small_case(tmp_path), quiet=True)
    folder = result.folder
    assert folder.parent == tmp_path and visible(tmp_path) == [folder.name] and hidden(tmp_path) == []
    names = {p.name for p in folder.iterdir()}
    assert {"case.yaml", "case_resolved.json", "summary.json", "checksums.sha256"} <= names
    summary = json.loads((folder / "summary.json").read_text())
    assert {"python", "gmsh", "numpy"} <= set(summary["versions"]) and "dolfinx" in str(summary["versions"])
    assert summary["seeds"] == {"geometry.profile.seed": 3, "geometry.contact.seed": 1}
    resolved = json.loads((folder / "case_resolved.json").read_text())
    assert resolved["geometry_parameters"]["width"] == pytest.approx(10e-6)
    listed = {line.split("  ", 1)[1] for line in (folder / "checksums.sha256").read_text().splitlines()}
    assert listed == {str(p.relative_to(folder)) for p in folder.rglob("*")
                      if p.is_file() and p.name != "checksums.sha256"}
    assert verify_checksums(folder) == []
    if shutil.which("sha256sum"):  # the documented manual check
        subprocess.run(["sha256sum", "-c", "--quiet", "checksums.sha256"], cwd=folder, check=True)


def test_writer_failure_mid_run_leaves_no_folder(tmp_path, monkeypatch, capsys):
    import solver.io.exports
    from solver.cli import main

    def failing_writer(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(solver.io.exports, "write_interface", failing_writer)
    case = tmp_path / "case.yaml"
    raw = copy.deepcopy(BASE)
    raw["outputs"] = {"directory": str(tmp_path / "results"), "mesh_cache": None, "png": False}
    import yaml

    case.write_text(yaml.safe_dump(raw))
    assert main(["run", str(case), "--quiet"]) == 3  # out of room: a run-time failure, not a bug (exit 1)
    err = capsys.readouterr().err
    assert "No space left on device" in err and err.count("\n") == 1 and err.startswith("error: ")
    assert visible(tmp_path / "results") == [] and hidden(tmp_path / "results") == []


def test_clean_keeps_finished_folders(tmp_path):
    finished = tmp_path / "run-20260101-000000"
    finished.mkdir()
    stale = tmp_path / ".run-999999999-abc.partial"  # pid that cannot exist
    stale.mkdir()
    old = tmp_path / f".{finished.name}.old"  # an --overwrite that finished its renames
    old.mkdir()
    orphan = tmp_path / ".run-x.old"  # killed between the renames: the only copy of run-x
    orphan.mkdir()
    (orphan / "summary.json").write_text("{}")
    mine = tmp_path / f".run-{os.getpid()}-abc.partial"  # a live writer
    mine.mkdir()
    assert clean(tmp_path) == [stale, old]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([finished.name, mine.name, "run-x"])
    assert (tmp_path / "run-x" / "summary.json").exists()  # put back, not deleted


def test_the_watcher_removes_only_what_is_still_watched(tmp_path):
    """Watched: removed when the owner is killed; unwatched (finished, renamed): kept."""
    script = textwrap.dedent("""
        import os, pathlib, signal, sys
        from solver import janitor
        base = pathlib.Path(sys.argv[1])
        for name in ("partial", "finished", "file.tmp"):
            path = base / name
            path.mkdir() if "." not in name else path.write_text("x")
            janitor.watch(path)
        janitor.unwatch(base / "finished")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    done = subprocess.run([PY, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr
    deadline = time.monotonic() + 10
    while len(list(tmp_path.iterdir())) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["finished"]
