"""Contact loss on a 3D interface: seeded circular void patches of given fraction and size.

The 3D counterpart of :class:`meshes.rough.ContactLoss`: ``n`` non-overlapping discs of
diameter ``d`` (``void_size``) in the (x, y) projection of the interface, centred at
seeded random positions inside the box, with

    n = round((1 - f) W D / (pi d^2 / 4)),    d = sqrt(4 (1 - f) W D / (n pi)),

so that the voids cover exactly the fraction ``1 - f`` of the projected interface area
W D (``f``: the contact ``fraction``; the diameter is adjusted as the 2D void length is,
and a request it would change by more than 25 % is refused). The discs keep a gap of ``d / 10`` from each other and from the
sides (a patch cut by a side would be a mirrored patch of another size). The interface
faces above a disc are tagged ``contact_voids`` (insulating), the rest ``anode_interface``.

Seeding is random sequential addition (``meshes._tools.hard_core_seeds``); void fractions
up to 0.4 place reliably (the jamming limit of discs is 0.547), larger ones are refused.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from meshes._tools import hard_core_seeds
from solver.config.units import Quantity

Length = Quantity("m")

#: largest void fraction 1 - f that random sequential addition places with the gaps kept
MAX_VOID_FRACTION = 0.4
#: most void patches in one cell (each adds a curve loop to the interface mesh)
MAX_PATCHES = 200
#: gap kept between patches and from the sides, in patch diameters
GAP = 0.1


class ContactPatches(BaseModel):
    """Voids at the 3D interface: seeded non-overlapping discs of equal diameter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fraction: float = Field(1.0, gt=0, le=1, description="fraction of the projected interface area in contact [-]")
    void_size: Length | None = Field(None, gt=0, description="diameter of one circular void patch [m]")
    seed: int = Field(0, ge=0, description="random seed for the patch positions")

    @model_validator(mode="after")
    def _check(self):
        if self.fraction < 1 and self.void_size is None:
            raise ValueError("void_size is required when fraction < 1")
        if 1 - self.fraction > MAX_VOID_FRACTION:
            raise ValueError(f"a contact fraction of {self.fraction:.3g} leaves voids on more than "
                             f"{MAX_VOID_FRACTION:.0%} of the interface; at least {1 - MAX_VOID_FRACTION:.2g} "
                             "is needed to place separate circular patches")
        return self

    def count(self, width: float, depth: float) -> int:
        """Number of patches n [-] (0 in full contact)."""
        if self.fraction >= 1:
            return 0
        return max(1, int(round((1 - self.fraction) * width * depth / (np.pi * self.void_size**2 / 4))))

    def check_box(self, width: float, depth: float) -> None:
        """ValueError when the patches cannot fit the box [m] (before any meshing)."""
        n = self.count(width, depth)
        if not n:
            return
        if n > MAX_PATCHES:
            raise ValueError(f"contact loss makes {n} void patches; at most {MAX_PATCHES} (increase void_size)")
        d = self.diameter(width, depth)
        if abs(d / self.void_size - 1) > 0.25:
            raise ValueError(f"contact.void_size {self.void_size:.3g} m: a void fraction of {1 - self.fraction:.3g} "
                             f"on {width:.3g} x {depth:.3g} m takes {n} patch(es) of diameter {d:.3g} m; "
                             "choose a void_size within 25 % of that")
        if d * (1 + 2 * GAP) >= min(width, depth):
            raise ValueError(f"contact.void_size {d:.3g} m does not fit the interface "
                             f"({width:.3g} x {depth:.3g} m) with a gap of {GAP:g} diameters")
        self.patches(width, depth)

    def diameter(self, width: float, depth: float) -> float:
        """The patch diameter d [m] that makes the void fraction exact."""
        n = self.count(width, depth)
        return float(np.sqrt(4 * (1 - self.fraction) * width * depth / (n * np.pi))) if n else 0.0

    def patches(self, width: float, depth: float) -> list[tuple[float, float, float]]:
        """The void discs (x, y, radius) [m], seeded; ValueError if they cannot be separated."""
        n = self.count(width, depth)
        if not n:
            return []
        d = self.diameter(width, depth)
        margin = d / 2 + GAP * d
        lo, hi = np.array([margin, margin]), np.array([width - margin, depth - margin])
        rng = np.random.default_rng(self.seed)
        centres = hard_core_seeds(rng, lo, hi, n, d * (1 + GAP))
        if n > 1:
            gaps = np.linalg.norm(centres[:, None] - centres[None], axis=-1) + np.eye(n) * 1e300
            if gaps.min() < d * (1 + 0.5 * GAP):
                raise ValueError(f"{n} void patches of diameter {d:.3g} m do not fit apart on the interface; "
                                 "lower the void fraction or change contact.void_size")
        return [(float(x), float(y), d / 2) for x, y in centres]


def imprint_patches(occ, surface: int, patches: list[tuple[float, float, float]], z_range: tuple[float, float],
                    scale: float) -> tuple[list[int], list[int]]:
    """Split the OCC ``surface`` by vertical cylinders over the patch discs (model units:
    lengths [m] / ``scale``); returns (contact faces, void faces), to be fragmented with the box."""
    if not patches:
        return [surface], []
    z0, z1 = z_range
    tools = [(3, occ.addCylinder(x / scale, y / scale, z0, 0, 0, z1 - z0, r / scale)) for x, y, r in patches]
    copy = occ.copy([(2, surface)])
    voids, _ = occ.intersect(copy, [(3, t) for _, t in tools], removeObject=True, removeTool=False)
    contact, _ = occ.cut([(2, surface)], tools, removeObject=True, removeTool=True)
    return [t for d, t in contact if d == 2], [t for d, t in voids if d == 2]


def classify_faces(model, faces: list[int], patches: list[tuple[float, float, float]], scale: float):
    """(contact, void) split of interface ``faces`` by whether their centre of mass lies over a disc."""
    contact, voids = [], []
    for f in faces:
        x, y, _ = model.occ.getCenterOfMass(2, f)
        over = any(np.hypot(x * scale - px, y * scale - py) < r for px, py, r in patches)
        (voids if over else contact).append(f)
    return contact, voids
