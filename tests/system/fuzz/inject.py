"""Fault injection: run the ``dendrite`` command line with one fault planted at one phase.

    python -m tests.system.fuzz.inject KIND PHASE RANK -- run case.yaml --out ...

KIND: ``error`` (a CaseError), ``internal`` (a RuntimeError), ``enospc``/``erofs``/``eacces``
(an OSError), ``sigint``, ``sigterm``, ``sigkill`` (sent by the process to itself).
PHASE: ``load`` (reading the case), a stage of a run (``meshing``, ``compiling``,
``solving``, ``post-processing``, ``writing``), ``summary`` (inside the result folder,
before summary.json), ``renames`` (between the two renames of an ``--overwrite`` without
the atomic exchange), ``jit`` (inside a form compilation, after FFCx took its lock file),
``point:N`` (sweep point N), ``pointfile:N`` (while point N's file is written, half of it
in its temporary file). RANK: the MPI rank that fails (``all`` for every rank).
The fault fires once. ``ERROR_GRACE`` (environment, seconds) shortens the wait of a
failing rank for the others.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys

_fired = {"done": False}


def _fire(kind: str):
    if _fired["done"]:
        return
    _fired["done"] = True
    from solver.errors import CaseError

    if kind == "error":
        raise CaseError("fault", "injected")
    if kind == "internal":
        raise RuntimeError("injected bug")
    if kind in ("enospc", "erofs", "eacces"):
        code = getattr(errno, kind.upper())
        raise OSError(code, os.strerror(code), "injected")
    os.kill(os.getpid(), {"sigint": signal.SIGINT, "sigterm": signal.SIGTERM, "sigkill": signal.SIGKILL}[kind])
    if kind == "sigint":  # the handler runs at the next bytecode: give it one
        for _ in range(1000):
            pass


def _plant_load(kind: str) -> None:
    import solver.config.case as case_module

    real_load = case_module.load_case

    def load_case(path):
        _fire(kind)
        return real_load(path)
    case_module.load_case = load_case


def _plant_summary(kind: str) -> None:
    import solver.studies.run as run_module

    real_write = run_module.write_json

    def write_json(path, data):
        if path.name == "summary.json":
            _fire(kind)
        return real_write(path, data)
    run_module.write_json = write_json


def _plant_renames(kind: str) -> None:
    import solver.io.result_folder as folder_module

    folder_module._exchange = lambda a, b: False
    real_replace = os.replace
    calls = []

    class _Os:
        def __getattr__(self, name):
            return getattr(os, name)

        @staticmethod
        def replace(a, b):
            real_replace(a, b)
            calls.append(b)
            if len(calls) == 1:
                _fire(kind)
    folder_module.os = _Os()


def _plant_jit(kind: str) -> None:
    import ffcx.codegeneration.jit as ffcx_jit

    real_compile = ffcx_jit._compile_objects

    def compile_objects(*args, **kwargs):
        _fire(kind)
        return real_compile(*args, **kwargs)
    ffcx_jit._compile_objects = compile_objects


def _plant_point(kind: str, index: int) -> None:
    import solver.studies.sweep as sweep_module

    real_solve = sweep_module._solve_point

    def solve_point(point, state, comm):
        if point.index == index:
            _fire(kind)
        return real_solve(point, state, comm)
    sweep_module._solve_point = solve_point


def _plant_point_file(kind: str, index: int) -> None:
    import solver.studies.sweep as sweep_module

    real_write = sweep_module.write_json

    def write_json(path, data):
        if path.name.startswith(f".{index:04d}.json."):
            path.write_text('{"index": ')
            _fire(kind)
        return real_write(path, data)
    sweep_module.write_json = write_json


def _plant_stage(kind: str, phase: str) -> None:
    import solver.io.progress as progress_module

    real_stage = progress_module.Stages.stage

    @contextlib.contextmanager
    def stage(self, label, timings=None, key=None):
        with real_stage(self, label, timings, key):
            if label.startswith(phase):
                _fire(kind)
            yield
    progress_module.Stages.stage = stage


_PLANTERS = {"load": _plant_load, "summary": _plant_summary, "renames": _plant_renames, "jit": _plant_jit}


def plant(kind: str, phase: str, rank: str) -> None:
    """Arrange for the fault ``kind`` to happen at ``phase`` on ``rank`` ("all" or a number)."""
    from mpi4py import MPI

    if rank != "all" and MPI.COMM_WORLD.rank != int(rank):
        return
    if phase in _PLANTERS:
        _PLANTERS[phase](kind)
    elif phase.startswith("point:"):
        _plant_point(kind, int(phase.split(":")[1]))
    elif phase.startswith("pointfile:"):
        _plant_point_file(kind, int(phase.split(":")[1]))
    else:
        _plant_stage(kind, phase)


def main(argv: list[str]) -> int:
    kind, phase, rank, *rest = argv
    if rest[:1] == ["--"]:
        rest = rest[1:]
    import solver  # noqa: F401  (dolfinx_solver first)
    import solver.studies.parallel as parallel

    if os.environ.get("ERROR_GRACE"):
        parallel.ERROR_GRACE_SECONDS = float(os.environ["ERROR_GRACE"])
    plant(kind, phase, rank)
    from solver.cli import main as cli

    return cli(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
