"""Check the performance targets against benchmark CSVs (measured, never asserted).

    python bench/summarize.py bench/results/bench.csv [bench/results/bench_bv_sweep.csv ...]

Prints a markdown table of the main columns and one line per target with the measured value.
"""

from __future__ import annotations

import csv
import math
import sys


def load(paths):
    rows = []
    for p in paths:
        with open(p) as f:
            rows += list(csv.DictReader(f))
    for r in rows:
        for k, v in list(r.items()):
            try:
                r[k] = float(v) if k not in ("problem", "qoi_name", "note", "options") else v
            except (TypeError, ValueError):
                pass
    return rows


def pick(rows, problem, ranks, dofs=None):
    c = [r for r in rows if r["problem"] == problem and r["ranks"] == ranks and isinstance(r.get("dofs"), float)]
    if dofs is not None:
        c = [r for r in c if r["target_dofs"] == dofs]
    return c


def table(rows):
    cols = ["problem", "ranks", "dofs", "t_mesh", "t_tag", "t_setup", "t_assembly", "t_pcsetup", "t_krylov",
            "t_solve", "newton_its", "krylov_its", "maxrss_mb_max", "kb_per_dof", "qoi", "load_avg_1min"]
    out = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in rows:
        cells = []
        for c in cols:
            v = r.get(c, "")
            if isinstance(v, float):
                v = f"{v:.0f}" if c in ("dofs", "ranks", "newton_its", "krylov_its") else (
                    f"{v:.10g}" if c == "qoi" else f"{v:.3g}")
            cells.append(str(v))
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main(paths):
    rows = load(paths)
    print(table(rows))
    print()
    big = max((r["target_dofs"] for r in rows if r["problem"] == "potential"), default=None)
    mid = 1e5
    t1 = pick(rows, "potential", 1.0, big)
    t2 = pick(rows, "potential", 2.0, big)
    if t1:
        a = t1[0]
        solve_phase = a["t_assembly"] + a["t_pcsetup"] + a["t_krylov"]
        print(f"- potential {a['dofs']:.0f} DOFs, 1 rank: solve phase (assembly+PC+Krylov) {solve_phase:.2f} s "
              f"(whole solve call {a['t_solve']:.2f} s); target <= 15 s")
        print(f"- peak memory {a['kb_per_dof']:.2f} kB/DOF (1 rank, incl. ~170 MB process baseline); target <= 2.5")
        m = pick(rows, "potential", 1.0, mid)
        if m and m[0]["dofs"] != a["dofs"]:
            b = m[0]
            expo = math.log(a["t_solve"] / b["t_solve"]) / math.log(a["dofs"] / b["dofs"])
            print(f"- solve time growth 1e5 -> {big:.0e}: N^{expo:.2f}; target <= N^1.15")
            ia = a["krylov_its"] / max(a["newton_its"], 1)
            ib = b["krylov_its"] / max(b["newton_its"], 1)
            print(f"- CG iterations per linear solve {ib:.0f} (1e5) -> {ia:.0f} ({big:.0e}): ratio {ia / ib:.2f} "
                  f"(target <= 1.5); Newton steps {b['newton_its']:.0f} -> {a['newton_its']:.0f}")
        if t2:
            c = t2[0]
            rel = abs(c["qoi"] - a["qoi"]) / abs(a["qoi"])
            print(f"- 2 ranks: solve {c['t_solve']:.2f} s vs {a['t_solve']:.2f} s -> speed-up "
                  f"{a['t_solve'] / c['t_solve']:.2f}x (target >= 1.5); counter potential rel. diff {rel:.1e} (target 1e-8)")
        for peer, target in (("plain", 1.1), ("skfem", 0.5)):
            p = pick(rows, peer, 1.0, big)
            if p:
                ratio = a["t_solve"] / p[0]["t_solve"]
                rel = abs(p[0]["qoi"] - a["qoi"]) / abs(a["qoi"])
                print(f"- tool / {peer} solve time at {big:.0e}: {ratio:.2f} (target <= {target}); "
                      f"answer rel. diff {rel:.1e}")
    for ranks in (1.0, 2.0):
        s = pick(rows, "sweep", ranks)
        if s:
            print(f"- sweep ({s[0]['dofs']:.0f} DOFs, {s[0]['load_points']:.0f} loads, {ranks:.0f} rank(s)): "
                  f"{s[0]['t_solve']:.1f} s, {s[0]['newton_its']:.0f} Newton steps; target < 60 s")
    e = [r for r in rows if r["problem"] == "elasticity" and isinstance(r.get("krylov_its"), float)]
    if e:
        print("- elasticity CG iterations: " + ", ".join(
            f"{r['dofs']:.0f} DOFs/{r['ranks']:.0f}r: {r['krylov_its']:.0f}" for r in e))


if __name__ == "__main__":
    main(sys.argv[1:] or ["bench/results/bench.csv"])
