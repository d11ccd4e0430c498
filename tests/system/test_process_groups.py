"""Process groups: sweeps and comparisons split the MPI ranks into sub-communicators that run
independent points side by side, with the same answers as one group."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
import yaml
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
from solver.studies.compare import Study, compare
from solver.errors import CaseError, DendriteError
from solver.studies.parallel import process_groups, share_work
from solver.studies.sweep import run_sweep
from tests.support import CURRENT, case_in, compare_case, mpirun, needs_mpiexec, shared_tmp

COMM = MPI.COMM_WORLD
#: four points, so that every group of a 2-rank run gets two (and continues within its block)
VALUES = ["0.5 mA/cm^2", "1 mA/cm^2", "2 mA/cm^2", "3 mA/cm^2"]


@pytest.mark.parametrize("n", range(8))
@pytest.mark.parametrize("groups", [1, 2, 3, 5])
def test_share_work_cuts_consecutive_blocks_of_near_equal_length(n, groups):
    items = list(range(n))
    blocks = share_work(items, groups)
    assert len(blocks) == groups
    assert sum(blocks, []) == items  # consecutive, in order, nothing lost or repeated
    assert max(map(len, blocks)) - min(map(len, blocks)) <= 1


@pytest.mark.parametrize("groups", [0, -1, COMM.size + 1, 1.5])
def test_group_count_out_of_range_is_refused_naming_the_flag(groups):
    with pytest.raises(CaseError) as info:
        with process_groups(COMM, groups):
            pass
    assert str(info.value).startswith("--groups: expected a whole number of process groups from 1 to")
    assert f"({COMM.size})" in str(info.value)


@pytest.mark.mpi
def test_one_group_per_rank_gives_serial_sub_communicators():
    with process_groups(COMM, COMM.size) as group:
        assert (group.index, group.count, group.comm.size, group.leader) == (COMM.rank, COMM.size, 1, True)
        assert group.comm.allreduce(1) == 1  # a collective on the group involves that group only
    with process_groups(COMM, 1) as group:
        assert group.comm is COMM and group.label() == ""


def assert_same_metrics(first: list[dict], second: list[dict]) -> None:
    """Same scalar metrics point by point. The mesh is the same (one Gmsh build); the solves
    differ in the partition (1 rank or more) and in the Newton start (the previous point,
    or phi = 0 at a block's start). Newton converges to rtol ~1e-10, so 1e-7 is ample and
    still far below any physical difference between points (>= 10 % here). The charge
    balance error is round-off in both (not an answer to compare)."""
    assert len(first) == len(second)
    for a, b in zip(first, second):
        a = {k: v for k, v in a["metrics"].items() if isinstance(v, float)}
        b = {k: v for k, v in b["metrics"].items() if isinstance(v, float)}
        assert a.keys() == b.keys()
        assert max(a.pop("charge_balance_error"), b.pop("charge_balance_error")) < 1e-8
        for key in a:
            assert b[key] == pytest.approx(a[key], rel=1e-7, abs=1e-12), key


@pytest.mark.mpi
def test_sweep_in_groups_matches_one_group(tmp_path_factory):
    folder = shared_tmp(tmp_path_factory)
    together = run_sweep(case_in(folder), CURRENT, VALUES, out=folder / "together")
    apart = run_sweep(case_in(folder), CURRENT, VALUES, out=folder / "apart", groups=COMM.size)
    assert [r["status"] for r in apart.records] == ["ok"] * 4
    assert [r["index"] for r in apart.records] == [0, 1, 2, 3]
    # every group solved its own consecutive block on its own ranks ...
    assert [r["process_group"]["index"] for r in apart.records] == [i * COMM.size // 4 for i in range(4)]
    assert {r["process_group"]["ranks"] for r in apart.records} == {1}
    # ... built its mesh and forms once, and continued within the block
    assert (apart.meshes_built, apart.problems_built) == (COMM.size, COMM.size)
    assert_same_metrics(together.records, apart.records)
    if COMM.rank == 0:
        rows = list(csv.DictReader(open(folder / "apart" / "results.csv")))
        assert [r["value"] for r in rows] == VALUES
        assert len(list((folder / "apart" / "points").glob("*.json"))) == 4
        assert json.loads((folder / "apart" / "sweep.json").read_text())["process_groups"] == COMM.size


@pytest.mark.mpi
def test_sweep_resumes_in_groups_sharing_only_the_unfinished_points(tmp_path_factory):
    folder = shared_tmp(tmp_path_factory)
    out = folder / "r"
    first = run_sweep(case_in(folder), CURRENT, VALUES, out=out, groups=COMM.size)
    if COMM.rank == 0:
        for name in ("0002.json", "0003.json"):
            (out / "points" / name).unlink()
    COMM.barrier()
    seen = []
    second = run_sweep(case_in(folder), CURRENT, VALUES, out=out, groups=COMM.size, progress=seen.append)
    assert [bool(r.get("resumed")) for r in second.records] == [True, True, False, False]
    # the two unfinished points are shared out: one each on 2 ranks, both on 1
    assert [r["process_group"]["index"] for r in second.records[2:]] == [0, COMM.size - 1]
    assert second.meshes_built == COMM.size
    assert_same_metrics(first.records, second.records)
    # resumed points are reported once (rank 0), new ones by the leader of the group that solved them
    expected = {0: [0, 1, 2], 1: [3]}.get(COMM.rank, []) if COMM.size == 2 else [0, 1, 2, 3]
    assert [r["index"] for r in seen] == expected


@pytest.mark.mpi
def test_an_error_in_one_group_ends_every_rank_without_deadlock(tmp_path_factory, monkeypatch):
    import solver.studies.sweep

    folder = shared_tmp(tmp_path_factory)
    real = solver.studies.sweep.write_json

    def write_json(path, data):
        if COMM.rank == COMM.size - 1:  # the last group's leader cannot write
            raise DendriteError("disk full (injected)")
        return real(path, data)

    monkeypatch.setattr(solver.studies.sweep, "write_json", write_json)
    with pytest.raises(DendriteError, match="disk full"):
        run_sweep(case_in(folder), CURRENT, VALUES, out=folder / "fails", groups=COMM.size)


@pytest.mark.mpi
def test_compare_in_groups_matches_one_group(tmp_path_factory):
    folder = shared_tmp(tmp_path_factory)
    cases = [compare_case("primary", law="primary"), compare_case("secondary", law="butler_volmer")]
    study = Study(name="t", cases=["a", "b"], seeds=2)
    together = compare(cases, 2, folder / "together", study)
    apart = compare(cases, 2, folder / "apart", study, groups=COMM.size)
    if COMM.rank == 0:
        a = list(csv.DictReader(open(together / "metrics.csv")))
        b = list(csv.DictReader(open(apart / "metrics.csv")))
        assert [(r["case"], r["realisation"]) for r in b] == [(r["case"], r["realisation"]) for r in a]
        for ra, rb in zip(a, b):
            for key in ("focusing_factor", "counter_potential", "mean_interface_current_density"):
                assert float(rb[key]) == pytest.approx(float(ra[key]), rel=1e-7), key
        assert (apart / "current_density_side_by_side.png").stat().st_size > 10_000
        names = [sorted(p.name for p in (folder / "runs").iterdir()) for folder in (together, apart)]
        assert names[0] == names[1]


@needs_mpiexec
def test_cli_sweep_with_two_groups_under_mpiexec(tmp_path):
    raw = case_in(tmp_path).raw
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(raw))
    dendrite = str(Path(sys.executable).parent / "dendrite")
    proc = mpirun([dendrite, "sweep", "case.yaml", "--param", CURRENT, "--values", ",".join(VALUES),
                   "--out", "s", "--groups", "2"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # each point is reported once, by the group that solved it
    assert sorted(line.split(" point ")[0] for line in lines if " point " in line) == \
        ["group 1/2:", "group 1/2:", "group 2/2:", "group 2/2:"]
    assert lines[-1].startswith("sweep: 4 points, 0 failed")
    proc = mpirun([dendrite, "sweep", "case.yaml", "--param", CURRENT, "--values", VALUES[0], "--out", "t",
                   "--groups", "3"], tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: --groups: expected a whole number"), proc.stderr
    assert not (tmp_path / "t").exists()  # refused before anything is written
