"""Smoke tests of the benchmark: `bench/run.py --quick` at the smallest size, the sweep in process
groups on 2 ranks, and `bench/capacity.py`.

Keeps the benchmark runnable; no timing assertions (the machine is shared and noisy).
"""

import csv
import subprocess
import sys

import pytest

from tests.support import needs_mpiexec, ROOT


@pytest.mark.slow  # runs the benchmark scripts end to end (~7 s each)
def test_bench_quick(tmp_path):
    out = tmp_path / "bench.csv"
    problems = ["potential", "plain", "bv", "elasticity"]
    try:
        import pyamg  # noqa: F401
        import skfem  # noqa: F401

        problems.append("skfem")
    except ImportError:
        pass
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--ranks", "1", "--out", str(out),
         "--repeat", "2", "--problems", *problems],
        capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    rows = list(csv.DictReader(out.open()))
    assert {row["problem"] for row in rows} == set(problems)
    qoi = {row["problem"]: float(row["qoi"]) for row in rows}
    for row in rows:
        assert int(row["dofs"]) > 1000
        assert float(row["maxrss_mb_max"]) > 0
        if row["problem"] in ("potential", "plain"):  # --repeat: the fastest of the runs is reported
            runs = [float(t) for t in row["t_solve_runs"].split()]
            assert len(runs) == 2 and float(row["t_solve"]) == pytest.approx(min(runs), abs=1e-3)
    # the tool and its peers solve the same linear problem on the same mesh
    assert qoi["plain"] == pytest.approx(qoi["potential"], rel=1e-8)
    if "skfem" in qoi:
        assert qoi["skfem"] == pytest.approx(qoi["potential"], rel=1e-6)


@needs_mpiexec
@pytest.mark.slow  # runs the benchmark scripts end to end (~7 s each)
def test_bench_sweep_in_process_groups_gives_the_sweep_answer(tmp_path):
    out = tmp_path / "bench.csv"
    r = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--ranks", "1", "2", "--out", str(out),
         "--problems", "sweep", "sweep_groups", "--sweep-points", "4"],
        capture_output=True, text=True, timeout=600,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    rows = {(row["problem"], row["ranks"]): row for row in csv.DictReader(out.open())}
    assert set(rows) == {("sweep", "1"), ("sweep", "2"), ("sweep_groups", "2")}  # no 1-rank groups row
    groups = rows["sweep_groups", "2"]
    assert groups["note"].startswith("2 groups of 1 rank(s)") and groups["load_points"] == "4"
    # the last load is solved by the second group from a cold start: the same converged answer
    # (Newton rtol 1e-10) on the same Gmsh mesh
    assert float(groups["qoi"]) == pytest.approx(float(rows["sweep", "1"]["qoi"]), rel=1e-8)
    assert int(groups["newton_its"]) >= int(rows["sweep", "1"]["newton_its"])


@needs_mpiexec
@pytest.mark.slow  # runs the benchmark scripts end to end (~7 s each)
def test_capacity_script_reports_ceiling_speedup_and_the_same_answer():
    cmd = [sys.executable, str(ROOT / "bench" / "capacity.py"), "--dofs", "3e3", "--rounds", "1"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    summary = [line for line in r.stdout.splitlines() if line.startswith("# ") and "rounds)" in line]
    assert [line.split(":")[0] for line in summary] == ["# ceiling (independent copies)", "# MPI speed-up",
                                                        "# MPI speed-up / ceiling"]
    (line,) = [line for line in r.stdout.splitlines() if line.startswith("round 1:")]
    mpi, serial = (float(x) for x in line.split("(answer ")[1].split(")")[0].split(", serial "))
    assert mpi == pytest.approx(serial, rel=1e-8)


def test_headline_table_regenerates_the_marked_readme_section(tmp_path):
    """bench/headline_table.py: one CSV row -> a Markdown row; the marked section is replaced."""
    sys.path.insert(0, str(ROOT))
    from bench.headline import COLUMNS
    from bench.headline_table import END, START, main

    row = dict.fromkeys(COLUMNS, "1.0")
    row.update(case="polycrystal_3d", ranks="1", dofs="111761", newton_its="4", krylov_its="102")
    path = tmp_path / "h.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerow(row)
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{START}\nold table\n{END}\nafter\n")
    main([str(path), "--readme", str(readme)])
    text = readme.read_text()
    assert "old table" not in text and text.startswith("before\n") and text.endswith("after\n")
    assert "| h | 111,761 | 1 |" in text and "4 / 102" in text  # the run is the CSV's name


def test_headline_targets_table_judges_each_target_from_the_rows():
    """The targets table: each ratio of the points at 1e6 DOFs and above against its limit,
    the largest point's total memory against 24 GB, and the 2-rank end-to-end speed-up
    against the capacity ceiling; a point below 5e5 DOFs does not count."""
    sys.path.insert(0, str(ROOT))
    from bench.headline_table import targets

    base = {"end_to_end_over_plain": "2.5", "mesh_over_solve": "0.1", "bv_over_linear": "1.9", "kb_per_dof": "2.0",
            "maxrss_mb_sum": "2048", "dofs": "1000000"}
    rows = [dict(base, ranks="1", t_total="30"), dict(base, ranks="2", t_total="20", bv_over_linear="2.1"),
            dict(base, ranks="1", dofs="100000", t_total="3", end_to_end_over_plain="9.0")]
    text = targets(rows, ceiling=1.8).splitlines()
    verdicts = {line.split(" | ")[0].lstrip("| "): line.rsplit(" | ", 1)[1].rstrip(" |") for line in text[2:]}
    assert verdicts["end to end <= 3x the plain DOLFINx solve"] == "met"  # the 9.0x point at 1e5 is left out
    assert verdicts["Butler-Volmer solve <= 2x linear kinetics, same mesh"] == "**not met**"
    assert verdicts["1.0e6 DOFs within the machine's 24 GB"] == "met"
    speedup = next(line for line in text if line.startswith("| 2 ranks"))
    assert "1.50x / 1.80x = 83%" in speedup and speedup.endswith("| met |")
