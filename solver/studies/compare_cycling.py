"""Cycling designs side by side: time to short, CCD step reached, contact, over seed ensembles.

``dendrite compare A.yaml B.yaml --cycle [--seeds N]`` (or a comparison file with
``cycle: true``) runs ``dendrite cycle`` on every case (random geometries: N realisations,
every geometry ``seed`` shifted by 0..N-1, as in :mod:`solver.studies.compare`) and
writes one folder: ``comparison.md`` (table and verdict), ``metrics.csv`` (every run),
``comparison.json`` (statistics), ``report.md``/``report.html`` (the comparison with every
design's inputs and sources, the picture embedded), ``cycling_side_by_side.png`` (cell voltage and contact
fraction vs time, first realisation of each design) and ``runs/NAME-K/`` (each cycling
result folder). The first case is the baseline.

Statistics over the realisations of a design: mean, sample standard deviation s and the
95 % confidence interval of the mean, mean +- t(0.975, n-1) s / sqrt(n) (Student t). A run
that does not short is censored: its time to short is only known to exceed its simulated
time, so a design whose runs did not all short reports how many did and the bound. Two
designs differ distinguishably in a metric when their means differ by more than
2 sqrt(s_a^2/n_a + s_b^2/n_b), the rule of :mod:`solver.studies.compare`.
"""

from __future__ import annotations

import csv
import dataclasses
import logging
import math
from pathlib import Path

import numpy as np
from mpi4py import MPI

from solver.analysis.registry import compute_stage, format_value, metric, metrics
from solver.config.case import Case
from solver.errors import CaseError
from solver.io.result_folder import run_folder, write_json
from solver.studies.compare import Study, _with_seed_offset
from solver.studies.cycle import check_case, run_cycle
from solver.studies.parallel import broadcast_errors, check_groups, process_groups, share_work

__all__ = ["compare_cycling", "ensemble_statistics"]

log = logging.getLogger(__name__)

CENSORED = ("time_to_short", "short_current_density")  # inf when the run did not short
GDIM = 2  # cycling metrics are per area or dimensionless: the same in 2D and 3D


def ensemble_statistics(values) -> dict:
    """Mean, standard deviation, n and the 95 % CI half-width of the finite values; ``shorted``
    / ``runs``: how many are finite (for censored metrics, the runs that shorted)."""
    from scipy.stats import t as student

    v = np.asarray([x for x in values if x is not None], float)
    finite = v[np.isfinite(v)]
    n = int(finite.size)
    mean = float(finite.mean()) if n else math.nan
    std = float(finite.std(ddof=1)) if n > 1 else 0.0
    half = float(student.ppf(0.975, n - 1) * std / math.sqrt(n)) if n > 1 else math.nan
    return {"mean": mean, "std": std, "n": n, "ci95": half, "finite": n, "runs": int(v.size)}


@dataclasses.dataclass
class _Design:
    case: Case
    runs: list[dict]  # metrics per realisation (SI; inf: not reached)
    summaries: list[dict]
    rows: list[dict]  # time series of the first realisation

    def values(self, key: str) -> list[float]:
        return [r.get(key) for r in self.runs]

    def stats(self, key: str) -> dict:
        return ensemble_statistics(self.values(key))

    def bound(self) -> float:
        """Shortest simulated time [s] of the runs that did not short (what they are known to exceed)."""
        return min((r["simulated_time"] for r in self.runs if math.isinf(r.get("time_to_short", math.inf))),
                   default=math.nan)


def _check_cases(cases: list[Case]) -> None:
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise CaseError("name", f"compared cases need distinct names, got {names}")
    for case in cases:
        if case.model.cycling is None:
            raise CaseError("cycling", f"case {case.name!r} has no cycling section (compare --cycle runs "
                            "`dendrite cycle` on every case)")
        check_case(case)


def compare_cycling(cases: list[Case], seeds: int = 1, out: Path | None = None, study: Study | None = None,
                    comm: MPI.Comm = MPI.COMM_WORLD, groups: int = 1) -> Path:
    """Cycle every case over ``seeds`` realisations and write the comparison folder
    (``groups``: process groups running realisations side by side, as in compare)."""
    check_groups(comm, groups)
    study = study or Study(cases=[c.name for c in cases], seeds=seeds, cycle=True)
    _check_cases(cases)
    jobs = []
    for d, case in enumerate(cases):
        realisations = [case] + [c for k in range(1, study.seeds) if (c := _with_seed_offset(case, k))]
        jobs += [(d, k, real, len(realisations)) for k, real in enumerate(realisations)]
    with run_folder(study.name, "results", out, comm=comm) as folder:
        done = []
        with broadcast_errors(comm), process_groups(comm, groups) as group:
            for d, k, real, n in share_work(jobs, group.count)[group.index]:
                if group.leader:
                    log.info("%s%s: realisation %d/%d", group.label(), real.name, k + 1, n)
                result = run_cycle(real, out=folder / "runs" / f"{real.name}-{k}", quiet=True, comm=group.comm)
                if group.leader:
                    done.append((d, k, compute_stage("cycling", result), result.summary,
                                 result.rows if k == 0 else None))
        gathered = comm.gather(done, root=0)
        if comm.rank == 0:
            runs = sorted((job for part in gathered for job in part), key=lambda job: job[:2])
            designs = []
            for d, case in enumerate(cases):
                _, _, values, summaries, rows = zip(*(job for job in runs if job[0] == d))
                designs.append(_Design(case, list(values), list(summaries), rows[0]))
            _write_csv(folder / "metrics.csv", designs)
            _plot(folder / "cycling_side_by_side.png", designs)
            text = _report(study, designs)
            (folder / "comparison.md").write_text(text)
            write_json(folder / "comparison.json", {
                "study": study.model_dump(mode="json"),
                "designs": {d.case.name: {key: d.stats(key) for key in d.runs[0]} for d in designs},
                "stop_reasons": {d.case.name: [s["stop_reason"] for s in d.summaries] for d in designs},
            })
            from solver.io.documents import write_comparison_report

            write_comparison_report(folder, text, [c.name for c in cases])  # after the picture: it embeds it
    log.info("comparison written to %s", folder.final)
    return folder.final


def _keys(designs: list[_Design]) -> list[str]:
    present = {k for d in designs for r in d.runs for k in r}
    return [m.name for m in metrics("cycling") if m.name in present]


def _write_csv(path: Path, designs: list[_Design]) -> None:
    keys = _keys(designs)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["case", "realisation", "stop_reason"] + [f"{k}_{_unit_tag(k)}" for k in keys])
        for d in designs:
            for k, (r, s) in enumerate(zip(d.runs, d.summaries)):
                w.writerow([d.case.name, k, s["stop_reason"]] + [r.get(key, "") for key in keys])


def _unit_tag(key: str) -> str:
    """The SI unit as a column suffix: ``A/m^2`` -> ``A_m2``, dimensionless -> ``1``."""
    unit = metric(key).si_unit(GDIM) or "1"
    return unit.replace("/", "_").replace("^", "").replace(" ", "_")


def _cell(design: _Design, key: str) -> str:
    item = metric(key)
    st = design.stats(key)
    scale, unit = item.scale(GDIM), item.shown_unit(GDIM)
    if st["runs"] == 0:
        return "-"
    half = st["ci95"] if st["ci95"] > 1e-12 * abs(st["mean"]) else 0.0  # round-off spread shown as 0
    spread = "" if st["n"] < 2 else f" ± {half * scale:.2g}"
    value = f"{st['mean'] * scale:.4g}{spread}" if st["n"] else ""
    if key in CENSORED and st["finite"] < st["runs"]:
        bound = (f"> {design.bound() / 3600:.4g} h" if key == "time_to_short" else
                 f"> {min(r['highest_current_density'] for r in design.runs) * scale:.4g} {unit}")
        shorted = f"{st['finite']}/{st['runs']} shorted"
        return f"{shorted}: {value}; others {bound}" if st["finite"] else f"no short ({bound})"
    if st["finite"] < st["runs"]:
        return "none in range"
    return value


def _table(designs: list[_Design]) -> list[str]:
    lines = ["| metric | " + " | ".join(d.case.name for d in designs) + " |", "|" + "---|" * (len(designs) + 1)]
    for key in _keys(designs):
        item = metric(key)
        if item.table:
            lines.append(f"| {item.title} [{item.shown_unit(GDIM) or '-'}] | "
                         + " | ".join(_cell(d, key) for d in designs) + " |")
    return lines


def _verdict(base: _Design, other: _Design, key: str) -> str:
    """One sentence on a censored metric (time to short, or the current at short)."""
    item = metric(key)
    a, b = base.stats(key), other.stats(key)
    name_a, name_b = base.case.name, other.case.name
    label = item.title
    if a["finite"] == 0 and b["finite"] == 0:
        return f"{label}: neither {name_a} nor {name_b} shorts in the simulated protocol."
    if a["finite"] < a["runs"] or b["finite"] < b["runs"]:
        never = [d.case.name for d, st in ((base, a), (other, b)) if st["finite"] == 0]
        text = (f"{label}: {a['finite']}/{a['runs']} runs of {name_a} and {b['finite']}/{b['runs']} of {name_b} "
                "short")
        if len(never) == 1:
            longer = never[0]
            text += f"; {longer} outlasts the other (no short within {max(base.bound(), other.bound()) / 3600:.4g} h)"
        return text + "."
    text = f"{label}: {format_value(item, b['mean'], GDIM)} ({name_b}) vs {format_value(item, a['mean'], GDIM)} ({name_a})"
    if a["mean"]:
        text += f", ratio {b['mean'] / a['mean']:.3g}"
    if a["n"] < 2 or b["n"] < 2:
        random = _has_seed(base.case.raw.get("geometry")) or _has_seed(other.case.raw.get("geometry"))
        return text + (". Single realisation of a random geometry: run with more seeds for the spread." if random
                       else ". Deterministic geometry: the difference is exact for the model.")
    distinct = abs(a["mean"] - b["mean"]) > 2 * math.sqrt(a["std"] ** 2 / a["n"] + b["std"] ** 2 / b["n"])
    return text + (". The difference is larger than the ensemble spread (distinguishable)." if distinct else
                   ". The difference is within the ensemble spread: **not distinguishable**.")


def _has_seed(node) -> bool:
    if isinstance(node, dict):
        return any(k == "seed" or _has_seed(v) for k, v in node.items())
    return isinstance(node, list) and any(_has_seed(v) for v in node)


def _report(study: Study, designs: list[_Design]) -> str:
    base = designs[0]
    lines = [f"# Cycling comparison: {study.name}", "", study.description, "",
             f"Realisations per random geometry: {study.seeds}. Values: mean ± half-width of the 95 % confidence "
             "interval of the mean (Student t) over the realisations that reached the value. Units in the first "
             "column.", ""]
    lines += _table(designs)
    lines += ["", "![cell voltage and contact fraction](cycling_side_by_side.png)", "", "## Verdict", ""]
    for other in designs[1:]:
        lines.append(f"**{other.case.name} vs {base.case.name}**")
        lines.append("")
        for key in CENSORED:
            lines.append(f"- {_verdict(base, other, key)}")
        measured_a, measured_b = (study.measured_ccd.get(d.case.name) for d in (base, other))
        if measured_a and measured_b:
            item = metric("short_current_density")
            lines.append(f"- Measured CCD ratio {measured_b / measured_a:.3g} ({format_value(item, measured_b, GDIM, 3)}"
                         f" vs {format_value(item, measured_a, GDIM, 3)}; {study.measured_source}).")
        lines.append("")
    ccd_item = metric("short_current_density")
    measured = {**{name: f"CCD {format_value(ccd_item, value, GDIM, 3)}" for name, value in study.measured_ccd.items()},
                **study.measured_cycling}
    if measured:
        lines += ["## Measured", ""]
        lines += [f"- {name}: {text}" for name, text in measured.items()]
        if study.measured_source:
            lines.append(f"- source: {study.measured_source}")
        lines.append("")
    lines += ["## Stop reasons", ""]
    lines += [f"- {d.case.name}: " + ", ".join(sorted(set(s["stop_reason"] or "-" for s in d.summaries)))
              for d in designs]
    lines += ["", "## Assumptions", "",
              "- Quasi-static cycling (docs/cycling.md): the current distribution at each step, the interface "
              "state (voids, Li thickness, filaments) evolving by its laws; parameters from the material library "
              "and the case files, nothing fitted to measured lifetimes.",
              "- A run that did not short is censored at its simulated time: its time to short is a lower bound.",
              ""]
    return "\n".join(lines)


def _plot(path: Path, designs: list[_Design]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(8, 6), sharex=True)
    for d in designs:
        if not d.rows:
            continue
        t = np.array([r["time_s"] for r in d.rows]) / 3600.0
        axes[0].plot(t, [1e3 * r["cell_voltage_V"] for r in d.rows], lw=0.8, label=d.case.name)
        axes[1].plot(t, [r["contact_fraction"] for r in d.rows], lw=0.8, label=d.case.name)
        short = d.summaries[0].get("time_to_short_s")
        if short is not None:
            for ax in axes:
                ax.axvline(short / 3600.0, ls="--", lw=0.7, color=axes[0].lines[-1].get_color())
    axes[0].set_ylabel("cell voltage [mV]")
    axes[1].set_ylabel("anode contact fraction [-]")
    axes[1].set_xlabel("time [h] (dashed: short)")
    axes[0].legend(fontsize=8)
    for ax in axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
