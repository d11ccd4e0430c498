"""Geometry generators: the registry that maps a YAML ``geometry.type`` to a builder.

A generator is a function ``build(model, params, mesh) -> dict`` that draws a geometry
into the Gmsh ``model`` it is given, sets mesh sizes, and names what it drew with physical
groups. It returns JSON-serialisable metadata (e.g. crack-tip positions, the interface
profile) for post-processors. It knows nothing about DOLFINx; the driver
(:mod:`solver.geometry.driver`) owns Gmsh's start and stop, meshes the model and converts it.

Naming conventions (physical-group names; problems look regions and boundaries up by
these names, never by integers). Every cell belongs to exactly one region and every
tagged facet to exactly one boundary group.

Regions (cells):
    ``electrolyte``       homogeneous solid electrolyte (glass, or grains without GB phase)
    ``grains``            grain interiors of a polycrystal
    ``grain_boundaries``  explicit grain-boundary phase of finite thickness
    ``interphase``        interphase layer on the anode (e.g. Li9Al4 + LiCl)
    ``li_metal``          lithium metal (electronic conductor, used by mechanics)
    ``skeleton``          particles dispersed in the Li bulk of a stratified anode
Boundaries (facets):
    ``anode_interface``   where Li+ is reduced/oxidised (charge transfer happens here)
    ``contact_voids``     parts of the anode interface that lost contact (no current)
    ``counter_electrode`` the opposite face, at distance L from the anode
    ``sides``             lateral faces (insulating/symmetry by default)
    ``grain_boundary_facets``  interior facets between grains (zero-thickness GB model)

Adding a geometry: write one module in this package with a pydantic parameter model and
a builder decorated with :func:`register`, then import it at the bottom of this file.
See ``docs/adding_a_geometry.md`` for a complete example.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat

from solver.config.units import Quantity

__all__ = ["GeometryParameters", "MeshSettings", "Generator", "register", "registry", "get"]

Length = Quantity("m")


class GeometryParameters(BaseModel):
    """Base class for a generator's parameters: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class MeshSettings(BaseModel):
    """Mesh control shared by all generators (lengths in m)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: Length | None = Field(
        None, gt=0, description="element size far from the interface [m]; default: generator's choice"
    )
    interface_size: Length | None = Field(
        None, gt=0, description="element size at the anode interface, flaw tips and thin layers [m]"
    )
    size_factor: PositiveFloat = Field(
        1.0, description="multiplies every element size (for mesh-convergence studies) [-]"
    )
    geometry_order: int = Field(1, ge=1, le=2, description="order of the cell geometry (2 curves cells) [-]")
    algorithm: int | None = Field(None, description="Gmsh Mesh.Algorithm (2D) / Mesh.Algorithm3D code")

    def scaled(self, value: float) -> float:
        """An element size with the global ``size_factor`` applied [m]."""
        return value * self.size_factor


@dataclasses.dataclass(frozen=True)
class Generator:
    """A registered geometry generator."""

    name: str
    parameters: type[GeometryParameters]
    build: Callable
    description: str


registry: dict[str, Generator] = {}


def register(name: str, parameters: type[GeometryParameters]):
    """Decorator: register ``build`` under ``name`` with its parameter model."""

    def decorate(build: Callable) -> Callable:
        if name in registry:
            raise ValueError(f"geometry {name!r} is registered twice")
        doc = (build.__doc__ or "").strip().splitlines()
        registry[name] = Generator(name, parameters, build, doc[0] if doc else "")
        return build

    return decorate


def get(name: str) -> Generator:
    """The generator registered under ``name`` (KeyError if none)."""
    return registry[name]


# Registration happens on import of each generator module.
from meshes import cracks, cracks_3d, rough  # noqa: E402,F401
from meshes import anodes, cell, examples_trench, flaws, polycrystal, profile_import, rough3d  # noqa: E402,F401
