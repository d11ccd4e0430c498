"""The package's own metrics, registered on import (see :mod:`solver.analysis.registry`).

The ``conduction`` functions read properties of
:class:`solver.analysis.metrics.ConductionContext`; the equations are given there. Sign
convention: interface current densities are from the electrolyte into the anode, positive
for plating; statistics are taken along the operating direction.
"""

from __future__ import annotations

import math

from solver.analysis import cycling_metrics as cm
from solver.analysis.registry import Metric, register_metric

CURRENT_DENSITY = {"unit": "A/m^2", "display_unit": "mA/cm^2"}
POTENTIAL = {"unit": "V", "display_unit": "mV"}
#: the interface overpotential: with primary kinetics it is zero up to round-off, relative to the cell voltage
OVERPOTENTIAL = {**POTENTIAL, "round_off_reference": "cell_voltage"}
ASR = {"unit": "ohm m^2", "display_unit": "ohm cm^2"}
AREA = {"unit": "m^2", "display_unit": "um^2", "unit_2d": "m", "display_unit_2d": "um"}
CURRENT = {"unit": "A", "display_unit": "mA", "unit_2d": "A/m", "display_unit_2d": "mA/m"}
NUMBER = {"unit": "", "display_unit": ""}



def _mechanics_computed(risk: dict) -> bool:
    """K_I was computed: flaws with a non-zero influence matrix (the criterion needs mechanics)."""
    return bool(risk.get("flaws")) and any(any(row) for row in risk.get("influence_matrix_m05") or [])


def _ccd_metric(risk: dict):
    """The CCD [A/m^2]; inf when searched and not reached below ccd_maximum; None (no metric)
    when not searched (``ccd: false``, no flaw for a fracture criterion) or not determined."""
    if risk.get("ccd") is not None:
        return risk["ccd"]
    note = risk.get("ccd_note") or ""
    return math.inf if note.startswith("criterion not reached") else None


def _sampled(name: str):
    """A statistic of the interface samples (every rank holds them)."""
    return lambda c: c.sample_statistics[name]


def _focusing(name: str):
    """An interior or void-edge focusing metric (None when not computed)."""
    return lambda c: c.focusing.get(name)


_BUILTINS = [
    Metric("interface_area", description="area of the anode interface (true contact area)",
           compute=lambda c: c.area, report=False, table=False, **AREA),
    Metric("counter_area", description="area of the counter electrode (projected area)",
           compute=lambda c: c.counter_area, report=False, table=False, **AREA),
    Metric("applied_current", description="cell current (galvanostatic: applied; potentiostatic: counter flux)",
           compute=lambda c: c.applied_current, report=False, table=False, **CURRENT),
    Metric("applied_current_density_projected", label="applied current density",
           description="cell current over the projected (counter) area",
           compute=lambda c: c.applied_current / c.counter_area, table=False, **CURRENT_DENSITY),
    Metric("interface_current", description="kinetics current integrated over the interface",
           compute=lambda c: c.interface_current, report=False, table=False, **CURRENT),
    Metric("charge_balance_error", label="charge balance error", description="|I_interface - I_applied| / |I_applied|",
           compute=lambda c: c.charge_balance_error, table=False, **NUMBER),
    Metric("counter_potential", label="polarisation (counter potential)",
           description="mean electrolyte potential on the counter boundary vs the anode",
           compute=lambda c: c.counter_potential, **POTENTIAL),
    Metric("cell_voltage", label="cell voltage", description="counter electrode vs anode, with the counter kinetics",
           compute=lambda c: c.cell_voltage, table=False, **POTENTIAL),
    Metric("charge_transfer_resistance", label="charge-transfer resistance R_ct",
           description="linearised charge-transfer resistance of the anode kinetics",
           compute=lambda c: c.settings.kinetics.charge_transfer_resistance, table=False, **ASR),
    Metric("film_resistance", description="area-specific resistance of an interface film",
           compute=lambda c: c.settings.kinetics.film_resistance, report=False, table=False, **ASR),
    Metric("asr_split", label="ASR", description="area-specific resistance of each loss; 'total' is their sum",
           compute=lambda c: c.asr_split, report=False, **ASR),
    Metric("polarisation_length", label="polarisation length sigma (R_ct + R_f)",
           description="sigma * (R_ct + R_f) per region", compute=lambda c: c.polarisation_length,
           table=False, unit="m", display_unit="um"),
    Metric("polarisation_length_ratio", description="anode-side polarisation length / interface_length_scale_m",
           compute=lambda c: c.polarisation_length_ratio, report=False, table=False, **NUMBER),
    Metric("mean_interface_current_density", label="mean interface current (contact)",
           description="interface current / interface area", compute=_sampled("mean_current_density"),
           table=False, **CURRENT_DENSITY),
    Metric("max_interface_current_density", label="worst local current density",
           description="largest interface current density (vertex values)",
           compute=_sampled("max_current_density"), **CURRENT_DENSITY),
    Metric("min_interface_current_density", description="smallest interface current density (vertex values)",
           compute=_sampled("min_current_density"), report=False, table=False, **CURRENT_DENSITY),
    Metric("p_interface_current_density", description="area-weighted percentile given by 'percentile'",
           compute=_sampled("percentile_current_density"), report=False, table=False, **CURRENT_DENSITY),
    Metric("focusing_factor", label="focusing factor max/mean", description="max / mean interface current density",
           compute=_sampled("focusing_factor"), **NUMBER),
    Metric("focusing_factor_percentile", label="focusing factor p99/mean",
           description="area-weighted percentile ('percentile') / mean interface current density",
           compute=_sampled("focusing_factor_percentile"), **NUMBER),
    Metric("percentile", description="percentile of the robust focusing factor", compute=lambda c: c.percentile,
           report=False, table=False, unit="percent", display_unit="percent"),
    Metric("hot_spot", label="hot spot", description="position of the largest interface current density",
           compute=_sampled("hot_spot"), table=False, unit="m", display_unit="um"),
    Metric("hot_spots", description="top local maxima: position [m] and current_density [A/m^2]",
           compute=_sampled("hot_spots"), report=False, table=False, unit="m", display_unit="um"),
    Metric("mean_overpotential", label="mean overpotential", description="area-weighted mean of eta",
           compute=_sampled("mean_overpotential"), table=False, **OVERPOTENTIAL),
    Metric("max_abs_overpotential", label="worst local overpotential magnitude", description="max |eta|",
           compute=_sampled("max_abs_overpotential"), **OVERPOTENTIAL),
    Metric("min_overpotential", description="smallest eta", compute=_sampled("min_overpotential"),
           report=False, table=False, **OVERPOTENTIAL),
    Metric("max_overpotential", description="largest eta", compute=_sampled("max_overpotential"),
           report=False, table=False, **OVERPOTENTIAL),
    Metric("overpotential_std", description="area-weighted standard deviation of eta",
           compute=_sampled("overpotential_std"), report=False, table=False, **OVERPOTENTIAL),
    Metric("overpotential_percentiles", description="area-weighted percentiles of eta, keyed by percent",
           compute=_sampled("overpotential_percentiles"), report=False, table=False, **OVERPOTENTIAL),
    Metric("effective_conductivity", stage="homogenisation", label="effective conductivity",
           description="anode -> counter direction, homogenised over the meshed microstructure",
           compute=lambda c: c.effective_conductivity(), unit="S/m", display_unit="mS/cm"),
    Metric("worst_risk_ratio", stage="risk", label="worst risk ratio at the applied current",
           description="largest ratio of the risk criterion over the flaws (1 = critical)",
           compute=lambda r: r.get("worst_ratio"), **NUMBER),
    Metric("worst_stress_intensity", stage="risk", label="worst K_I at the applied current",
           description="mode-I stress intensity at the worst flaw",
           compute=lambda r: r.get("worst_stress_intensity") if _mechanics_computed(r) else None,
           unit="Pa m^0.5", display_unit="MPa m^0.5"),
    Metric("critical_current_density", stage="risk", label="predicted CCD",
           description="applied current density at which the criterion is first met (inf: not in range)",
           compute=lambda r: _ccd_metric(r), **CURRENT_DENSITY),
    Metric("combined_critical_current_density", stage="combined_risk", label="predicted CCD, all criteria",
           description="smallest CCD over risk.criterion and risk.also (inf: none in range); risk.combined.mechanism "
           "names the criterion that sets it",
           compute=lambda r: math.inf if r.get("ccd") is None else r["ccd"], **CURRENT_DENSITY),
    Metric("guard_band", description="interior metrics ignore the interface this close to the lateral sides",
           compute=_focusing("guard_band"), report=False, table=False, unit="m", display_unit="um"),
    Metric("interior_max_interface_current_density", label="worst local current density (interior)",
           description="largest interface current density outside the guard band",
           compute=_focusing("interior_max_interface_current_density"), report=False, **CURRENT_DENSITY),
    Metric("interior_focusing_factor", label="focusing factor max/mean (interior)",
           description="interior max / mean interface current density", compute=_focusing("interior_focusing_factor"),
           report=False, **NUMBER),
    Metric("interior_focusing_factor_percentile", label="focusing factor p99/mean (interior)",
           description="interior percentile ('percentile') / mean interface current density",
           compute=_focusing("interior_focusing_factor_percentile"), report=False, **NUMBER),
    Metric("interior_hot_spot", description="position of the largest interior interface current density",
           compute=_focusing("interior_hot_spot"), report=False, table=False, unit="m", display_unit="um"),
    Metric("interior_error", description="why the interior metrics are missing (text)",
           compute=_focusing("interior_error"), report=False, table=False, **NUMBER),
    Metric("void_edges", description="contact edges (voids): count, current averaged over averaging_length next "
           "to each edge [A/m^2], edge_focusing_factor [-]", compute=_focusing("void_edges"), report=False,
           table=False, **CURRENT_DENSITY),
    Metric("max_stress_intensity", stage="fracture", label="largest K_I",
           description="largest mode-I stress intensity over the crack tips or front nodes of a fracture case",
           compute=lambda r: r.max_stress_intensity, unit="Pa m^0.5", display_unit="MPa m^0.5"),
    Metric("polarisation_regime", description="feature_size and polarisation_length [m], attenuation of the "
           "geometric focusing [-], regime name", compute=lambda c: c.polarisation_regime, report=False,
           table=False, unit="m", display_unit="um"),
]

# stage "cycling": a cycling run (rows and summary), solver.analysis.cycling_metrics
_CYCLING = [
    Metric("time_to_short", stage="cycling", label="time to short", description="time at which a filament or crack "
           "spans the electrolyte (inf: no short within the simulated time)", compute=cm.time_to_short, unit="s",
           display_unit="h"),
    Metric("short_current_density", stage="cycling", label="CCD step reached (current at short)",
           description="|applied current density| of the half cycle in which the cell shorts (inf: no short)",
           compute=cm.short_current_density, **CURRENT_DENSITY),
    Metric("highest_current_density", stage="cycling", label="highest current density applied",
           description="largest |applied current density| of the simulated run (a lower bound of the CCD when it "
           "did not short)", compute=cm.over_rows("applied_current_density_A_m2"), **CURRENT_DENSITY),
    Metric("final_contact_fraction", stage="cycling", label="final contact fraction",
           description="anode contact fraction (interface mean) after the last step",
           compute=cm.final("contact_fraction"), **NUMBER),
    Metric("lowest_contact_fraction", stage="cycling", label="lowest contact fraction",
           description="smallest local anode contact fraction over the run",
           compute=cm.over_rows("min_contact_fraction", min), **NUMBER),
    Metric("final_counter_contact_fraction", stage="cycling", label="final counter contact fraction",
           description="counter electrode contact fraction after the last step (symmetric cell)",
           compute=cm.final("counter_contact_fraction"), **NUMBER),
    Metric("highest_local_current_density", stage="cycling", label="peak local current density",
           description="largest local current density on the contacted anode area over the run",
           compute=cm.over_rows("peak_local_current_density_A_m2"), **CURRENT_DENSITY),
    Metric("highest_cell_voltage", stage="cycling", label="largest |cell voltage|",
           description="largest |cell voltage| over the run", compute=cm.over_rows("cell_voltage_V"), **POTENTIAL),
    Metric("final_filament_length", stage="cycling", label="longest filament",
           description="longest filament at the end of the run", compute=cm.final("max_filament_length_m"),
           unit="m", display_unit="um"),
    Metric("cycling_worst_risk_ratio", stage="cycling", label="worst risk ratio over the run",
           description="largest ratio of the risk criterion over every plating step (1 = a filament starts)",
           compute=cm.over_rows("worst_risk_ratio"), **NUMBER),
    Metric("final_crack_length", stage="cycling", label="crack length at the end",
           description="longest crack of the meshed flaws at the end of the run (cycling.flaws)",
           compute=cm.crack_length, unit="m", display_unit="um"),
    Metric("cycling_worst_stress_intensity_ratio", stage="cycling", label="worst K_I/K_IC over the run",
           description="largest K_I/K_IC of the meshed flaws over every step (cycling.flaws; 1 = the crack grows)",
           compute=cm.when_present("worst_stress_intensity_ratio"), **NUMBER),
    Metric("simulated_time", stage="cycling", label="simulated time", description="time reached by the run",
           compute=lambda c: c.summary.get("simulated_time_s"), unit="s", display_unit="h", table=False),
]

from solver.analysis.electronic_metrics import ELECTRONIC_METRICS  # noqa: E402  (stage "electronic")

for _item in _BUILTINS + _CYCLING + ELECTRONIC_METRICS:
    register_metric(_item)
