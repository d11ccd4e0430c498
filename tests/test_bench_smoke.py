"""Smoke test of the benchmark driver: `bench/run.py --quick` at the smallest size, 1 rank.

Keeps the benchmark runnable; no timing assertions (the machine is shared and noisy).
"""

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
