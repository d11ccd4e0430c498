"""An error on one MPI rank ends the run on every rank, printed once, without a deadlock."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
from solver.errors import SolverError
from solver.studies.parallel import RemoteError, broadcast_errors
from tests.support import BASE, mpirun, needs_mpiexec


@pytest.mark.mpi
def test_error_on_the_last_rank_is_raised_on_every_rank():
    comm = MPI.COMM_WORLD
    last = comm.size - 1
    with pytest.raises(SolverError if comm.rank == last else RemoteError) as info:
        with broadcast_errors(comm):
            if comm.rank == last:
                raise SolverError(f"diverged on rank {last}")
    assert str(info.value) == f"diverged on rank {last}"
    assert info.value.exit_code == 3


@pytest.mark.mpi
def test_no_error_passes_through():
    with broadcast_errors(MPI.COMM_WORLD):
        value = MPI.COMM_WORLD.rank
    assert value == MPI.COMM_WORLD.rank


def assert_single_error_line(proc: subprocess.CompletedProcess, start: str, code: int) -> None:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith(start), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.returncode == code, (proc.returncode, proc.stderr)


@needs_mpiexec
def test_invalid_case_under_mpiexec(tmp_path):
    raw = dict(BASE, geometry=dict(BASE["geometry"], thickness="-1 um"))
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(raw))
    proc = mpirun([str(Path(sys.executable).parent / "dendrite"), "validate", "bad.yaml"], tmp_path)
    assert_single_error_line(proc, "error: geometry.thickness: Input should be greater than 0", 2)


RANK1_FAILS = textwrap.dedent("""
    import sys
    import solver
    from mpi4py import MPI
    from solver import cli
    from solver.errors import SolverError
    from solver.studies.parallel import broadcast_errors

    def fails_on_rank_1(args):
        with broadcast_errors(MPI.COMM_WORLD):
            if MPI.COMM_WORLD.rank == 1:
                raise SolverError("rank 1 diverged: try a smaller current")
        return 0

    cli._cmd_validate = fails_on_rank_1
    sys.exit(cli.main(["validate", "unused.yaml"]))
""")


@needs_mpiexec
def test_rank_1_only_error_is_printed_once_with_its_exit_code(tmp_path):
    (tmp_path / "script.py").write_text(RANK1_FAILS)
    proc = mpirun([sys.executable, "script.py"], tmp_path)
    assert_single_error_line(proc, "error: rank 1 diverged: try a smaller current", 3)


GMSH_FAILS = textwrap.dedent("""
    import sys
    import solver
    import meshes
    from solver import cli

    class Params(meshes.GeometryParameters):
        pass

    @meshes.register("broken", Params)
    def build(model, params, mesh):
        '''Draws a loop of a curve that does not exist.'''
        model.occ.addCurveLoop([12345])

    sys.exit(cli.main(["run", "case.yaml"]))
""")


@needs_mpiexec
def test_gmsh_failure_on_rank_0_ends_both_ranks(tmp_path):
    raw = dict(BASE, geometry={"type": "broken"}, outputs={"mesh_cache": None, "directory": "results"})
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(raw))
    (tmp_path / "script.py").write_text(GMSH_FAILS)
    proc = mpirun([sys.executable, "script.py"], tmp_path)
    assert_single_error_line(proc, "error: Gmsh could not build the geometry", 2)
    assert not (tmp_path / "results").exists()
