"""Mechanism table: the CCD ratio of two designs with each mechanism switched off in turn.

For designs A and B (:class:`~solver.analysis.sensitivity.CcdInputs`), the table gives the
predicted ratio CCD_B / CCD_A with every mechanism on, then with one mechanism at a time
switched off in both designs (a switch maps inputs to inputs: the mechanism's input set to
its neutral value). A mechanism that carries the difference between the designs makes the
ratio move towards 1 when it is off; one that does not leaves it unchanged. Next to a
measured ratio, the table says how much of it the model explains and how much must come
from physics it does not contain.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from solver.analysis.sensitivity import CcdInputs, median_ccd

__all__ = ["MECHANISM_INPUTS", "MECHANISM_SWITCHES", "format_mechanism_table", "mechanism_table"]

SAME_NOTE = "the same in both designs"
_PROBE_OVERPOTENTIALS = -np.geomspace(1e-4, 0.5, 16)  # [V], plating side


def _no_focusing(inputs: CcdInputs, other: CcdInputs) -> CcdInputs:
    return dataclasses.replace(inputs, tip_focusing=1.0)


def _same_flaws(inputs: CcdInputs, other: CcdInputs) -> CcdInputs:
    """Flaw population of design A in both designs (differences in flaws switched off)."""
    return dataclasses.replace(inputs, population=other.population, parameters=dict(other.parameters),
                               electrode_area=other.electrode_area)


def _same_toughness(inputs: CcdInputs, other: CcdInputs) -> CcdInputs:
    return dataclasses.replace(inputs, fracture_toughness=other.fracture_toughness)


def _same_kinetics(inputs: CcdInputs, other: CcdInputs) -> CcdInputs:
    return dataclasses.replace(inputs, current_density=other.current_density)


def _no_anode_shielding(inputs: CcdInputs, other: CcdInputs) -> CcdInputs:
    return dataclasses.replace(inputs, anode_shielding=1.0)


#: name -> switch(inputs of a design, inputs of design A) -> inputs with the mechanism off
MECHANISM_SWITCHES: dict[str, Callable[[CcdInputs, CcdInputs], CcdInputs]] = {
    "focusing": _no_focusing,
    "flaws": _same_flaws,
    "toughness": _same_toughness,
    "interphase_mechanics": _no_anode_shielding,
    "interface_kinetics": _same_kinetics,
}

#: name -> the inputs through which the mechanism enters a design's CCD
MECHANISM_INPUTS: dict[str, Callable[[CcdInputs], tuple]] = {
    "focusing": lambda d: (d.tip_focusing,),
    "flaws": lambda d: (d.population, *sorted(d.parameters.items()), d.electrode_area),
    "toughness": lambda d: (d.fracture_toughness,),
    "interphase_mechanics": lambda d: (d.anode_shielding,),
    "interface_kinetics": lambda d: tuple(float(d.current_density(eta)) for eta in _PROBE_OVERPOTENTIALS),
}


def _same(name: str, a: CcdInputs, b: CcdInputs) -> bool:
    inputs = MECHANISM_INPUTS.get(name)
    if inputs is None:
        return False
    x, y = inputs(a), inputs(b)
    return len(x) == len(y) and all(u == v or (isinstance(u, float) and isinstance(v, float)
                                               and np.isclose(u, v, rtol=1e-9, atol=0)) for u, v in zip(x, y))


def mechanism_table(design_a: CcdInputs, design_b: CcdInputs, realisations: int = 2000,
                    switches: dict | None = None) -> list[dict]:
    """Rows ``{"switched_off": name | None, "ccd_a", "ccd_b" [A/m^2], "ratio" [-], "note"}``;
    the first row has every mechanism on."""
    switches = MECHANISM_SWITCHES if switches is None else switches
    rows = []
    for name, switch in [(None, None), *switches.items()]:
        a = design_a if switch is None else switch(design_a, design_a)
        b = design_b if switch is None else switch(design_b, design_a)
        ccd_a, ccd_b = median_ccd(a, realisations), median_ccd(b, realisations)
        note = SAME_NOTE if name is not None and _same(name, design_a, design_b) else ""
        rows.append({"switched_off": name, "ccd_a": ccd_a, "ccd_b": ccd_b, "ratio": ccd_b / ccd_a, "note": note})
    return rows


def format_mechanism_table(rows: list[dict], names: tuple[str, str], measured_ratio: float | None = None) -> str:
    """A Markdown table of the rows (CCDs in mA/cm^2), with the measured ratio when given."""
    a, b = names
    lines = [f"| mechanism switched off | CCD {a} [mA/cm^2] | CCD {b} [mA/cm^2] | ratio {b}/{a} | |",
             "|---|---|---|---|---|"]
    for r in rows:
        label = r["switched_off"] or "(all on)"
        lines.append(f"| {label} | {r['ccd_a'] * 0.1:.3g} | {r['ccd_b'] * 0.1:.3g} | {r['ratio']:.3g} | "
                     f"{r.get('note', '')} |")
    if measured_ratio is not None:
        predicted = rows[0]["ratio"]
        lines.append(f"| measured | | | {measured_ratio:.3g} | |")
        lines.append("")
        lines.append(f"The model gives {predicted:.3g} of the measured {measured_ratio:.3g}; a factor "
                     f"{measured_ratio / predicted:.3g} must come from mechanisms the model does not contain.")
    return "\n".join(lines)
