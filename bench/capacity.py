"""What a second process can gain on this machine at all: the ceiling of any 2-rank speed-up.

    .venv/bin/python bench/capacity.py [--problem potential] [--dofs 1e6] [--copies 2] [--rounds 3]

Runs the benchmark's serial case (``bench/run.py`` worker, one process) alone, then as
``--copies`` identical processes started together, then as one MPI run on ``--copies``
ranks, in alternating rounds so that all three see the same state of the machine. The
copies share nothing and never communicate, so

    ceiling = copies * T_alone / T_together

is the speed-up that perfectly parallel work gets from ``copies`` cores here: an upper
bound for the MPI speed-up of the same solve on ``copies`` ranks (which also communicates
and iterates more). On dedicated cores the ceiling is ``copies`` for compute-bound work
and less only where memory bandwidth is shared; on virtual CPUs that share physical cores
(SMT siblings, or a busy host) it is lower, and no code can beat it. Each round prints the
times, the ceiling, the MPI speed-up T_alone / T_mpi and the parallel efficiency against the
ceiling (speed-up / ceiling), for the solve phase; the summary gives their ranges.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "bench" / "run.py"


def _start(problem: str, dofs: float, out: Path, env: dict, ranks: int = 1) -> subprocess.Popen:
    cmd = [sys.executable, str(RUN), "--case", problem, "--dofs", str(dofs), "--json", str(out)]
    if ranks > 1:
        cmd = [str(Path(sys.executable).parent / "mpiexec"), "-n", str(ranks)] + cmd
    return subprocess.Popen(cmd, env=env, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def run_together(problem: str, dofs: float, copies: int, env: dict, tmp: Path, ranks: int = 1) -> list[dict]:
    """Start ``copies`` processes (MPI runs of ``ranks``) at once; their result rows."""
    outs = [tmp / f"{problem}-{time.monotonic_ns()}-{k}.json" for k in range(copies)]
    procs = [_start(problem, dofs, out, env, ranks) for out in outs]
    rows = []
    for proc, out in zip(procs, outs):
        _, err = proc.communicate()
        if proc.returncode or not out.exists():
            raise SystemExit(f"a {problem} process failed (exit {proc.returncode}): {err[-2000:]}")
        rows.append(json.loads(out.read_text()))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--problem", default="potential", help="a problem of bench/run.py (default potential)")
    ap.add_argument("--dofs", type=float, default=1e6)
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    env = dict(os.environ, OMP_NUM_THREADS="1", BENCH_REPEAT="1")
    print(f"# capacity: {args.problem} at {args.dofs:g} DOFs: alone, {args.copies} copies at once, "
          f"MPI on {args.copies} ranks; "
          f"{args.rounds} rounds; {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}", flush=True)
    env.setdefault("UCX_TLS", "self,sm,tcp")
    stats = {"ceiling": [], "speedup": [], "efficiency": []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            (alone,) = run_together(args.problem, args.dofs, 1, env, Path(tmp))
            together = run_together(args.problem, args.dofs, args.copies, env, Path(tmp))
            (mpi,) = run_together(args.problem, args.dofs, 1, env, Path(tmp), ranks=args.copies)
            ceiling = args.copies * alone["t_solve"] / statistics.mean(t["t_solve"] for t in together)
            speedup = alone["t_solve"] / mpi["t_solve"]
            for key, value in zip(stats, (ceiling, speedup, speedup / ceiling)):
                stats[key].append(value)
            print(f"round {r + 1}: solve alone {alone['t_solve']:.2f} s; {args.copies} copies at once "
                  + ", ".join(f"{t['t_solve']:.2f}" for t in together)
                  + f" s; MPI on {args.copies} ranks {mpi['t_solve']:.2f} s (answer {mpi['qoi']:.12g}, "
                  f"serial {alone['qoi']:.12g}) -> ceiling {ceiling:.2f}x, MPI speed-up {speedup:.2f}x, "
                  f"efficiency {speedup / ceiling:.0%}", flush=True)
    for key, label in (("ceiling", "ceiling (independent copies)"), ("speedup", "MPI speed-up"),
                       ("efficiency", "MPI speed-up / ceiling")):
        v = stats[key]
        print(f"# {label}: {min(v):.2f}-{max(v):.2f} (median {statistics.median(v):.2f}, {len(v)} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
