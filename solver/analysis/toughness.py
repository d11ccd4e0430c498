"""Fracture toughness tied to the microstructure: grains, grain boundaries and grain size.

Laws (picked by name from :data:`toughness_laws`) give K_IC [Pa m^0.5] as a function of the
mean grain size d [m]:

- ``constant``: K_IC(d) = K.
- ``table``: a measured table K_IC(d_k), interpolated linearly in log d between the
  measured sizes and held at the end values outside them (never extrapolated). Shipped:
  the LLZO table of Sharafi et al. 2017 (seed 003, Table 1) in
  ``solver/materials/data/grain_size_tables.yaml``.

Crack path at a grain boundary. A mode-I flaw whose tip meets a grain boundary inclined at
theta to the flaw plane can run along the boundary (intergranular) or straight on through
the grain (transgranular). To first order in the kink angle (Cotterell and Rice,
Int. J. Fract. 16 (1980) 155), the opening stress intensity on the kinked path is
k_1 = K_I cos^3(theta / 2). The flaw advances when the first path reaches its toughness:

    K_IC,eff = min(K_IC,grain, K_IC,gb / cos^3(theta / 2))          (tip on a GB)
    K_IC,eff = K_IC,grain                                            (tip inside a grain)

and the path is ``intergranular`` when the second term is the smaller.
"""

from __future__ import annotations

import dataclasses
import math
from functools import cache
from importlib import resources
from typing import ClassVar

import numpy as np
import yaml

__all__ = [
    "PathToughness",
    "ToughnessLaw",
    "grain_size_table",
    "make_toughness_law",
    "measured_outcome",
    "microstructure_toughness",
    "shipped_tables",
    "toughness_laws",
]

toughness_laws: dict[str, type[ToughnessLaw]] = {}


class ToughnessLaw:
    """K_IC(d) [Pa m^0.5] of the mean grain size d [m]."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.name:
            toughness_laws[cls.name] = cls

    def __call__(self, grain_size: float) -> float:
        raise NotImplementedError


class Constant(ToughnessLaw):
    """K_IC(d) = fracture_toughness [Pa m^0.5]."""

    name = "constant"

    def __init__(self, fracture_toughness: float):
        if not fracture_toughness > 0:
            raise ValueError(f"fracture toughness must be > 0 Pa m^0.5, got {fracture_toughness}")
        self.fracture_toughness = fracture_toughness

    def __call__(self, grain_size: float) -> float:
        return self.fracture_toughness


class Table(ToughnessLaw):
    """Measured K_IC(d_k) [Pa m^0.5] at grain sizes d_k [m]: linear in log d, clamped at the ends."""

    name = "table"

    def __init__(self, grain_sizes, fracture_toughness, source: str = ""):
        d, k = np.asarray(grain_sizes, float), np.asarray(fracture_toughness, float)
        if d.ndim != 1 or d.shape != k.shape or d.size < 1 or np.any(d <= 0) or np.any(k <= 0):
            raise ValueError("a toughness table needs matching positive grain sizes and toughness values")
        order = np.argsort(d)
        self.grain_sizes, self.fracture_toughness, self.source = d[order], k[order], source

    def __call__(self, grain_size: float) -> float:
        if not grain_size > 0:
            raise ValueError(f"grain size must be > 0 m, got {grain_size}")
        return float(np.interp(math.log(grain_size), np.log(self.grain_sizes), self.fracture_toughness))


def make_toughness_law(name: str, **parameters) -> ToughnessLaw:
    """The law registered as ``name`` (KeyError listing the allowed names)."""
    if name not in toughness_laws:
        raise KeyError(f"unknown toughness law {name!r}; allowed: {', '.join(toughness_laws)}")
    return toughness_laws[name](**parameters)


_UNITS = {"um": 1e-6, "MPa*m^0.5": 1e6, "mS/cm": 0.1, "mA/cm^2": 10.0}


@cache
def _tables() -> dict:
    text = resources.files("solver").joinpath("materials/data/grain_size_tables.yaml").read_text()
    return yaml.safe_load(text)


def shipped_tables() -> list[str]:
    """Names of the shipped grain-size tables."""
    return list(_tables())


def grain_size_table(name: str, column: str = "fracture_toughness") -> tuple[np.ndarray, np.ndarray, str]:
    """(grain sizes [m], column values [SI], source) of a shipped table, as model inputs.

    A measured outcome (``outcome: true``, e.g. the CCD) is refused here (ValueError): it is
    read only by :func:`measured_outcome`, for comparisons, never by a prediction.
    """
    tables = _tables()
    if name not in tables:
        raise KeyError(f"unknown grain-size table {name!r}; shipped: {', '.join(tables)}")
    t = tables[name]
    col = t[column]
    if col.get("outcome"):
        raise ValueError(f"{name}.{column} is a measured outcome: compare with it, never predict from it")
    d = np.asarray(t["grain_size"]["values"], float) * _UNITS[t["grain_size"]["unit"]]
    return d, np.asarray(col["values"], float) * _UNITS[col["unit"]], t["source"]


def measured_outcome(name: str, column: str) -> tuple[np.ndarray, np.ndarray, str]:
    """(grain sizes [m], measured outcome [SI], source): for comparison tables only."""
    t = _tables()[name]
    d = np.asarray(t["grain_size"]["values"], float) * _UNITS[t["grain_size"]["unit"]]
    col = t[column]
    return d, np.asarray(col["values"], float) * _UNITS[col["unit"]], t["source"]


@dataclasses.dataclass(frozen=True)
class PathToughness:
    """Effective K_IC [Pa m^0.5] at a flaw tip and the crack path it implies."""

    fracture_toughness: float
    path: str  # "transgranular" | "intergranular"


def microstructure_toughness(grain: float, grain_boundary: float | None, tip_on_grain_boundary: bool,
                             kink_angle: float = 0.0) -> PathToughness:
    """Effective K_IC [Pa m^0.5] of a tip (see the module docstring).

    Args:
        grain: K_IC of the grain interiors [Pa m^0.5].
        grain_boundary: K_IC of the boundaries [Pa m^0.5] (None: boundaries as tough as grains).
        tip_on_grain_boundary: whether the tip meets a boundary.
        kink_angle: angle theta between the flaw plane and the boundary [rad], |theta| < pi.
    """
    if not tip_on_grain_boundary or grain_boundary is None:
        return PathToughness(grain, "transgranular")
    if not abs(kink_angle) < math.pi:
        raise ValueError(f"kink angle must lie in (-pi, pi) rad, got {kink_angle}")
    along = grain_boundary / math.cos(0.5 * kink_angle) ** 3
    return PathToughness(along, "intergranular") if along < grain else PathToughness(grain, "transgranular")
