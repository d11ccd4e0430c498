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

Every generator declares, without building anything, what it draws for given parameters
(:class:`GeometryDeclaration`: dimension, regions, boundaries, flaws with their tip data);
``dendrite validate`` checks a case against it before any meshing, and the driver checks
that the mesh drawn matches it.

Adding a geometry: write one module with a pydantic parameter model, a declaration and a
builder decorated with :func:`register`; import it at the bottom of this file, or ship it
in a plugin (entry-point group ``dendrite.geometries``, see ``docs/plugins.md``). See
``docs/adding_a_geometry.md`` for a complete example.
"""

from __future__ import annotations

import dataclasses
import hashlib
import inspect
import sys
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveFloat

from solver.config.units import Quantity

__all__ = ["GeometryParameters", "MeshSettings", "Generator", "GeometryDeclaration", "FlawTip", "Flaws",
           "register", "registry", "get", "slab"]

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


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FlawTip(_Frozen):
    """A Li-filled flaw of the anode surface and its tip (lengths in m).

    ``tip`` is the deepest point, ``mouth`` the centre of the opening on the mean surface,
    ``direction`` the unit vector from the mouth into the electrolyte.
    """

    tip: tuple[float, ...]
    direction: tuple[float, ...]
    mouth: tuple[float, ...]
    depth: float = Field(gt=0, description="mouth to tip along direction [m]")
    width: float = Field(gt=0, description="opening of the mouth [m]")
    tip_radius: float = Field(ge=0, description="radius of curvature at the tip [m] (0: a sharp crack)")
    shape: str


class Flaws(_Frozen):
    """The flaws a geometry provides and what can be computed at their tips."""

    tips: tuple[FlawTip, ...]
    stress_intensity: bool = Field(description="the mode-I stress intensity K_I of the tips can be computed "
                                   "(2D plane strain interaction integral, or along a 3D crack front)")


class GeometryDeclaration(_Frozen):
    """What a generator draws for given parameters, known without drawing it.

    ``regions`` / ``boundaries`` are always drawn; ``optional_*`` may be drawn depending on
    the random realisation (e.g. grain-boundary facets when there is more than one grain).
    """

    dimension: Literal[2, 3]
    regions: frozenset[str]
    boundaries: frozenset[str]
    optional_regions: frozenset[str] = frozenset()
    optional_boundaries: frozenset[str] = frozenset()
    flaws: Flaws | None = None

    def mismatch(self, dimension: int, regions: set[str], boundaries: set[str]) -> str | None:
        """How a drawn model differs from the declaration (None if it does not)."""
        problems = []
        if dimension != self.dimension:
            problems.append(f"dimension {dimension} instead of {self.dimension}")
        for what, drawn, always, maybe in (("regions", regions, self.regions, self.optional_regions),
                                           ("boundaries", boundaries, self.boundaries, self.optional_boundaries)):
            if missing := always - drawn:
                problems.append(f"{what} {sorted(missing)} declared but not drawn")
            if extra := drawn - always - maybe:
                problems.append(f"{what} {sorted(extra)} drawn but not declared")
        return "; ".join(problems) or None


@dataclasses.dataclass(frozen=True)
class Generator:
    """A registered geometry generator.

    ``declare(parameters)`` returns the :class:`GeometryDeclaration` of the geometry drawn
    for those parameters (cheap: no Gmsh), or None for a generator registered without one
    (then nothing about it can be checked before meshing).

    ``kind`` is ``"gmsh"`` for a builder that draws into a Gmsh model, or the name of a
    description (:mod:`meshes.described`: ``"height_map"``, ``"voxels"``) for a builder
    ``build(params, mesh) -> description`` that the mesh driver turns into a structured
    DOLFINx mesh without Gmsh.
    """

    name: str
    parameters: type[GeometryParameters]
    build: Callable
    description: str
    declare: Callable[[GeometryParameters], GeometryDeclaration | None]
    kind: str = "gmsh"

    def source_digest(self) -> str:
        """A hash of the source of the builder's package (its modules now loaded): an edited
        builder or helper changes it, so that the mesh cache builds the mesh again."""
        module = inspect.getmodule(self.build)
        top = module.__name__.split(".")[0] if module is not None else ""
        names = sorted(n for n in list(sys.modules) if n == top or n.startswith(top + "."))
        digest = hashlib.sha256()
        for name in names:
            try:
                path = inspect.getsourcefile(sys.modules[name])
            except TypeError:  # a built-in or namespace module has no source file
                path = None
            if path:
                with open(path, "rb") as f:
                    digest.update(name.encode() + b"\0" + f.read())
        return digest.hexdigest()[:16]


registry: dict[str, Generator] = {}


def register(name: str, parameters: type[GeometryParameters],
             declare: GeometryDeclaration | Callable[[GeometryParameters], GeometryDeclaration] | None = None,
             kind: str = "gmsh"):
    """Decorator: register ``build`` under ``name`` with its parameter model and declaration.

    ``declare`` is a :class:`GeometryDeclaration` (the same for all parameters) or a function
    of the parameters that returns one. Every generator should declare: without it a case
    is checked against its geometry only once meshed. ``kind``: see :class:`Generator`.
    """
    if declare is None or isinstance(declare, GeometryDeclaration):
        fixed = declare

        def declare(_parameters, fixed=fixed):
            return fixed
    elif not callable(declare):  # a declaration or a function giving one
        raise TypeError(f"geometry {name!r}: declare must be a GeometryDeclaration or a function returning one")

    def decorate(build: Callable) -> Callable:
        if name in registry:
            raise ValueError(f"geometry {name!r} is registered twice")
        doc = (build.__doc__ or "").strip().splitlines()
        registry[name] = Generator(name, parameters, build, doc[0] if doc else "", declare, kind)
        return build

    return decorate


def slab(dimension: int, regions=("electrolyte",), boundaries=("anode_interface", "counter_electrode", "sides"),
         **extra) -> GeometryDeclaration:
    """The declaration of an electrolyte slab on the anode (the common case)."""
    return GeometryDeclaration(dimension=dimension, regions=frozenset(regions), boundaries=frozenset(boundaries),
                               **extra)


def get(name: str) -> Generator:
    """The generator registered under ``name`` (KeyError if none)."""
    return registry[name]


# Registration happens on import of each generator module.
from meshes import cracks, cracks_3d, rough  # noqa: E402,F401
from meshes import anodes, cell, examples_trench, flaws, polycrystal, profile_import, rough3d  # noqa: E402,F401
from meshes import structured3d, voxels  # noqa: E402,F401
from meshes import anodes3d, cell3d  # noqa: E402,F401
