"""The README's table of ``dendrite run`` on 3D cases, regenerated from the CSV(s) of bench/headline.py.

    .venv/bin/python bench/headline_table.py bench/results/headline.csv [more.csv ...] [--ceiling 1.9] [--readme README.md]

Prints the Markdown tables (every phase of every point; the targets against the points at
1e6 DOFs and above, with ``--ceiling`` the 2-rank ceiling of bench/capacity.py); with
``--readme`` it replaces the text between the markers ``<!-- headline-table:start -->`` /
``<!-- headline-table:end -->`` and ``<!-- headline-targets:start -->`` /
``<!-- headline-targets:end -->`` of that file.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

START, END = "<!-- headline-table:start -->", "<!-- headline-table:end -->"
TARGETS_START, TARGETS_END = "<!-- headline-targets:start -->", "<!-- headline-targets:end -->"

HEADER = (
    "| run | DOFs | ranks | meshing [s] | set-up [s] | assembly [s] | PC set-up [s] | Krylov [s] | solve [s] "
    "| post [s] | write [s] | total [s] | Newton / Krylov its | BV / linear solve | plain DOLFINx solve [s] "
    "| total / plain | meshing / solve | peak memory per rank | kB/DOF | load |"
)


def _f(row: dict, key: str, digits: int = 1) -> str:
    value = row.get(key)
    return "-" if value in (None, "") else f"{float(value):.{digits}f}"


def table(rows: list[dict]) -> str:
    """One row per benchmark point: every phase [s], iterations, ratios, memory."""
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for r in rows:
        lines.append(
            f"| {r.get('run', '')} | {int(r['dofs']):,} | {r['ranks']} | {_f(r, 't_mesh')} | {_f(r, 't_compile')} | {_f(r, 't_assembly')} "
            f"| {_f(r, 't_pcsetup')} | {_f(r, 't_krylov')} | {_f(r, 't_solve')} | {_f(r, 't_post')} | {_f(r, 't_write')} "
            f"| {_f(r, 't_total')} | {r['newton_its']} / {r['krylov_its']} | {_f(r, 'bv_over_linear', 2)}x "
            f"| {_f(r, 'plain_t_solve', 2)} | {_f(r, 'end_to_end_over_plain', 2)}x | {_f(r, 'mesh_over_solve', 3)}x "
            f"| {float(r['maxrss_mb_max']):.0f} MB | {_f(r, 'kb_per_dof', 2)} | {_f(r, 'load_1min')} |"
        )
    return "\n".join(lines)


def _verdict(values: list[float], limit: float) -> str:
    return "met" if values and max(values) <= limit else "**not met**"


def targets(rows: list[dict], ceiling: float | None = None) -> str:
    """The targets against the points at 1e6 DOFs and above (ratios within each row)."""
    big = [r for r in rows if int(r["dofs"]) >= 5e5]

    def measured(key: str, unit: str = "x", digits: int = 2) -> tuple[str, list[float]]:
        values = [float(r[key]) for r in big if r.get(key) not in (None, "")]
        text = ", ".join(f"{float(r[key]):.{digits}f}{unit} ({int(r['dofs']) / 1e6:.1f}e6, {r['ranks']} rank"
                         f"{'s' if int(r['ranks']) > 1 else ''})" for r in big if r.get(key) not in (None, ""))
        return text, values

    lines = ["| target | measured | |", "|---|---|---|"]
    for label, key, limit, unit in (("end to end <= 3x the plain DOLFINx solve", "end_to_end_over_plain", 3.0, "x"),
                                    ("meshing incl. distribution <= 1x the solve", "mesh_over_solve", 1.0, "x"),
                                    ("Butler-Volmer solve <= 2x linear kinetics, same mesh", "bv_over_linear", 2.0, "x"),
                                    ("peak memory <= 3 kB/DOF", "kb_per_dof", 3.0, " kB/DOF")):
        text, values = measured(key, unit)
        lines.append(f"| {label} | {text} | {_verdict(values, limit)} |")
    largest = max(big, key=lambda r: (int(r["dofs"]), float(r["maxrss_mb_sum"])), default=None)
    if largest is not None:
        total, ranks = float(largest["maxrss_mb_sum"]) / 1024, int(largest["ranks"])
        lines.append(f"| {int(largest['dofs']) / 1e6:.1f}e6 DOFs within the machine's 24 GB | {total:.1f} GB over "
                     f"{ranks} rank{'s' if ranks > 1 else ''} | {_verdict([total], 24.0)} |")
    pairs = {(r.get("run", ""), int(r["dofs"]), int(r["ranks"])): r for r in big}
    speedups = [(run, d, float(pairs[run, d, 1]["t_total"]) / float(pairs[run, d, 2]["t_total"]))
                for run, d, ranks in pairs if ranks == 1 and (run, d, 2) in pairs]  # 1 and 2 ranks of one run
    if ceiling and speedups:
        text = ", ".join(f"{s:.2f}x / {ceiling:.2f}x = {s / ceiling:.0%} ({d / 1e6:.1f}e6{', ' + run if run else ''})"
                         for run, d, s in speedups)
        low = sum(s / ceiling < 0.8 for _, _, s in speedups)
        verdict = "met" if not low else f"**not met** in {low} of {len(speedups)}"
        lines.append(f"| 2 ranks >= 80 % of the 2-rank ceiling (end-to-end speed-up / `capacity.py` ceiling) | {text} "
                     f"| {verdict} |")
    return "\n".join(lines)


def _replace(body: str, start: str, end: str, text: str) -> str:
    head, rest = body.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{text}\n{end}{tail}"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="+")
    ap.add_argument("--readme", help="file whose marked sections are replaced")
    ap.add_argument("--ceiling", type=float, help="the 2-rank ceiling measured by bench/capacity.py")
    args = ap.parse_args(argv)
    rows = [dict(row, run=Path(path).stem) for path in args.csv for row in csv.DictReader(Path(path).open())]
    rows.sort(key=lambda r: (int(r["ranks"]), int(r["dofs"])))
    text, goals = table(rows), targets(rows, args.ceiling)
    print(text + "\n\n" + goals)
    if args.readme:
        path = Path(args.readme)
        body = _replace(path.read_text(), START, END, text)
        if TARGETS_START in body:
            body = _replace(body, TARGETS_START, TARGETS_END, goals)
        path.write_text(body)


if __name__ == "__main__":
    main()
