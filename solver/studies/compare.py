"""Side-by-side comparison of designs over ensembles of random seeds.

``dendrite compare A.yaml B.yaml [--seeds N]`` or ``dendrite compare COMPARISON.yaml`` runs
every case (for random geometries, N realisations: every ``seed`` in the geometry
section shifted by 0..N-1), then writes one comparison folder: ``comparison.md`` (table
of metrics with mean and spread, the CCD ratio next to the measured one where a study
file gives it, and a plain-language verdict), ``metrics.csv`` (every run), side-by-side
pictures on one colour scale, the CCD sweeps on one plot and ``report.html`` /
``report.md`` (all of it with every design's inputs and sources, pictures embedded in the
HTML). The first case is the baseline.

Two designs are called distinguishable in a metric when their means differ by more than
twice the combined standard error, 2 sqrt(s_a^2/n_a + s_b^2/n_b) (about 95 % for normal
spread); with a single realisation of a random geometry the spread is unknown and the
verdict says so.
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import json
import logging
import math
from pathlib import Path

import numpy as np
import yaml
from mpi4py import MPI
from pydantic import BaseModel, ConfigDict, Field

from solver.analysis.registry import flatten, format_value, metric, metrics, round_off_level
from solver.config.case import Case, load_case, parse_case
from solver.config.units import Quantity
from solver.errors import CaseError
from solver.io.documents import write_comparison_report
from solver.io.pictures.gather import picture_grid
from solver.io.result_folder import run_folder, write_json
from solver.studies.compare_electronic import first_li_section
from solver.studies.compare_text import assumptions, input_differences, verdict
from solver.studies.parallel import broadcast_errors, check_groups, process_groups, share_work
from solver.studies.run import run_case

__all__ = ["Study", "compare", "comparison_table", "flatten_metrics", "load_study"]

log = logging.getLogger(__name__)
#: the verdict's metric: the CCD over every criterion (risk.also) when a run has it, else the flaw CCD
CCD_KEYS = ("combined_critical_current_density", "critical_current_density")

class Study(BaseModel):
    """A comparison file: ``comparison: {cases: [...], seeds: N, measured_ccd: {...}}``."""

    model_config = ConfigDict(extra="forbid")
    name: str = "comparison"
    description: str = ""
    cases: list[str] = Field(min_length=2, description="case files, relative to the study file")
    seeds: int = Field(1, ge=1, le=100, description="realisations of each random geometry")
    measured_ccd: dict[str, Quantity("A/m^2")] = Field(default_factory=dict, description="case name -> measured CCD")
    measured_source: str = ""
    cycle: bool = Field(False, description="run `dendrite cycle` on every case and compare the cycling results "
                        "(solver.studies.compare_cycling)")
    measured_cycling: dict[str, str] = Field(default_factory=dict, description="case name -> measured cycling "
                                             "outcome as text, e.g. 'fails after 160 h', '> 700 h'")
    mechanisms: bool = Field(True, description="mechanism table: the CCD ratio with each mechanism off in turn "
                             "(solver.studies.compare_mechanisms; no extra solves)")


def load_study(path: Path) -> tuple[Study, list[Case]]:
    from pydantic import ValidationError

    from solver.config.case import read_case_mapping, _one_line

    raw, _ = read_case_mapping(path)
    if not isinstance(raw, dict) or "comparison" not in raw:
        raise CaseError("comparison", f"{path}: a comparison file has one section 'comparison' with 'cases'")
    try:
        study = Study.model_validate(raw["comparison"])
    except ValidationError as exc:
        raise _one_line(exc, "comparison") from None
    cases = [load_case(Path(path).parent / c) for c in study.cases]
    return study, cases


def _with_seed_offset(case: Case, offset: int) -> Case:
    """The same case with every geometry ``seed`` shifted by ``offset`` (None if it has none)."""
    raw = copy.deepcopy(case.raw)
    found = False

    def shift(node):
        nonlocal found
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "seed" and isinstance(v, int):
                    node[k] = v + offset
                    found = True
                else:
                    shift(v)
        elif isinstance(node, list):
            for v in node:
                shift(v)

    shift(raw["geometry"])
    if not found:
        return None
    out = parse_case(raw, case.name)
    out.source_text = yaml.safe_dump(raw, sort_keys=False)
    return out


def flatten_metrics(summary: dict) -> dict[str, float]:
    """Scalar metrics of a run summary, nested dicts flattened as 'a.b'."""
    return flatten(summary.get("metrics", {}))


@dataclasses.dataclass
class _Design:
    case: Case
    runs: list[dict]  # flattened metrics per realisation
    summaries: list[dict]
    grid: object = None
    sweep: list = None

    def stats(self, key: str) -> tuple[float, float, int]:
        values = np.array([r[key] for r in self.runs if key in r], dtype=float)
        if values.size == 0:
            return math.nan, math.nan, 0
        return float(values.mean()), float(values.std(ddof=1)) if values.size > 1 else 0.0, int(values.size)


def compare(cases: list[Case], seeds: int = 1, out: Path | None = None, study: Study | None = None,
            comm: MPI.Comm = MPI.COMM_WORLD, groups: int = 1) -> Path:
    """Run every case over ``seeds`` realisations and write the comparison folder.

    The runs are independent: with ``groups`` > 1 the ranks are split into that many
    process groups (:func:`solver.studies.parallel.process_groups`) that run consecutive blocks of
    them side by side, each run on its group's communicator.
    """
    check_groups(comm, groups)
    study = study or Study(cases=[c.name for c in cases], seeds=seeds)
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise CaseError("name", f"compared cases need distinct names, got {names}")
    jobs = []  # (design index, realisation index, case, realisations of the design)
    for d, case in enumerate(cases):
        realisations = [case] + [c for k in range(1, study.seeds) if (c := _with_seed_offset(case, k))]
        jobs += [(d, k, real, len(realisations)) for k, real in enumerate(realisations)]
    with run_folder(study.name, "results", out, comm=comm) as folder:
        done = []  # what the group leaders ran: (d, k, flat metrics, summary, grid, sweep)
        with broadcast_errors(comm), process_groups(comm, groups) as group:
            for d, k, real, n in share_work(jobs, group.count)[group.index]:
                if group.leader:
                    log.info("%s%s: realisation %d/%d", group.label(), real.name, k + 1, n)
                result = run_case(real, out=folder / "runs" / f"{real.name}-{k}", quiet=True, comm=group.comm)
                grid = sweep = None
                if k == 0:
                    grid = picture_grid(result.fields)
                    sweep = (result.summary.get("risk") or {}).get("sweep")
                if group.leader:
                    done.append((d, k, flatten_metrics(result.summary), result.summary, grid, sweep))
        # outside the error block: a collective there would pair with another group's error report
        gathered = comm.gather(done, root=0)
        if comm.rank == 0:
            designs = []
            runs = sorted((job for part in gathered for job in part), key=lambda job: job[:2])
            for d, case in enumerate(cases):
                _, _, flat, summaries, grids, sweeps = zip(*(job for job in runs if job[0] == d))
                designs.append(_Design(case, list(flat), list(summaries), grids[0], sweeps[0]))
            _write_table_csv(folder / "metrics.csv", designs)
            _plot_side_by_side(folder / "current_density_side_by_side.png", designs)
            has_sweeps = any(d.sweep for d in designs)
            if has_sweeps:
                _plot_sweeps(folder / "ccd_sweeps.png", designs, study)
            tables = _mechanism_tables(folder, study, designs) if study.mechanisms else []
            text = _report(study, designs, has_sweeps, tables)
            (folder / "comparison.md").write_text(text)
            write_json(folder / "comparison.json", {
                "study": study.model_dump(mode="json"),
                "designs": {d.case.name: {k: d.stats(k) for k in d.runs[0]} for d in designs},
                "mechanisms": [{"design_a": a, "design_b": b, "rows": rows} for a, b, rows in tables],
            })
            write_comparison_report(folder, text, names)  # after the pictures: it embeds them
    log.info("comparison written to %s", folder.final)
    return folder.final


def _ordered_keys(keys) -> list[str]:
    """Flattened metric keys in registry order (unregistered ones last, sorted)."""
    order = {m.name: k for k, m in enumerate(metrics())}
    return sorted(keys, key=lambda key: (order.get(key.split(".", 1)[0], len(order)), key))


def _write_table_csv(path: Path, designs: list[_Design]) -> None:
    keys = _ordered_keys({k for d in designs for r in d.runs for k in r})
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case", "realisation"] + keys)
        for d in designs:
            for k, r in enumerate(d.runs):
                w.writerow([d.case.name, k] + [r.get(key, "") for key in keys])


def comparison_table(folder: str | Path):
    """The runs of a comparison folder as a tidy pandas DataFrame: one row per (case,
    realisation, metric) with the SI value and its unit (from the metric registry)."""
    import pandas as pd

    folder = Path(folder)
    first = next(iter(sorted(folder.glob("runs/*/summary.json"))), None)
    gdim = json.loads(first.read_text()).get("dimension", 3) if first else 3
    wide = pd.read_csv(folder / "metrics.csv")
    tidy = wide.melt(id_vars=["case", "realisation"], var_name="metric", value_name="value").dropna(subset=["value"])
    tidy["unit"] = [((item.si_unit(gdim) if (item := metric(k)) else "") or "1") for k in tidy["metric"]]
    return tidy.reset_index(drop=True)


def _fmt(mean: float, std: float, n: int, scale: float, round_off: float = 0.0) -> str:
    if n == 0 or math.isnan(mean):
        return "-"
    if math.isinf(mean):
        return "none in range"
    if abs(mean) <= round_off:
        return "0"
    return f"{mean * scale:.4g}" + (f" ± {std * scale:.2g}" if n > 1 else "")


def _table_rows(designs: list[_Design], gdim: int) -> list[str]:
    """One row per flattened key of every metric the registry marks ``table``."""
    keys = _ordered_keys({k for d in designs for r in d.runs for k in r})
    rows = []
    for key in keys:
        item = metric(key)
        if item is None or not item.table:
            continue
        label = item.title + (f" {key.split('.', 1)[1]}" if "." in key else "")
        scale = item.scale(gdim)
        rows.append(f"| {label} [{item.shown_unit(gdim) or '-'}] | "
                    + " | ".join(_fmt(*d.stats(key), scale, _round_off(item, d)) for d in designs) + " |")
    return rows


def _round_off(item, design: _Design) -> float:
    """The round-off level of ``item`` in ``design`` (from the mean of its reference metric)."""
    ref = item.round_off_reference
    return round_off_level(item, {ref: design.stats(ref)[0]} if ref else None)


def _random(design: _Design) -> bool:
    return bool(design.summaries[0].get("seeds"))


def _mechanism_tables(folder: Path, study: Study, designs: list[_Design]) -> list[tuple[str, str, list[dict]]]:
    """Mechanism rows of every design against the first (``mechanisms.csv``); [] when a design's
    criterion has no chain (see :mod:`solver.studies.compare_mechanisms`)."""
    from solver.studies.compare_mechanisms import design_chain, mechanism_rows, write_mechanism_csv

    chains = [[design_chain(d.case, s) for s in d.summaries] for d in designs]
    if any(c is None for chain in chains for c in chain):
        return []
    tables = [(designs[0].case.name, d.case.name, mechanism_rows(chains[0], chain))
              for d, chain in zip(designs[1:], chains[1:])]
    write_mechanism_csv(folder / "mechanisms.csv", tables)
    return tables


def _mechanism_section(study: Study, tables) -> list[str]:
    from solver.studies.compare_mechanisms import mechanism_markdown

    if not tables:
        return []
    lines = ["## Mechanisms", "", "The CCD ratio with each mechanism switched off in turn in both designs "
             "(solver.studies.compare_mechanisms: the chain of each run, no new solves; mechanisms.csv).", ""]
    for a, b, rows in tables:
        ma, mb = study.measured_ccd.get(a), study.measured_ccd.get(b)
        lines += mechanism_markdown(a, b, rows, mb / ma if ma and mb else None) + [""]
    return lines


def _report(study: Study, designs: list[_Design], has_sweeps: bool, tables=()) -> str:
    base = designs[0]
    lines = [f"# Comparison: {study.name}", "", study.description, ""]
    lines.append(f"Realisations per random geometry: {study.seeds}. Values: mean ± standard deviation over "
                 "realisations. Units in the first column.\n")
    header = "| metric | " + " | ".join(d.case.name for d in designs) + " |"
    lines += [header, "|" + "---|" * (len(designs) + 1)]
    gdim = base.summaries[0].get("dimension", 3)
    lines += _table_rows(designs, gdim)
    lines.append("")
    if has_sweeps:
        lines += ["![CCD sweeps](ccd_sweeps.png)", ""]
    lines += ["![current density, one colour scale](current_density_side_by_side.png)", ""]

    lines += ["## Verdict", ""]
    present = {k for d in designs for r in d.runs for k in r}
    key = next((k for k in CCD_KEYS if k in present), "focusing_factor_percentile")  # all criteria first
    item = metric(key)
    for other in designs[1:]:
        ma, _, _ = base.stats(key)
        mb, _, _ = other.stats(key)
        ratio = mb / ma if ma and math.isfinite(ma) and math.isfinite(mb) else math.nan
        sentence = _verdict_sentence(base, other, key, ratio, gdim)
        measured_a = study.measured_ccd.get(base.case.name)
        measured_b = study.measured_ccd.get(other.case.name)
        if key in CCD_KEYS and measured_a and measured_b:
            sentence += (f" Measured CCD ratio {measured_b / measured_a:.3g} ({format_value(item, measured_b, gdim, 3)}"
                         f" vs {format_value(item, measured_a, gdim, 3)}; {study.measured_source}).")
        lines.append(sentence)
        diffs = input_differences(base.case, other.case)
        if diffs:
            lines.append("")
            lines.append("Driver (inputs that differ): " + "; ".join(diffs) + ".")
        lines.append("")
    lines += _mechanism_section(study, tables)
    lines += first_li_section([d.case.name for d in designs], [d.summaries[0] for d in designs])
    criteria = {(s.get("risk") or {}).get("criterion") for d in designs for s in d.summaries} - {None}
    electronic = any("electronic" in s for d in designs for s in d.summaries)
    lines += ["## Assumptions", "", *assumptions(criteria, electronic), ""]
    return "\n".join(lines)


def _verdict_sentence(base: _Design, other: _Design, key: str, ratio: float, gdim: int) -> str:
    """``**B vs A**: ratio (values); conclusion. Spread.`` (rules in :mod:`solver.studies.compare_text`)."""
    item = metric(key)
    (ma, _, na), (mb, _, nb) = base.stats(key), other.stats(key)
    a, b = base.case.name, other.case.name
    if key in CCD_KEYS:
        head = f"**{b} vs {a}**: predicted CCD ratio {'(all criteria) ' if key == CCD_KEYS[0] else ''}"
        values = f"({format_value(item, mb, gdim)} vs {format_value(item, ma, gdim)})"
    else:
        head = f"**{b} vs {a}**: predicted CCD ratio {'(all criteria) ' if key == CCD_KEYS[0] else ''}"
        values = f"({mb:.4g} vs {ma:.4g})"
    if na == 0 or nb == 0:
        missing = a if na == 0 else b
        return f"**{b} vs {a}**: {item.title} not computed for {missing}; no verdict"
    if not math.isfinite(ratio):
        return head + f"not defined {values}: the CCD is not reached in the searched range in one design"
    conclusion, spread = verdict(a, b, base.stats(key), other.stats(key), _random(base), _random(other),
                                 higher_is_safer=key in CCD_KEYS)
    return head + f"{ratio:.3g} {values}; {conclusion}. {spread}"


def _plot_side_by_side(path: Path, designs: list[_Design]) -> None:
    from solver.io.pictures.compare import maps_side_by_side

    maps_side_by_side([(d.case.name, d.grid) for d in designs], path, title="current density magnitude, one colour scale")


def _plot_sweeps(path: Path, designs: list[_Design], study: Study) -> None:
    from solver.io.pictures.plots import sweeps_compared

    sweeps_compared([{"name": d.case.name, "points": d.sweep or [],
                      "ccd": (d.summaries[0].get("risk") or {}).get("ccd")} for d in designs], path,
                    title=f"{study.name}: dendrite risk against the applied current",
                    measured=dict(study.measured_ccd), measured_source=study.measured_source)
