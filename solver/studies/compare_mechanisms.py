"""Mechanism table of a comparison: the CCD ratio of two designs with each mechanism off in turn.

Each design's run is reduced to the chain that sets its CCD (no new solves):

    eta_c = K_IC V_m / (G F)      (criterion fracture_toughness: the worst flaw's influence
                                   G = K_I per pascal of Li pressure [m^0.5], Porz pressure)
    eta_c = the critical overpotential          (criterion critical_overpotential)
    CCD_chain = |i(-eta_c)| / f,   then min(CCD_chain, onset of Li formation inside the
                                   electrolyte) when the case has an ``electronic`` section

with i(eta) the case's kinetics law [A/m^2], f the focusing of the worst point at the CCD
(its local current over the applied one, from the CCD sweep) and V_m the molar volume of Li.
With every mechanism on, CCD_chain reproduces the finite-element CCD up to the bisection
tolerance (the table shows both). A mechanism is switched off in both designs by setting its
input to a neutral value or to design A's value:

* ``focusing``: f = 1 (the tip carries the applied current);
* ``flaws``: design A's flaw (its G) in both;
* ``fracture_toughness``: K_IC of design A in both (K_IC(d) laws and tables included);
* ``interphase_mechanics``: G of the electrolyte alone (no interphase layer or Li in the
  mechanics; only where the geometry meshes its anode side);
* ``li_stiffness``: the Li under the layer fully yielded (G with the Li region removed:
  Li yields near 0.8 MPa, far below Porz pressures; elastic Li and this row bound the CCD);
* ``interface_kinetics``: design A's kinetics law i(eta) in both;
* ``electronic_leakage``: no onset of Li formation inside the electrolyte.

A mechanism that carries the difference between the designs moves the ratio towards 1 when
it is off. Rows of mechanisms neither design has say so, and so do rows of a mechanism whose
inputs are the same in both designs (:data:`MECHANISM_INPUTS`; kinetics laws compared by
their currents at fixed probe overpotentials).
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from solver.physics.kinetics import FARADAY

__all__ = ["DesignChain", "MECHANISMS", "MECHANISM_INPUTS", "design_chain", "mechanism_rows", "write_mechanism_csv",
           "mechanism_markdown"]

LI_MOLAR_VOLUME = 1.30e-5  # m^3/mol (Porz et al. 2017), as solver.analysis.risk


@dataclasses.dataclass(frozen=True)
class DesignChain:
    """The inputs of one design's CCD (SI units; None where the design has no such input)."""

    name: str
    criterion: str
    current_density: Callable[[float], float]  # i(eta) [A/m^2], eta < 0 plating
    focusing: float  # f [-]
    critical_overpotential: float | None = None  # [V]
    fracture_toughness: float | None = None  # [Pa m^0.5]
    influence: float | None = None  # G [m^0.5]
    influence_without_anode: float | None = None  # G of the electrolyte alone [m^0.5]
    influence_li_yielded: float | None = None  # G with the Li region carrying nothing [m^0.5]
    onset: float | None = None  # onset current of internal Li formation [A/m^2]
    fe_ccd: float | None = None  # the finite-element CCD of the run [A/m^2]
    molar_volume: float = LI_MOLAR_VOLUME

    def critical_eta(self) -> float:
        """eta_c [V] (magnitude)."""
        if self.criterion == "fracture_toughness":
            return self.fracture_toughness * self.molar_volume / (self.influence * FARADAY)
        return self.critical_overpotential

    def ccd(self) -> float:
        """CCD_chain [A/m^2] (module docstring)."""
        j = abs(float(self.current_density(-self.critical_eta()))) / self.focusing
        return min(j, self.onset) if self.onset is not None else j


def _off_focusing(d: DesignChain, base: DesignChain) -> DesignChain:
    return dataclasses.replace(d, focusing=1.0)


def _off_flaws(d: DesignChain, base: DesignChain) -> DesignChain:
    if d.influence is None or base.influence is None:
        return d
    return dataclasses.replace(d, influence=base.influence, influence_without_anode=base.influence_without_anode)


def _off_toughness(d: DesignChain, base: DesignChain) -> DesignChain:
    if d.fracture_toughness is None or base.fracture_toughness is None:
        return d
    return dataclasses.replace(d, fracture_toughness=base.fracture_toughness)


def _off_interphase(d: DesignChain, base: DesignChain) -> DesignChain:
    if d.influence_without_anode is None:
        return d
    return dataclasses.replace(d, influence=d.influence_without_anode)


def _off_li_stiffness(d: DesignChain, base: DesignChain) -> DesignChain:
    if d.influence_li_yielded is None:
        return d
    return dataclasses.replace(d, influence=d.influence_li_yielded)


def _off_kinetics(d: DesignChain, base: DesignChain) -> DesignChain:
    return dataclasses.replace(d, current_density=base.current_density)


def _off_electronic(d: DesignChain, base: DesignChain) -> DesignChain:
    return dataclasses.replace(d, onset=None)


#: name -> (switch(design, design A) -> design with the mechanism off, what "off" means,
#: whether a design has the mechanism at all)
MECHANISMS: dict[str, tuple[Callable, str, Callable[[DesignChain], bool]]] = {
    "focusing": (_off_focusing, "tip current = applied current", lambda d: True),
    "flaws": (_off_flaws, "flaw of the first design in both", lambda d: d.influence is not None),
    "fracture_toughness": (_off_toughness, "K_IC of the first design in both",
                           lambda d: d.fracture_toughness is not None),
    "interphase_mechanics": (_off_interphase, "electrolyte alone in the mechanics",
                             lambda d: d.influence_without_anode is not None),
    "li_stiffness": (_off_li_stiffness, "Li fully yielded (lower bound)", lambda d: d.influence_li_yielded is not None),
    "interface_kinetics": (_off_kinetics, "kinetics of the first design in both", lambda d: True),
    "electronic_leakage": (_off_electronic, "no Li formation inside the electrolyte", lambda d: d.onset is not None),
}


_PROBE_OVERPOTENTIALS = -np.geomspace(1e-4, 0.5, 16)  # [V], plating side (the side the chain uses)


def _kinetics_samples(d: DesignChain) -> tuple:
    """i(eta) [A/m^2] at fixed probe overpotentials: two laws are the same if these agree."""
    return tuple(float(d.current_density(eta)) for eta in _PROBE_OVERPOTENTIALS)


def _shielding(d: DesignChain) -> tuple:
    if d.influence_without_anode is None or d.influence is None:
        return (None,)
    return (d.influence / d.influence_without_anode,)


#: name -> the inputs [SI] through which the mechanism enters a design's CCD: a mechanism
#: whose inputs agree in every design is "the same in both designs"
MECHANISM_INPUTS: dict[str, Callable[[DesignChain], tuple]] = {
    "focusing": lambda d: (d.focusing,),
    "flaws": lambda d: (d.influence, d.influence_without_anode),
    "fracture_toughness": lambda d: (d.fracture_toughness,),
    "interphase_mechanics": _shielding,
    "li_stiffness": lambda d: (None,) if d.influence_li_yielded is None else (d.influence / d.influence_li_yielded,),
    "interface_kinetics": _kinetics_samples,
    "electronic_leakage": lambda d: (d.onset,),
}


def _same_values(x: tuple, y: tuple) -> bool:
    return len(x) == len(y) and all(
        (u is None and v is None) or (u is not None and v is not None and math.isclose(u, v, rel_tol=1e-9, abs_tol=0))
        for u, v in zip(x, y))


def _note(name: str, designs: list[DesignChain], switched: list[DesignChain], present: Callable) -> str:
    if not any(present(d) for d in designs):
        return "in neither design: no change"
    inputs = MECHANISM_INPUTS[name]
    if not all(_same_values(inputs(d), inputs(designs[0])) for d in designs):
        return ""
    unchanged = all(math.isclose(s.ccd(), d.ccd(), rel_tol=1e-12) for s, d in zip(switched, designs))
    return "the same in both designs: no change" if unchanged else "the same in both designs"


def _focusing(risk: dict, applied_fallback: float) -> float:
    """f [-] of the worst point at the sweep point nearest below the CCD (or at the applied current)."""
    points = [p for p in risk.get("sweep") or [] if p.get("failed") is None and p.get("flaws")]
    ccd = risk.get("ccd")
    below = [p for p in points if ccd is None or p["applied_current_density"] <= ccd]
    point = max(below, key=lambda p: p["applied_current_density"]) if below else risk.get("at_applied")
    if not point or not point.get("flaws"):
        return 1.0
    worst = max(point["flaws"], key=lambda st: st.get("ratio") or 0.0)
    applied = point.get("applied_current_density") or applied_fallback
    return abs(worst["current_density"]) / applied if applied else 1.0


def design_chain(case, summary: dict) -> DesignChain | None:
    """The chain of one run (``case``, its ``summary.json`` content); None when its criterion is
    neither fracture_toughness nor critical_overpotential, or it has no risk section."""
    from solver.config.adapter import case_kinetics

    risk = summary.get("risk")
    if not risk or risk.get("criterion") not in ("fracture_toughness", "critical_overpotential"):
        return None
    criterion = risk["criterion"]
    influence = without = yielded = None
    if criterion == "fracture_toughness":
        k = risk.get("worst_flaw") or 0
        matrix = risk.get("influence_matrix_m05") or []
        if not matrix:
            return None
        influence = float(matrix[k][k])
        bare = risk.get("influence_without_anode_m05")
        without = float(bare[k][k]) if bare else None
        li_yielded = risk.get("influence_li_yielded_m05")
        yielded = float(li_yielded[k][k]) if li_yielded else None
    onset = (summary.get("electronic") or {}).get("onset_current_density")
    return DesignChain(
        name=case.name, criterion=criterion, current_density=case_kinetics(case, "plating").current_density,
        focusing=_focusing(risk, case.electrochemistry.applied_current_density),
        critical_overpotential=risk["threshold"] if criterion == "critical_overpotential" else None,
        fracture_toughness=risk["threshold"] if criterion == "fracture_toughness" else None,
        influence=influence, influence_without_anode=without, influence_li_yielded=yielded, onset=onset,
        fe_ccd=risk.get("ccd"),
    )


def _mean(values) -> float:
    values = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(values)) if values else math.nan


def mechanism_rows(design_a: list[DesignChain], design_b: list[DesignChain]) -> list[dict]:
    """Rows ``switched_off`` (None: all on), ``ccd_a``, ``ccd_b`` [A/m^2] (mean over the
    realisations), ``ratio`` [-], ``note``; the realisations of B are switched against the
    first realisation of A."""
    base = design_a[0]
    rows = []
    for name, (switch, meaning, present) in [(None, (None, "every mechanism on", None)), *MECHANISMS.items()]:
        a = design_a if switch is None else [switch(d, base) for d in design_a]
        b = design_b if switch is None else [switch(d, base) for d in design_b]
        ccd_a, ccd_b = _mean(d.ccd() for d in a), _mean(d.ccd() for d in b)
        note = "" if switch is None else _note(name, design_a + design_b, a + b, present)
        rows.append({"switched_off": name, "meaning": meaning, "ccd_a": ccd_a, "ccd_b": ccd_b,
                     "ratio": ccd_b / ccd_a if ccd_a else math.nan, "note": note})
    rows.append({"switched_off": "(finite-element CCD)", "meaning": "the runs' own CCD search",
                 "ccd_a": _mean(d.fe_ccd for d in design_a), "ccd_b": _mean(d.fe_ccd for d in design_b),
                 "ratio": math.nan, "note": "check of the chain's all-on row"})
    fe = rows[-1]
    fe["ratio"] = fe["ccd_b"] / fe["ccd_a"] if fe["ccd_a"] and math.isfinite(fe["ccd_a"]) else math.nan
    return rows


def write_mechanism_csv(path: Path, pairs: list[tuple[str, str, list[dict]]]) -> None:
    """``mechanisms.csv``: one row per (design pair, mechanism); CCDs in A/m^2."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["design_a", "design_b", "switched_off", "meaning", "ccd_a_A_m2", "ccd_b_A_m2", "ratio_b_a",
                    "note"])
        for a, b, rows in pairs:
            for r in rows:
                w.writerow([a, b, r["switched_off"] or "(none: all on)", r["meaning"], r["ccd_a"], r["ccd_b"],
                            r["ratio"], r["note"]])


def _cell(value: float, scale: float = 1.0) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value * scale:.3g}"


def mechanism_markdown(a: str, b: str, rows: list[dict], measured_ratio: float | None = None) -> list[str]:
    """The table of one design pair (CCDs in mA/cm^2) and a sentence on the measured ratio."""
    lines = [f"| mechanism switched off | meaning | CCD {a} [mA/cm^2] | CCD {b} [mA/cm^2] | ratio {b}/{a} [-] | |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['switched_off'] or '(all on)'} | {r['meaning']} | {_cell(r['ccd_a'], 0.1)} | "
                     f"{_cell(r['ccd_b'], 0.1)} | {_cell(r['ratio'])} | {r['note']} |")
    predicted = rows[0]["ratio"]
    if measured_ratio is not None and math.isfinite(predicted):
        lines.append(f"| measured | | | | {measured_ratio:.3g} | |")
        lines += ["", f"The chain gives a ratio of {predicted:.3g} against the measured {measured_ratio:.3g}: a "
                  f"factor {measured_ratio / predicted:.3g} must come from mechanisms the model does not contain."]
    return lines
