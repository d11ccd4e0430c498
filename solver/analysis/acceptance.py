"""Is a solution good enough to report? Checks every solve makes of itself.

A converged Newton iteration is not yet a correct answer: an ill-conditioned system (a
grain-boundary conductivity of 1e-8 S/m next to 1e-1 S/m grains) can stop the linear
solver at its relative tolerance with a current that is not conserved. Each solution is
therefore checked for

* **convergence**: the nonlinear solve reported convergence (``converged`` in the solver
  information; a failed solve raises earlier, this catches a solver that stopped
  without saying so);
* **finiteness**: every scalar metric is a finite number;
* **charge balance**: the current through the anode interface equals the applied
  current, ``|I_interface - I_applied| / |I_applied| <= tolerance``. The two are computed
  independently (the kinetics current integrated over the interface vs the load), so a
  solution that does not satisfy the discrete equations shows up here. A converged
  solution balances to about the Newton tolerance times the condition of the problem:
  1e-12 on the shipped cases; ``DEFAULT_CHARGE_BALANCE_TOLERANCE`` leaves six orders of
  magnitude for harder cases while catching the 1e-3 errors of a stalled linear solve.

:func:`acceptance` returns a JSON-ready record; :func:`require_accepted` raises a
:class:`~solver.errors.SolverError` (exit code 3) naming the failed checks.
"""

from __future__ import annotations

import math

from solver.errors import SolverError

__all__ = ["acceptance", "require_accepted", "DEFAULT_CHARGE_BALANCE_TOLERANCE"]

DEFAULT_CHARGE_BALANCE_TOLERANCE = 1e-6


def _non_finite(metrics: dict, prefix: str = "") -> list[str]:
    bad = []
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, float) and not math.isfinite(value):
            bad.append(name)
        elif isinstance(value, dict):
            bad += _non_finite(value, f"{name}.")
    return bad


def acceptance(metrics: dict, solver_info: dict | None = None,
               charge_balance_tolerance: float = DEFAULT_CHARGE_BALANCE_TOLERANCE) -> dict:
    """The checks of one solution: ``{"passed": bool, "failures": [...], "charge_balance_error": ...}``."""
    failures = []
    if solver_info is not None and solver_info.get("converged") is False:
        failures.append("the solver did not report convergence")
    bad = _non_finite(metrics)
    if bad:
        failures.append(f"non-finite values in {', '.join(bad[:5])}")
    balance = metrics.get("charge_balance_error")
    if isinstance(balance, float) and math.isfinite(balance) and balance > charge_balance_tolerance:
        failures.append(f"charge balance error {balance:.2g} exceeds the tolerance {charge_balance_tolerance:.2g} "
                        "(interface current differs from the applied current)")
    return {"passed": not failures, "failures": failures, "charge_balance_error": balance,
            "charge_balance_tolerance": charge_balance_tolerance}


def require_accepted(record: dict, where: str = "the solution") -> None:
    """Raise a :class:`SolverError` unless ``record`` (from :func:`acceptance`) passed."""
    if not record["passed"]:
        raise SolverError(f"{where} fails its own checks: {'; '.join(record['failures'])}. The result is not "
                          "reported; try a finer mesh, a direct linear solver (solver.linear_solver: direct) or "
                          "less extreme inputs")
