"""A one-module dendrite plugin, loaded with ``dendrite --plugin examples/single_file_plugin.py ...``.

It adds a geometry (``plain_slab_2d``), a kinetics law with its own parameter
(``sinh``) and a risk criterion (``critical_plating_velocity``); see
``examples/single_file_case.yaml``, which uses all three.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
from pydantic import Field

from meshes import GeometryParameters, MeshSettings, register, slab
from solver.analysis.risk import LI_MOLAR_VOLUME, CriterionParameters, FlawState, RiskCriterion
from solver.config.units import Quantity
from solver.parameters import SI
from solver.physics.kinetics import FARADAY, KineticsLaw, KineticsParameters


# ----------------------------------------------------------------------------- geometry
class PlainSlab2D(GeometryParameters):
    width: Quantity("m") = Field(10e-6, gt=0, description="cell width along the anode [m]")
    thickness: Quantity("m") = Field(10e-6, gt=0, description="electrolyte thickness L [m]")


@register("plain_slab_2d", PlainSlab2D, slab(2))  # 2D; electrolyte; anode_interface, counter_electrode, sides
def build(model, p: PlainSlab2D, mesh: MeshSettings) -> dict:
    """A flat electrolyte slab on a flat anode (uniform mesh)."""
    geo = model.geo
    corners = [(0, 0), (p.width, 0), (p.width, p.thickness), (0, p.thickness)]
    pts = [geo.addPoint(x, y, 0.0) for x, y in corners]
    lines = [geo.addLine(pts[k], pts[(k + 1) % 4]) for k in range(4)]
    surface = geo.addPlaneSurface([geo.addCurveLoop(lines)])
    geo.synchronize()
    model.addPhysicalGroup(2, [surface], name="electrolyte")
    model.addPhysicalGroup(1, [lines[0]], name="anode_interface")
    model.addPhysicalGroup(1, [lines[2]], name="counter_electrode")
    model.addPhysicalGroup(1, [lines[1], lines[3]], name="sides")
    size = model.mesh.field.add("MathEval")
    model.mesh.field.setString(size, "F", repr(mesh.scaled(mesh.size or p.thickness / 8)))
    model.mesh.field.setAsBackgroundMesh(size)
    return {"gdim": 2, "electrolyte_thickness_m": p.thickness, "projected_interface_area_m": p.width}


# ----------------------------------------------------------------------------- kinetics
class SinhParameters(KineticsParameters):
    exchange_current_density: Annotated[float, SI("A/m^2")] | None = Field(
        None, gt=0, description="i0 [A/m^2]; default: the material's")
    characteristic_overpotential: Annotated[float, SI("V")] = Field(
        gt=0, description="eta_0 [V]; 2 R T / F makes the law symmetric Butler-Volmer")


class Sinh(KineticsLaw):
    """i = 2 i0 sinh(eta / eta_0), eta_0 [V] its own parameter."""

    name = "sinh"
    parameters = SinhParameters

    def __init__(self, exchange_current_density: float, temperature: float, characteristic_overpotential: float):
        super().__init__(exchange_current_density, temperature)
        self.eta_0 = characteristic_overpotential

    @classmethod
    def from_parameters(cls, parameters, temperature, exchange_current_density=None):
        i0 = parameters.exchange_current_density or exchange_current_density
        return cls(i0, temperature, parameters.characteristic_overpotential)

    @property
    def charge_transfer_resistance(self) -> float:
        """eta_0 / (2 i0) [ohm m^2]: the slope at eta = 0."""
        return self.eta_0 / (2 * self.exchange_current_density)

    def current_density(self, eta, exp=np.exp):
        x = eta / self.eta_0
        return self.exchange_current_density * (exp(x) - exp(-x))

    def d_current_density(self, eta, exp=np.exp):
        x = eta / self.eta_0
        return self.exchange_current_density * (exp(x) + exp(-x)) / self.eta_0


# ----------------------------------------------------------------------------- risk criterion
class CriticalPlatingVelocityParameters(CriterionParameters):
    critical_plating_velocity: Annotated[float, SI("m/s")] = Field(gt=0, description="v_crit [m/s]")


class CriticalPlatingVelocity(RiskCriterion):
    """Local Li growth velocity v = |i| V_m / F over v_crit (threshold [m/s])."""

    name = "critical_plating_velocity"
    description = "worst v_tip / v_crit"
    parameters = CriticalPlatingVelocityParameters

    def ratio(self, state: FlawState) -> float:
        return abs(state.current_density) * LI_MOLAR_VOLUME / (FARADAY * self.threshold)
