"""Voxel microstructures: a 3D label array meshed directly, one box cell per voxel (no Gmsh).

The label array comes from one of three sources (``geometry.labels.kind``):

* ``voronoi``: a polycrystal of ``grain_count`` grains (or ``N = box volume / D^3`` for a
  ``mean_grain_size`` D), seeds placed as in ``polycrystal_3d`` (random sequential
  addition with a hard-core distance ``(1 - spread) 0.7 D``); voxel label = nearest seed
  (1..N);
* ``core_shell``: Voronoi domains of ``mean_domain_size`` whose voxels within half the
  ``shell_thickness`` of a domain's Voronoi face form the shell phase (label 0); the
  distance of a voxel centre x to the face between its nearest seeds s1, s2 is
  ``(|x - s2|^2 - |x - s1|^2) / (2 |s2 - s1|)``;
* ``file``: a segmented CT / FIB-SEM stack, TIFF or NumPy ``.npy``, of integer labels,
  axes ``zyx`` (image stacks: one slice per z) or ``xyz``; the voxel size comes from the
  case (``voxel_size``) or, for TIFF, from its ImageJ metadata.

The slab is ``0 < x < nx dx`` etc., the anode at z = 0 (``anode_interface``), the counter
electrode at the top. ``regions`` maps labels to regions (keys: a label, a range
``"a-b"``, or ``other``); voronoi maps every grain to ``grains``, core_shell the shell to
``grain_boundaries`` and the cores to ``grains``. Facets between two different labels of
the same region are ``grain_boundary_facets`` (the zero-thickness GB model).

The stack is checked before anything is meshed: integer labels only (a floating-point or
many-valued image is not segmented), at most ``MAX_LABELS`` distinct labels, every label
with a region, a voxel size, and a mesh that fits ``memory_limit``.
"""

from __future__ import annotations

import functools
import os
from typing import Annotated, ClassVar, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, field_validator, model_validator

from meshes import GeometryDeclaration, GeometryParameters, MeshSettings, register, slab
from meshes._tools import hard_core_seeds
from meshes.described import GB_FACETS, LabelVolume
from meshes.rough3d import HeightMap, check_height_map
from meshes.structured3d import height_moments
from solver.config.inputs import InputFileError, check_path_text, read_label_stack
from solver.config.units import Quantity
from solver.errors import CaseError

Length = Quantity("m")
Bytes = Quantity("B")
CellType = Literal["tetrahedron", "hexahedron"]
MAX_LABELS = 65536
MAX_GRAINS = 20000
REGION_NAMES = ("grains", "grain_boundaries", "electrolyte", "interphase")
_HARD_CORE = 0.7  # r_min / D at spread = 0 (as polycrystal_3d)
_CHUNK = 1 << 20  # voxels per nearest-seed query


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Box(_Strict):
    width: Length = Field(10e-6, gt=0, description="box width along x [m]")
    depth: Length = Field(10e-6, gt=0, description="box depth along y [m]")
    thickness: Length = Field(10e-6, gt=0, description="electrolyte thickness along z (anode to counter) [m]")
    seed: int = Field(0, ge=0, description="random seed")
    spread: float = Field(0.5, ge=0, le=1, description="size spread: 0 nearly equal domains, 1 Poisson-Voronoi [-]")

    def box(self) -> np.ndarray:
        return np.array([self.width, self.depth, self.thickness])

    def seeds(self, count: int, size: float) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return hard_core_seeds(rng, np.zeros(3), self.box(), count, (1 - self.spread) * _HARD_CORE * size)


class VoronoiLabels(_Box):
    """Voronoi polycrystal: label = nearest seed (1..N)."""

    kind: Literal["voronoi"] = Field(description="'voronoi': a Voronoi polycrystal")
    grain_count: PositiveInt | None = Field(None, le=MAX_GRAINS, description="number of grains N [-]")
    mean_grain_size: Length | None = Field(None, gt=0, description="mean grain size D (N = box volume / D^3) [m]")

    @model_validator(mode="after")
    def _one_size(self):
        if (self.grain_count is None) == (self.mean_grain_size is None):
            raise ValueError("give exactly one of grain_count and mean_grain_size")
        if self.count() > MAX_GRAINS:
            raise ValueError(f"{self.count()} grains exceed the limit of {MAX_GRAINS}; enlarge mean_grain_size")
        return self

    def count(self) -> int:
        if self.grain_count is not None:
            return self.grain_count
        return int(max(1, round(float(np.prod(self.box())) / self.mean_grain_size**3)))

    def feature(self) -> float:
        return float(np.prod(self.box()) / self.count()) ** (1 / 3)

    def labels(self, shape, voxel) -> np.ndarray:
        seeds = self.seeds(self.count(), self.feature())
        nearest, _ = _nearest_two(seeds, shape, voxel, k=1)
        return (nearest + 1).astype(np.int32)

    def default_regions(self) -> dict:
        return {"other": "grains"}


class CoreShellLabels(_Box):
    """Core-shell nanodomains: cores (1..N) in a continuous shell phase (0)."""

    kind: Literal["core_shell"] = Field(description="'core_shell': domains in a shell phase")
    mean_domain_size: Length = Field(gt=0, description="mean domain size D, shell included [m]")
    shell_thickness: Length = Field(gt=0, description="shell thickness between two cores [m]")

    @model_validator(mode="after")
    def _sizes(self):
        if self.shell_thickness >= 0.5 * self.mean_domain_size:
            raise ValueError("shell_thickness must be below half the mean_domain_size")
        if self.count() > MAX_GRAINS:
            raise ValueError(f"{self.count()} domains exceed the limit of {MAX_GRAINS}; enlarge mean_domain_size")
        return self

    def count(self) -> int:
        return int(max(2, round(float(np.prod(self.box())) / self.mean_domain_size**3)))

    def feature(self) -> float:
        return self.shell_thickness

    def labels(self, shape, voxel) -> np.ndarray:
        seeds = self.seeds(self.count(), self.mean_domain_size)
        nearest, distance = _nearest_two(seeds, shape, voxel, k=2)
        labels = (nearest + 1).astype(np.int32)
        labels[distance < 0.5 * self.shell_thickness] = 0
        return labels

    def default_regions(self) -> dict:
        return {0: "grain_boundaries", "other": "grains"}


class ImageLabels(_Strict):
    """A segmented image stack (TIFF or NumPy) of integer labels."""

    kind: Literal["file"] = Field(description="'file': a segmented TIFF or .npy stack")
    file: str = Field(description="path of the stack (.tif, .tiff or .npy; a relative path: the working directory, then the repository root)")
    axes: Literal["zyx", "xyz"] = Field("zyx", description="array axis order (image stacks: zyx)")

    @field_validator("file")
    @classmethod
    def _path(cls, v):
        return check_path_text(v)


LabelSource = Annotated[Union[VoronoiLabels, CoreShellLabels, ImageLabels], Field(discriminator="kind")]


def _nearest_two(seeds: np.ndarray, shape, voxel, k: int):
    """Nearest seed of every voxel centre and, for k = 2, the distance to the Voronoi face
    between the two nearest seeds [m]."""
    from scipy.spatial import cKDTree

    tree = cKDTree(seeds)
    n = int(np.prod(shape))
    nearest = np.empty(n, np.int64)
    distance = np.empty(n) if k == 2 else None
    for start in range(0, n, _CHUNK):
        idx = np.unravel_index(np.arange(start, min(start + _CHUNK, n)), shape)
        x = (np.stack(idx, axis=1) + 0.5) * np.asarray(voxel)
        d, j = tree.query(x, k=k)
        if k == 1:
            nearest[start:start + len(x)] = j
            continue
        nearest[start:start + len(x)] = j[:, 0]
        gap = np.linalg.norm(seeds[j[:, 1]] - seeds[j[:, 0]], axis=1)
        distance[start:start + len(x)] = (d[:, 1] ** 2 - d[:, 0] ** 2) / (2 * gap)
    return nearest.reshape(shape), (distance.reshape(shape) if k == 2 else None)


def _region_key(key) -> tuple[int, int] | None:
    """A regions key as an inclusive label range, or None for ``other``."""
    if key == "other":
        return None
    if isinstance(key, int):
        return key, key
    text = str(key).strip()
    try:
        if "-" in text[1:]:
            a, b = text[0] + text[1:].split("-", 1)[0], text[1:].split("-", 1)[1]
            return int(a), int(b)
        return int(text), int(text)
    except ValueError:
        raise ValueError(f"regions key {key!r}: give a label (3), a range ('1-200') or 'other'") from None


def assign_regions(labels: np.ndarray, regions: dict) -> dict[int, str]:
    """label -> region of every label present; raises CaseError for a label without one."""
    ranges = [(_region_key(k), v) for k, v in regions.items()]
    other = next((v for r, v in ranges if r is None), None)
    out = {}
    for label in np.unique(labels).tolist():
        region = next((v for r, v in ranges if r is not None and r[0] <= label <= r[1]), other)
        if region is None:
            raise CaseError("geometry.regions", f"label {label} of the stack has no region (so no material); map it "
                            f"(e.g. '{label}: grains', a range '1-200: grains' or 'other: electrolyte')")
        out[int(label)] = region
    return out


class Voxel3D(GeometryParameters):
    size_key: ClassVar[str] = "geometry.voxel_size"

    labels: LabelSource = Field(
        default_factory=lambda: VoronoiLabels(kind="voronoi", grain_count=50),
        description="where the voxel labels come from: voronoi, core_shell or file")
    voxel_size: Length | list[Length] | None = Field(
        None, description="voxel edge (one length, or [dx, dy, dz]) [m]; generated labels: default the smallest "
        "feature / 4, times mesh.size_factor; a stack: required unless its TIFF metadata give it")
    regions: dict[Union[int, str], str] | None = Field(
        None, description="label (or 'a-b' range, or 'other') -> region; default: grains (and grain_boundaries "
        "for the core_shell shell)")
    cell_type: CellType = Field("hexahedron", description="cells: hexahedron (one per voxel) or tetrahedron (6)")
    smoothing: int = Field(0, ge=0, le=20, description="Taubin smoothing passes of the label interfaces [-]")
    memory_limit: Bytes | None = Field(None, gt=0, description="largest memory the run may use [B] "
                                       "(default: half of this machine's)")
    height_map: HeightMap | None = Field(
        None, description="a rough anode: the voxel grid mapped onto z' = h + (L - h) z / L over the height map "
        "h(x, y) (the labels follow the cells; none: a flat anode)")

    @field_validator("voxel_size")
    @classmethod
    def _positive(cls, v):
        if isinstance(v, list) and len(v) != 3:
            raise ValueError(f"one length or three ([dx, dy, dz]), got {len(v)}")
        if v is not None and min(v if isinstance(v, list) else [v]) <= 0:
            raise ValueError("a voxel size must be positive")
        return v

    @field_validator("regions")
    @classmethod
    def _regions(cls, v):
        for key, name in (v or {}).items():
            _region_key(key)
            if name not in REGION_NAMES:
                raise ValueError(f"region {name!r} for label {key!r}: allowed {', '.join(REGION_NAMES)}")
        return v

    def region_map(self) -> dict:
        if self.regions is not None:
            return dict(self.regions)
        if isinstance(self.labels, ImageLabels):
            raise CaseError("geometry.regions", "required for an image stack: map its labels to regions "
                            "(e.g. {1-200: grains} or {1: grains, 2: electrolyte})")
        return self.labels.default_regions()

    def spacing(self, stack_size=None, size_factor: float = 1.0) -> tuple[float, float, float]:
        """(dx, dy, dz) [m]; a generated label array's voxels are scaled by ``size_factor``
        (``mesh.size_factor``), a stack's are its own."""
        if self.voxel_size is not None:
            v = self.voxel_size if isinstance(self.voxel_size, list) else [self.voxel_size] * 3
            if len(v) != 3:
                raise CaseError("geometry.voxel_size", f"one length or three ([dx, dy, dz]), got {len(v)}")
            scale = 1.0 if isinstance(self.labels, ImageLabels) else size_factor
            return tuple(float(a) * scale for a in v)
        if isinstance(self.labels, ImageLabels):
            if stack_size is None:
                raise CaseError("geometry.voxel_size", f"required: the stack {self.labels.file!r} does not "
                                "give its voxel size (e.g. voxel_size: 0.1 um)")
            return stack_size
        return (self.labels.feature() / 4 * size_factor,) * 3

    def shape(self, size_factor: float = 1.0) -> tuple[int, int, int]:
        """Voxels along x, y, z of a generated label array."""
        d = self.spacing(size_factor=size_factor)
        return tuple(max(1, int(round(L / h))) for L, h in zip(self.labels.box(), d))

    def estimated_size(self, mesh: MeshSettings = None) -> tuple[float, float]:
        """(cells, unknowns of a discontinuous P1 potential: the most a case can need) [-]."""
        factor = 1.0 if mesh is None else mesh.size_factor
        shape = self.stack()[0].shape if isinstance(self.labels, ImageLabels) else self.shape(factor)
        return _size(shape, self.cell_type)

    def stack(self):
        """(labels (x, y, z), voxel size) of an image stack (read once per file version)."""
        from meshes.profile_import import resolve

        try:
            path = resolve(self.labels.file)
        except ValueError:
            raise CaseError("geometry.labels.file", f"stack file {self.labels.file!r} not found") from None
        try:
            st = os.stat(path)
            return _read_stack(str(path), self.labels.axes, st.st_mtime_ns, st.st_size, self.cell_type,
                               self.memory_limit)
        except (InputFileError, OSError) as exc:
            raise CaseError("geometry.labels.file", str(exc)) from None

    @model_validator(mode="after")
    def _check(self):
        """Before any meshing: a voxel size, labels with regions, a mesh within the memory limit."""
        if isinstance(self.labels, ImageLabels):
            labels, size = self.stack()
            self._check_heights(np.asarray(labels.shape) * np.asarray(self.spacing(size)))
            assign_regions(labels, self.region_map())
            return self
        self._check_heights(np.asarray(self.shape()) * np.asarray(self.spacing()))
        _check_memory("geometry.voxel_size", self.shape(), self.cell_type, self.memory_limit)
        if self.regions is not None and not any(_region_key(k) is None for k in self.regions):
            raise CaseError("geometry.regions", "generated labels need an 'other' region for the grains")
        return self

    def _check_heights(self, extent: np.ndarray) -> None:
        if self.height_map is not None:
            try:
                check_height_map(self.height_map, *extent, self.heights(extent, (64, 64)))
            except ValueError as exc:
                raise CaseError("geometry.height_map", str(exc)) from None

    def heights(self, extent, cells) -> np.ndarray | None:
        """The height map at the lateral grid vertices [m], shape (nx + 1, ny + 1); None if flat."""
        if self.height_map is None:
            return None
        x, y = np.meshgrid(*(np.linspace(0, extent[a], cells[a] + 1) for a in (0, 1)), indexing="ij")
        return np.asarray(self.height_map.heights(x, y, extent[0], extent[1]), float)


def _size(shape, cell_type: str) -> tuple[float, float]:
    """(cells, unknowns) of one cell (or 6 tetrahedra) per voxel with a discontinuous P1 potential
    (the zero-thickness GB model: 4 per tetrahedron, 8 per hexahedron)."""
    tets = cell_type == "tetrahedron"
    cells = float(np.prod(shape)) * (6 if tets else 1)
    return cells, cells * (4 if tets else 8)


def _check_memory(key: str, shape, cell_type: str, limit) -> None:
    from solver.config.feasibility import check_size

    check_size(key, *_size(shape, cell_type), limit, f"{' x '.join(str(n) for n in shape)} voxels of {cell_type} cells")


@functools.lru_cache(maxsize=4)
def _read_stack(path: str, axes: str, _mtime: int, _size: int, cell_type: str, limit):
    """Labels (x, y, z) and TIFF voxel size (dx, dy, dz) or None; checked before decoding."""
    key = "geometry.labels.file"
    stack = read_label_stack(path)
    if len(stack.shape) != 3:
        raise CaseError(key, f"{path!r} is not a 3D stack (shape {stack.shape})")
    if not (np.issubdtype(stack.dtype, np.integer) or stack.dtype == bool):
        raise CaseError(key, f"{path!r} is not a label array: its voxels are {stack.dtype} (segment it into "
                        "integer labels first)")
    shape = stack.shape[::-1] if axes == "zyx" else stack.shape
    _check_memory(key, shape, cell_type, limit)
    data = np.asarray(stack.array())
    labels = np.ascontiguousarray(data.transpose(2, 1, 0) if axes == "zyx" else data)
    distinct = np.unique(labels)
    small = labels.size == 0 or (int(distinct[0]) >= np.iinfo(np.int32).min and int(distinct[-1]) <= np.iinfo(np.int32).max)
    labels = labels.astype(np.int32 if small else np.int64)
    if distinct.size > MAX_LABELS:
        raise CaseError(key, f"{path!r} has {distinct.size} distinct values; a label array has at most {MAX_LABELS} "
                        "(is it a gray-level image?)")
    size = stack.voxel_size[::-1] if stack.voxel_size is not None else None
    labels.setflags(write=False)
    return labels, size


def declare(p: Voxel3D) -> GeometryDeclaration:
    try:
        regions = sorted(set(p.region_map().values()))
    except CaseError:
        regions = ["grains"]
    return slab(3, regions=regions, optional_boundaries=frozenset({GB_FACETS}))


@register("voxel_3d", Voxel3D, declare, kind="voxels")
def build(p: Voxel3D, mesh: MeshSettings) -> LabelVolume:
    """3D voxel microstructure (Voronoi, core-shell or a segmented stack) meshed voxel by voxel by DOLFINx."""
    if isinstance(p.labels, ImageLabels):
        labels, size = p.stack()
        spacing = p.spacing(size)
        source = {"file": p.labels.file}
    else:
        spacing = p.spacing(size_factor=mesh.size_factor)
        labels = p.labels.labels(p.shape(mesh.size_factor), spacing)
        source = {"seed": p.labels.seed, "domain_count": p.labels.count()}
    regions = assign_regions(labels, p.region_map())
    extent = np.asarray(labels.shape) * np.asarray(spacing)
    metadata = {
        "gdim": 3,
        "generator": "voxel_3d",
        "source": p.labels.kind,
        **source,
        "voxels": [int(n) for n in labels.shape],
        "voxel_size_m": [float(d) for d in spacing],
        "label_count": len(regions),
        "electrolyte_thickness_m": float(extent[2]),
        "projected_interface_area_m2": float(extent[0] * extent[1]),
    }
    names = tuple(sorted(set(p.region_map().values())))
    heights = p.heights(extent, labels.shape)
    if heights is not None:
        metadata["interface_mean_height_m"], metadata["interface_rms_height_m"] = height_moments(heights)
    return LabelVolume(labels, tuple(spacing), regions, p.cell_type, p.smoothing, metadata, names, heights)
