"""The electronic part of a run: the mixed-conductor state of a case, its metrics, the
resting cell and the internal-Li-formation onset (the ``electronic`` section of summary.json)."""

from __future__ import annotations

from solver.analysis.electronic import (
    ELECTRONIC_UNITS,
    electronic_metrics,
    internal_formation_onset,
    self_discharge,
)
from solver.analysis.electronic_site import formation_site
from solver.analysis.metrics import conduction_metrics
from solver.analysis.risk import combined_ccd
from solver.config.adapter import electronic_problem
from solver.config.case import Case

__all__ = ["combine_with_flaw_risk", "electronic_run", "electronic_summary"]

DEFAULT_ONSET_START = 1.0  # A/m^2 (0.1 mA/cm^2), when the case has no risk section
DEFAULT_ONSET_MAXIMUM = 1e4  # A/m^2 (1 A/cm^2)
IONIC_KEYS = ("mean_overpotential", "min_overpotential", "max_interface_current_density", "focusing_factor",
              "cell_voltage", "charge_balance_error")


def electronic_summary(case: Case, tagged, risk: dict | None = None) -> dict:
    """Mixed-conductor metrics at the case's load, self-discharge at rest, the onset current.

    ``risk``: the flaw-risk section of the same run (its CCD is compared with the onset).
    """
    return electronic_run(case, tagged, risk)[0]


def electronic_run(case: Case, tagged, risk: dict | None = None, space=None):
    """:func:`electronic_summary` and the fields of the state at the case's load
    (:func:`solver.io.electronic_fields.electronic_fields` in ``space``, the run's potential
    space on ``tagged``; None without ``space`` or without electrons)."""
    section = case.model.electronic
    ec = case.electrochemistry
    problem = electronic_problem(case, tagged)
    state = problem.solve()
    fields = None
    if space is not None:  # before the resting cell and the onset search move the state
        from solver.io.electronic_fields import electronic_fields

        fields = electronic_fields(state, space)
    out = electronic_metrics(state, problem, section.critical_supersaturation, section.internal_distance)
    ionic, _, _ = conduction_metrics(state.ionic, case.model.outputs.percentile)
    out["ionic_interface"] = {k: ionic.get(k) for k in IONIC_KEYS}
    out["counter"] = section.counter
    out["electronic_conductivity"] = {r: float(v) for r, v in problem.electronic_conductivity.items()}
    galvanostatic = problem.mode == "galvanostatic"
    if section.self_discharge and galvanostatic and problem.settings.counter.passes_ions:
        out.update(self_discharge(problem))
    combined = case.model.risk is not None and "internal_li_formation" in case.model.risk.also
    if (section.onset or combined) and section.critical_supersaturation > 0 and galvanostatic:
        settings = case.model.risk
        start, maximum, rtol = ((settings.ccd_start, settings.ccd_maximum, settings.ccd_rtol) if settings else
                                (DEFAULT_ONSET_START, DEFAULT_ONSET_MAXIMUM, 2e-3))
        onset, points = internal_formation_onset(problem, section.critical_supersaturation, section.internal_distance,
                                                 start, maximum, rtol, sign=ec.sign)
        out["onset_current_density"] = onset
        out["onset_note"] = None if onset is not None else f"no internal Li formation below {maximum} A/m^2"
        if onset is not None:  # where the first internal Li forms, at the onset current
            out["first_internal_li"] = formation_site(problem.solve(ec.sign * onset), section.internal_distance)
        out["onset_sweep"] = [{"applied_current_density": p.applied_current_density, "ratio": p.worst_ratio,
                               "point": p.flaws[0].tip} for p in points]
        flaw_ccd = (risk or {}).get("ccd")
        if flaw_ccd is not None or onset is not None:
            first = min((v, k) for k, v in (("flaw", flaw_ccd), ("internal_li_formation", onset)) if v is not None)
            out["first_mechanism"] = {"mechanism": first[1], "current_density": first[0]}
    out["units"] = ELECTRONIC_UNITS
    return out, fields


def combine_with_flaw_risk(case: Case, risk: dict | None, electronic: dict | None) -> dict | None:
    """The combined CCD of the ``risk`` section's criterion and its ``also`` criteria
    (:func:`solver.analysis.risk.combined_ccd`): the smallest CCD [A/m^2] and its mechanism.
    None when the case combines nothing."""
    settings = case.model.risk
    if risk is None or settings is None or not settings.also:
        return None
    found = {"internal_li_formation": (electronic or {}).get("onset_current_density")}
    return combined_ccd({risk["criterion"]: risk.get("ccd"), **{name: found[name] for name in settings.also}})
