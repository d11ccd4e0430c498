"""The fields of a mixed-conductor state, for the field files of a run (ParaView names with units).

From a solved :class:`~solver.physics.electronic.MixedConductorFields` (docs/electronic.md):

- ``electronic_potential_V``: phi_e = -mu~(e-)/F [V] vs the Li anode (the Fermi level);
- ``li_formation_overpotential_V``: eta_Li = phi_e - phi_i - U_ref [V]; Li metal is stable
  (can form inside the electrolyte) where eta_Li < 0;
- ``li_chemical_potential_J_mol``: mu(Li) - mu(Li metal) = -F eta_Li [J/mol] (> 0: Li can form);
- cell-wise (DG0): ``electronic_current_density_A_m2`` (vector, -sigma_e grad phi_e),
  ``electronic_current_density_magnitude_A_m2`` and ``electronic_conductivity_S_m``.

phi_i here is the electrolyte potential of the mixed conductor (it differs from the
ionic-only ``potential_V`` by the leakage, first order in sigma_e / sigma_i). The point
fields are interpolated into the space of the run's potential (the same element: exact),
so the VTX file keeps them in that element next to ``potential_V``; the XDMF file stores
them as P1 on the mesh nodes, like the potential.
"""

from __future__ import annotations

import dataclasses

import ufl
from dolfinx import fem

from solver.physics.kinetics import FARADAY

__all__ = ["ELECTRONIC_FIELD_UNITS", "ElectronicFieldSet", "electronic_fields"]

ELECTRONIC_FIELD_UNITS = {
    "electronic_potential_V": "V (electron electrochemical potential -mu~(e-)/F, the Fermi level, vs the Li anode)",
    "li_formation_overpotential_V": "V (eta_Li = phi_e - phi_i - U_ref; < 0: Li metal stable inside the electrolyte)",
    "li_chemical_potential_J_mol": "J/mol (mu(Li) - mu(Li metal) = -F eta_Li; > 0: Li can form)",
    "electronic_current_density_A_m2": "A/m^2 (electronic current density vector -sigma_e grad phi_e, cell average)",
    "electronic_current_density_magnitude_A_m2": "A/m^2",
    "electronic_conductivity_S_m": "S/m (cell value; with activity statistics at the solved state)",
}


@dataclasses.dataclass
class ElectronicFieldSet:
    """Functions to write beside the ionic fields: ``point`` in the potential's space,
    ``cell`` in DG0 (scalar or vector), each named with its unit."""

    point: list[fem.Function]
    cell: list[fem.Function]


def _interpolated(expression, V: fem.FunctionSpace, name: str) -> fem.Function:
    out = fem.Function(V, name=name)
    out.interpolate(fem.Expression(expression, V.element.interpolation_points))
    out.x.scatter_forward()
    return out


def electronic_fields(state, space: fem.FunctionSpace) -> ElectronicFieldSet | None:
    """The fields of ``state`` (a MixedConductorFields), point fields in ``space`` (the run's
    potential space, on the same mesh). None without electrons (sigma_e = 0 everywhere)."""
    if state.electronic is None:
        return None
    phi_e = state.electronic.potential
    eta = phi_e - state.ionic.potential - state.equilibrium_potential
    point = [_interpolated(phi_e, space, "electronic_potential_V"),
             _interpolated(eta, space, "li_formation_overpotential_V"),
             _interpolated(-FARADAY * eta, space, "li_chemical_potential_J_mol")]
    msh = space.mesh
    gdim = msh.geometry.dim
    W = fem.functionspace(msh, ("DG", 0, (gdim,)))
    Q = fem.functionspace(msh, ("DG", 0))
    i_e = state.electronic.current_density
    cell = [_interpolated(i_e, W, "electronic_current_density_A_m2"),
            _interpolated(ufl.sqrt(ufl.inner(i_e, i_e)), Q, "electronic_current_density_magnitude_A_m2"),
            _interpolated(state.electronic.conductivity, Q, "electronic_conductivity_S_m")]
    return ElectronicFieldSet(point, cell)
