"""Fault injection (tests/system/fuzz/inject.py): errors, signals and full disks at every phase of a
run, serial and under ``mpiexec -n 2`` (on one rank only), end with one line, the right
exit code, no process left and no result folder that is not complete, no hidden partial
folder either (also after SIGKILL: the next run then writes a complete folder).

The default run has a smoke subset (an error while solving, an error on one MPI rank only
while the case is read); the phase-by-phase matrix, kills during ``--overwrite`` and JIT
compilation, full and read-only disks and the interrupted-and-resumed sweep are slow.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.support import BASE

ROOT = Path(__file__).resolve().parents[2]
MPIEXEC = Path(sys.executable).with_name("mpiexec")
PHASES = ["meshing", "compiling", "solving", "post-processing", "summary"]
GRACE = "3"  # seconds a failing rank waits for the others (10 by default)
ENDS_WITHIN = 90  # s: startup and a small solve on a loaded 2-core machine, plus the grace


def _case(folder: Path, **outputs) -> Path:
    raw = copy.deepcopy(BASE)
    raw["outputs"] = {"directory": str(folder / "results"), "mesh_cache": str(folder / "meshes"), "png": False,
                      **outputs}
    path = folder / "case.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _run(folder: Path, fault: tuple[str, str, str] | None, args: list[str], ranks: int = 1, env=None):
    """(exit code, stderr, seconds) of the command line with ``fault`` (kind, phase, rank) planted."""
    command = [sys.executable, "-m", "tests.system.fuzz.inject", *fault, "--", *args] if fault else \
        [sys.executable, "-m", "solver", *args]
    if ranks > 1:
        command = [str(MPIEXEC), "-n", str(ranks), *command]
    environment = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1", UCX_TLS="self,sm,tcp",
                       ERROR_GRACE=GRACE, **(env or {}))
    t0 = time.monotonic()
    done = subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True,
                          timeout=ENDS_WITHIN + 60)
    return done.returncode, done.stderr, time.monotonic() - t0


def _our_lines(stderr: str) -> list[str]:
    """stderr without the MPI launcher's own report of a killed process."""
    return [ln for ln in stderr.splitlines() if ln.startswith(("error:", "interrupted:", "internal error"))]


def _left_processes(folder: Path) -> list[str]:
    left = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if str(folder) in text and "pytest" not in text:
            left.append(text.replace("\0", " "))
    return left


def _folders(folder: Path) -> tuple[list[str], list[str]]:
    results = folder / "results"
    names = sorted(p.name for p in results.iterdir()) if results.exists() else []
    return [n for n in names if not n.startswith(".")], [n for n in names if n.startswith(".")]


def _hidden_after(folder: Path, seconds: float = 10) -> list[str]:
    """The hidden entries of the results folder once they are gone, or after ``seconds``
    (a killed run's watcher process removes its partial folder right after the kill)."""
    deadline = time.monotonic() + seconds
    while _folders(folder)[1] and time.monotonic() < deadline:
        time.sleep(0.05)
    return _folders(folder)[1]


def _assert_clean_end(folder, code, stderr, seconds, expected_code, expected_start):
    assert seconds < ENDS_WITHIN, f"took {seconds:.0f} s"
    lines = _our_lines(stderr)
    assert "Traceback" not in stderr
    if expected_start:
        assert len(lines) == 1 and lines[0].startswith(expected_start), stderr[-600:]
    assert code == expected_code, (code, stderr[-600:])
    visible, _ = _folders(folder)
    assert visible == [], visible  # nothing that looks like a result
    assert _hidden_after(folder) == []  # no partial folder, also after SIGKILL
    time.sleep(0.5)
    assert _left_processes(folder) == []


def _assert_next_run_complete(folder: Path, ranks: int = 1) -> None:
    """The run after a kill succeeds with one complete, verifiable folder and nothing hidden."""
    from solver.io.result_folder import verify_checksums

    code, err, _ = _run(folder, None, ["run", str(folder / "case.yaml")], ranks=ranks)
    assert code == 0, err[-600:]
    visible, hidden = _folders(folder)
    assert len(visible) == 1 and hidden == [], (visible, hidden)
    assert verify_checksums(folder / "results" / visible[0]) == []


# ---- smoke subset (default run) -----------------------------------------------------

def test_error_while_solving_serial(tmp_path):
    code, err, seconds = _run(tmp_path, ("error", "solving", "0"), ["run", str(_case(tmp_path))])
    _assert_clean_end(tmp_path, code, err, seconds, 2, "error: fault: injected")


def test_error_on_one_rank_only_ends_the_job(tmp_path):
    if not MPIEXEC.exists():
        pytest.skip("no mpiexec")
    code, err, seconds = _run(tmp_path, ("error", "load", "1"), ["run", str(_case(tmp_path))], ranks=2)
    _assert_clean_end(tmp_path, code, err, seconds, 2, "error: fault: injected")


# ---- the full matrix (slow) ---------------------------------------------------------

EXPECTED = {"error": (2, "error: fault: injected"), "sigint": (130, "interrupted:"),
            "enospc": (3, "error: injected: cannot write"), "internal": (1, "internal error")}


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["error", "sigint", "sigkill", "enospc", "internal"])
@pytest.mark.parametrize("phase", PHASES)
def test_serial_fault_at_every_phase(tmp_path, phase, kind):
    code, err, seconds = _run(tmp_path, (kind, phase, "0"), ["run", str(_case(tmp_path))])
    if kind == "sigkill":  # no handler runs: the watcher removes the partial folder
        _assert_clean_end(tmp_path, code, err, seconds, -9, None)
        _assert_next_run_complete(tmp_path)
        return
    _assert_clean_end(tmp_path, code, err, seconds, *EXPECTED[kind])


@pytest.mark.slow
@pytest.mark.parametrize("rank", ["0", "1"])
@pytest.mark.parametrize("kind", ["error", "sigint", "sigkill", "enospc"])
@pytest.mark.parametrize("phase", ["load", *PHASES])
def test_mpi_fault_on_one_rank_at_every_phase(tmp_path, phase, kind, rank):
    if not MPIEXEC.exists():
        pytest.skip("no mpiexec")
    if kind == "enospc" and phase == "load":
        pytest.skip("reading writes nothing")
    if phase == "summary" and rank == "1":
        pytest.skip("only rank 0 writes summary.json")
    code, err, seconds = _run(tmp_path, (kind, phase, rank), ["run", str(_case(tmp_path))], ranks=2)
    if kind == "sigkill":  # the launcher kills the other rank; rank 0's watcher removes the partial
        _assert_clean_end(tmp_path, code, err, seconds, code if code != 0 else -1, None)
        _assert_next_run_complete(tmp_path, ranks=2)
        return
    expected_code, start = EXPECTED[kind]
    _assert_clean_end(tmp_path, code, err, seconds, expected_code, start)


@pytest.mark.slow
def test_kill_between_overwrite_renames_loses_nothing(tmp_path):
    from solver.io.result_folder import verify_checksums

    case, out = _case(tmp_path), tmp_path / "results" / "out"
    assert _run(tmp_path, None, ["run", str(case), "--out", str(out)])[0] == 0
    code, _, _ = _run(tmp_path, ("sigkill", "renames", "0"), ["run", str(case), "--out", str(out), "--overwrite"])
    assert code == -9 and not out.exists()  # killed between the renames (no atomic exchange here)
    _run(tmp_path, None, ["clean", str(tmp_path / "results")])
    assert out.exists() and verify_checksums(out) == []  # the old result is back, complete
    assert _folders(tmp_path) == (["out"], [])


@pytest.mark.slow
def test_kill_during_jit_compilation_does_not_poison_the_cache(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "xdg")}
    case = _case(tmp_path, mesh_cache=None)
    code, _, _ = _run(tmp_path, ("sigkill", "jit", "0"), ["run", str(case)], env=env)
    assert code == -9
    orphans = [c for c in (tmp_path / "xdg" / "fenics").glob("*.c") if not c.with_suffix(".c.cached").exists()]
    assert orphans  # what used to make every later run time out
    code, err, _ = _run(tmp_path, None, ["run", str(case)], env=env)
    assert code == 0, err[-400:]


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
@pytest.mark.parametrize("kind, expected", [("enospc", 3), ("erofs", 2), ("eacces", 2)])
def test_unwritable_outputs_give_one_keyed_line(tmp_path, kind, expected, ranks):
    if ranks > 1 and not MPIEXEC.exists():
        pytest.skip("no mpiexec")
    code, err, seconds = _run(tmp_path, (kind, "summary", "0"), ["run", str(_case(tmp_path))], ranks=ranks)
    _assert_clean_end(tmp_path, code, err, seconds, expected, "error: injected: cannot write")


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
def test_interrupted_sweep_resumes_to_the_uninterrupted_answer(tmp_path, ranks):
    if ranks > 1 and not MPIEXEC.exists():
        pytest.skip("no mpiexec")
    case = _case(tmp_path)
    sweep = ["sweep", str(case), "--param", "electrochemistry.applied_current_density",
             "--values", "0.5 mA/cm^2, 1 mA/cm^2, 2 mA/cm^2"]
    code, err, _ = _run(tmp_path, ("sigint", "point:1", "0"), [*sweep, "--out", "interrupted"], ranks=ranks)
    assert code == 130 and "interrupted" in err and "failed" not in err
    points = tmp_path / "interrupted" / "points"
    records = [json.loads(p.read_text()) for p in sorted(points.glob("[0-9]*.json"))]
    assert [r["index"] for r in records] == [0] and records[0]["status"] == "ok"  # Ctrl-C is not a failure
    assert _run(tmp_path, None, [*sweep, "--out", "interrupted"], ranks=ranks)[0] == 0
    assert _run(tmp_path, None, [*sweep, "--out", "straight"], ranks=ranks)[0] == 0
    for name in ("0000.json", "0001.json", "0002.json"):
        a, b = (json.loads((tmp_path / d / "points" / name).read_text()) for d in ("interrupted", "straight"))
        # same mesh (cache), same solver: equal to the Newton tolerance (newton_rtol 1e-10)
        assert a["metrics"]["focusing_factor"] == pytest.approx(b["metrics"]["focusing_factor"], rel=1e-8)
    shutil.rmtree(tmp_path / "straight")


def _reaped_pid() -> int:
    """The number of a process that has ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_clean_removes_the_temporary_files_of_killed_sweeps_only(tmp_path):
    from solver.io.partials import _host, temporary_name
    from solver.io.result_folder import clean

    sweep = tmp_path / "sweep-a"
    (sweep / "points").mkdir(parents=True)
    (sweep / "sweep.json").write_text("{}")
    (sweep / "points" / "0000.json").write_text("{}")
    dead = _reaped_pid()
    stale = [sweep / "points" / ".0001.json.tmp",  # the older name, no owner
             sweep / "points" / f".0002.json.{dead}.0.{_host()}.tmp", sweep / f".results.csv.{dead}.tmp"]
    kept = [sweep / "points" / temporary_name("0003.json"),  # this process: alive, still writing
            sweep / "points" / f".0004.json.{dead}.0.00000000.tmp"]  # another host: cannot be checked
    for path in stale + kept:
        path.write_text('{"index": ')
    assert sorted(clean(tmp_path)) == sorted(stale)
    assert all(p.exists() for p in kept) and (sweep / "points" / "0000.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
def test_a_sweep_killed_while_writing_a_point_leaves_no_temporary_file_after_its_resume(tmp_path, ranks):
    if ranks > 1 and not MPIEXEC.exists():
        pytest.skip("no mpiexec")
    from solver.io.partials import _host

    sweep = ["sweep", str(_case(tmp_path)), "--param", "electrochemistry.applied_current_density",
             "--values", "0.5 mA/cm^2, 1 mA/cm^2", "--out", "killed"]
    code, _, _ = _run(tmp_path, ("sigkill", "pointfile:1", "0"), sweep, ranks=ranks)
    assert code != 0
    points = tmp_path / "killed" / "points"
    assert [p.name for p in points.glob("[0-9]*.json")] == ["0000.json"]  # half a file is no point
    for _ in range(100):  # the watcher removes the killed process's temporary file (milliseconds)
        if not list(points.glob(".*.tmp")):
            break
        time.sleep(0.1)
    assert not list(points.glob(".*.tmp"))
    # where no watcher could run (the machine went down): the resume removes what is left
    (points / ".0001.json.tmp").write_text('{"index": ')
    (points / f".0001.json.{_reaped_pid()}.0.{_host()}.tmp").write_text('{"index": ')
    assert _run(tmp_path, None, sweep, ranks=ranks)[0] == 0
    assert not list((tmp_path / "killed").rglob(".*.tmp"))
    records = [json.loads(p.read_text()) for p in sorted(points.glob("[0-9]*.json"))]
    assert [(r["index"], r["status"]) for r in records] == [(0, "ok"), (1, "ok")]
