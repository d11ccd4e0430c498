"""The README's table of ``dendrite run`` on 3D cases, regenerated from the CSV(s) of bench/headline.py.

    .venv/bin/python bench/headline_table.py bench/results/headline_1e5.csv [more.csv ...] [--readme README.md]

Prints the Markdown table; with ``--readme`` it replaces the text between the markers
``<!-- headline-table:start -->`` and ``<!-- headline-table:end -->`` of that file.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

START, END = "<!-- headline-table:start -->", "<!-- headline-table:end -->"

HEADER = (
    "| DOFs | ranks | meshing: Gmsh + distribution [s] | compile [s] | assembly [s] | PC set-up [s] | Krylov [s] "
    "| solve [s] | post + write [s] | total [s] | Newton / Krylov its | BV / linear solve | plain DOLFINx solve [s] "
    "| total / plain | meshing / solve | peak memory per rank | kB/DOF | load |"
)


def _f(row: dict, key: str, digits: int = 1) -> str:
    value = row.get(key)
    return "-" if value in (None, "") else f"{float(value):.{digits}f}"


def table(rows: list[dict]) -> str:
    lines = [HEADER, "|" + "---|" * HEADER.count(" | ") + "---|"]
    for r in rows:
        post_write = float(r.get("t_post") or 0) + float(r.get("t_write") or 0)
        lines.append(
            f"| {int(r['dofs']):,} | {r['ranks']} | {_f(r, 't_mesh')} ({_f(r, 't_gmsh')} + {_f(r, 't_distribution')}) "
            f"| {_f(r, 't_compile')} | {_f(r, 't_assembly')} | {_f(r, 't_pcsetup')} | {_f(r, 't_krylov')} "
            f"| {_f(r, 't_solve')} | {post_write:.1f} | {_f(r, 't_total')} | {r['newton_its']} / {r['krylov_its']} "
            f"| {_f(r, 'bv_over_linear', 2)}x | {_f(r, 'plain_t_solve', 2)} | {_f(r, 'end_to_end_over_plain')}x "
            f"| {_f(r, 'mesh_over_solve', 2)}x | {float(r['maxrss_mb_max']):.0f} MB | {_f(r, 'kb_per_dof')} "
            f"| {_f(r, 'load_1min')} |"
        )
    return "\n".join(lines)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv", nargs="+")
    ap.add_argument("--readme", help="file whose marked section is replaced")
    args = ap.parse_args(argv)
    rows = [row for path in args.csv for row in csv.DictReader(Path(path).open())]
    rows.sort(key=lambda r: (int(r["ranks"]), int(r["dofs"])))
    text = table(rows)
    print(text)
    if args.readme:
        path = Path(args.readme)
        body = path.read_text()
        head, rest = body.split(START, 1)
        _, tail = rest.split(END, 1)
        path.write_text(f"{head}{START}\n{text}\n{END}{tail}")


if __name__ == "__main__":
    main()
