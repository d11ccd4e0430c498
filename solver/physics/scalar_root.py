"""The root of a monotonically increasing scalar function, found without a starting guess.

Used to invert a kinetics law for a uniform current density, eta(j) with i(eta) = j.
Newton's method from eta = j R_ct (the linearised guess) overflows when that guess is
far out on an exponential branch (a symmetric cell at 1000 mA/cm^2 or at a low exchange
current density puts it at tens of volts, where exp(alpha f eta) is beyond 1e308), so:

1. bracket: from 0, step outwards in the direction that reduces |g| with steps doubling
   from ``first_step``, until g changes sign (at most ``limit`` away from 0);
2. bisect the bracket to ``|hi - lo| <= atol + rtol |eta|`` (each halving is exact, never
   overflows, and takes at most ~100 steps from a 100 V bracket to 1e-15 V).

Overflowing values (inf) only carry their sign, which is all bisection uses.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

__all__ = ["increasing_root"]


def increasing_root(g: Callable[[float], float], first_step: float = 1e-3, limit: float = 100.0,
                    atol: float = 1e-15, rtol: float = 1e-13) -> float:
    """x with g(x) = 0 for an increasing g; ``ArithmeticError`` if there is none within ``limit`` of 0."""
    def value(x: float) -> float:
        with np.errstate(over="ignore", invalid="ignore"):
            v = float(g(x))
        if math.isnan(v):
            raise ArithmeticError(f"the function is not defined at {x:g}")
        return v

    g0 = value(0.0)
    if g0 == 0.0:
        return 0.0
    direction = -1.0 if g0 > 0 else 1.0
    lo, step = 0.0, first_step
    while True:
        hi = direction * min(abs(lo) + step, limit) if abs(lo) < limit else None
        if hi is None:
            raise ArithmeticError(f"no root within {limit:g} of 0")
        if value(hi) * direction >= 0:
            break
        lo, step = hi, 2 * step
    lo, hi = (lo, hi) if lo < hi else (hi, lo)
    while hi - lo > atol + rtol * max(abs(lo), abs(hi)):
        mid = 0.5 * (lo + hi)
        if value(mid) < 0:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
