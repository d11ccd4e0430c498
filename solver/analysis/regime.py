"""Which current-distribution regime a case is in: polarisation length L_p vs feature size.

For a surface feature of lateral size l (wavelength, correlation length, grain size, flaw
depth) the kinetics damp the geometric focusing by the factor

    a(l) = 1 / (1 + 2 pi L_p / l),      L_p = sigma (R_ct + R_f)  [m],

the first-order solution for a sinusoidal electrode of wavelength l (physics.md section 6,
verified in the test suite): a -> 1 is the primary (geometric) limit, a -> 0 a uniform
current whatever the shape. The regime names follow a: ``geometric`` (a >= 0.9, the full
geometric focusing), ``mixed`` (0.1 < a < 0.9), ``kinetic`` (a <= 0.1: features this size
barely focus the current; differences between designs must come from elsewhere).
"""

from __future__ import annotations

import math

__all__ = ["focusing_attenuation", "polarisation_regime"]

GEOMETRIC, KINETIC = 0.9, 0.1  # attenuation thresholds of the regime names [-]


def focusing_attenuation(polarisation_length: float, feature_size: float) -> float:
    """a = 1 / (1 + 2 pi L_p / l) [-] (L_p, l in m; L_p = 0: primary, a = 1)."""
    if feature_size <= 0:
        raise ValueError(f"feature size must be > 0 m, got {feature_size}")
    return 1.0 / (1.0 + 2.0 * math.pi * polarisation_length / feature_size)


def polarisation_regime(polarisation_length: float, feature_size: float,
                        feature: str = "interface length scale") -> dict:
    """The regime of a feature: ``attenuation`` [-], ``regime`` name and a one-line ``explanation``."""
    a = focusing_attenuation(polarisation_length, feature_size)
    name = "geometric" if a >= GEOMETRIC else "kinetic" if a <= KINETIC else "mixed"
    meaning = {
        "geometric": "the geometric focusing of these features acts in full",
        "mixed": "the kinetics smooth the focusing of these features in part",
        "kinetic": "features this size barely focus the current (uniform to within the attenuation)",
    }[name]
    return {
        "feature": feature,
        "feature_size": feature_size,
        "polarisation_length": polarisation_length,
        "attenuation": a,
        "regime": name,
        "explanation": f"L_p = {polarisation_length * 1e6:.3g} um vs {feature} {feature_size * 1e6:.3g} um: "
                       f"focusing kept to {a:.2g} of its geometric value; {meaning}",
    }
