"""A 3D Li | electrolyte cell with a rough anode interface z = h(x, y).

The electrolyte fills ``0 < x < width``, ``0 < y < depth``, ``h(x, y) < z < thickness``;
the Li anode below ``z = h`` is not meshed (equipotential conductor) and is seen as the
boundary ``anode_interface``. ``counter_electrode``: ``z = thickness``; ``sides``: the four
lateral faces. ``h`` has zero mean (up to the B-spline smoothing noted below).

Height maps:

* ``random``: Gaussian random field with a Gaussian spectrum, autocorrelation
  ``C(r) = h_rms^2 exp(-r^2 / l_c^2)``, seeded, periodic in x and y (FFT synthesis);
* ``sinusoids``: ``h = sum_k a_k cos(2 pi (x / lx_k + y / ly_k) + phase_k)`` (a wavelength of
  0 means no variation along that axis; wavelengths must divide the box, so h is periodic);
* ``image``: a CSV grid of heights (rows along y, columns along x, values in ``unit``) or a
  grayscale PNG (gray 0..1 scaled to 0..``max_height``), resampled bilinearly onto the box
  and made mean-free (not periodic in general).

The interface is an OpenCASCADE B-spline surface (cubic) whose control net is the height
map sampled with spacing <= l/4 (l: smallest feature); the control net slightly smooths
the map, so the metadata report the mean and RMS of the *surface*, integrated over it.
The box is split by the surface with one boolean fragment (two solids). The model is
drawn in micrometres and dilated by 1e-6 at the end (OCC's 1e-7 tolerance would otherwise
be 1 % of a 10 um cell).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from meshes import GeometryDeclaration, GeometryParameters, MeshSettings, register, slab
from meshes._tools import box_faces, gaussian_height_map, min_field, scale_and_name_box, threshold_field
from meshes.contact3d import ContactPatches, classify_faces, imprint_patches
from solver.config.inputs import check_path_text, read_csv_numbers, read_png_gray
from solver.config.units import Quantity, to_si

Length = Quantity("m")
_UM = 1e-6


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RandomMap(_Strict):
    """Seeded periodic Gaussian random height map."""

    kind: Literal["random"] = Field(description="'random': Gaussian-spectrum random map")
    rms_height: Length = Field(gt=0, description="RMS height h_rms [m]")
    correlation_length: Length = Field(gt=0, description="correlation length l_c [m]")
    seed: int = Field(0, ge=0, description="random seed")

    def heights(self, x, y, width, depth):
        n = [int(2 ** np.ceil(np.log2(max(64, 8 * L / self.correlation_length)))) for L in (width, depth)]
        grid = gaussian_height_map(tuple(n), (width, depth), self.rms_height, self.correlation_length, self.seed)
        return _periodic_bilinear(grid, x / width, y / depth)

    def smallest_feature(self, width, depth):
        return self.correlation_length


class SinusoidMode2(_Strict):
    amplitude: Length = Field(description="amplitude a [m]")
    wavelength_x: Length = Field(0.0, ge=0, description="wavelength along x (0: constant in x) [m]")
    wavelength_y: Length = Field(0.0, ge=0, description="wavelength along y (0: constant in y) [m]")
    phase: float = Field(0.0, description="phase [rad]")


class SinusoidMap(_Strict):
    """h = sum_k a_k cos(2 pi (x / lx_k + y / ly_k) + phase_k)."""

    kind: Literal["sinusoids"] = Field(description="'sinusoids': sum of plane cosine waves")
    modes: list[SinusoidMode2] = Field(min_length=1, description="the cosine modes")

    def heights(self, x, y, width, depth):
        h = np.zeros_like(x)
        for m in self.modes:
            kx = 1 / m.wavelength_x if m.wavelength_x else 0.0
            ky = 1 / m.wavelength_y if m.wavelength_y else 0.0
            h += m.amplitude * np.cos(2 * np.pi * (kx * x + ky * y) + m.phase)
        return h

    def smallest_feature(self, width, depth):
        return min([w for m in self.modes for w in (m.wavelength_x, m.wavelength_y) if w > 0] or [width])



def check_height_map(height_map, width: float, depth: float, thickness: float, heights: np.ndarray) -> None:
    """A sinusoid's wavelengths must divide the box (periodic sides), and the sampled
    ``heights`` [m] stay below half the ``thickness``; ValueError otherwise."""
    if isinstance(height_map, SinusoidMap):
        for m in height_map.modes:
            for w, L, axis in ((m.wavelength_x, width, "x"), (m.wavelength_y, depth, "y")):
                if w and abs(L / w - round(L / w)) > 1e-6:
                    raise ValueError(f"wavelength_{axis} {w:.3g} m does not divide the box ({L:.3g} m)")
    if np.max(np.abs(heights)) >= 0.5 * thickness:
        raise ValueError(f"the height map reaches |h| = {np.max(np.abs(heights)):.3g} m; keep it below half the thickness")

class ImageMap(_Strict):
    """Height map from a CSV grid or a grayscale PNG."""

    kind: Literal["image"] = Field(description="'image': CSV grid or grayscale PNG")
    file: str = Field(description="CSV grid (rows: y, columns: x) or PNG image")
    unit: str = Field("um", description="unit of the CSV values (ignored for PNG)")
    max_height: Length = Field(1e-6, gt=0, description="height of white (gray 1) in a PNG [m]")

    @field_validator("file")
    @classmethod
    def _path(cls, v):
        return check_path_text(v)

    def grid(self) -> np.ndarray:
        from meshes.profile_import import resolve

        path = resolve(self.file)
        if path.suffix.lower() == ".png":
            grid = read_png_gray(path)[::-1] * self.max_height  # image rows run top-down, y up
        else:
            grid = np.atleast_2d(read_csv_numbers(path)) * to_si(f"1 {self.unit}", "m")
        if grid.ndim != 2 or min(grid.shape) < 2 or np.isnan(grid).any():
            raise ValueError(f"{path}: need a full 2D grid of numbers (at least 2 x 2)")
        return grid - grid.mean()

    def heights(self, x, y, width, depth):
        from scipy.interpolate import RegularGridInterpolator

        g = self.grid()
        f = RegularGridInterpolator((np.linspace(0, depth, g.shape[0]), np.linspace(0, width, g.shape[1])), g)
        return f(np.stack([np.clip(y, 0, depth), np.clip(x, 0, width)], axis=-1))

    def smallest_feature(self, width, depth):
        g = self.grid()  # pixel-scale detail is noise: resolve 4 pixels, at most 32 features per side
        return max(4 * min(width / (g.shape[1] - 1), depth / (g.shape[0] - 1)), min(width, depth) / 32)


HeightMap = Annotated[Union[RandomMap, SinusoidMap, ImageMap], Field(discriminator="kind")]


def _periodic_bilinear(grid: np.ndarray, s: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Bilinear interpolation of a periodic grid at fractional coordinates s, t in [0, 1]."""
    nx, ny = grid.shape
    u, v = (s % 1.0) * nx, (t % 1.0) * ny
    i, j = np.floor(u).astype(int), np.floor(v).astype(int)
    fu, fv = u - i, v - j
    g = lambda a, b: grid[a % nx, b % ny]  # noqa: E731
    return (1 - fu) * (1 - fv) * g(i, j) + fu * (1 - fv) * g(i + 1, j) + (1 - fu) * fv * g(i, j + 1) + fu * fv * g(i + 1, j + 1)


class RoughInterface3D(GeometryParameters):
    width: Length = Field(10e-6, gt=0, description="box width along x [m]")
    depth: Length = Field(10e-6, gt=0, description="box depth along y [m]")
    thickness: Length = Field(10e-6, gt=0, description="electrolyte thickness L along z, mean interface to counter [m]")
    height_map: HeightMap = Field(
        default_factory=lambda: RandomMap(kind="random", rms_height=0.3e-6, correlation_length=2.5e-6),
        description="interface height map h(x, y)",
    )
    control_points: int = Field(0, ge=0, le=96, description="B-spline control points per side (0: from the feature size) [-]")
    contact: ContactPatches = Field(default_factory=ContactPatches,
                                    description="contact loss: circular void patches on the interface")

    def net(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Control net (x, y, h) [m], shape (n_y, n_x)."""
        feature = self.height_map.smallest_feature(self.width, self.depth)
        if self.control_points:
            nx = ny = self.control_points
        else:
            nx, ny = (int(np.clip(np.ceil(4 * L / feature), 8, 64)) + 1 for L in (self.width, self.depth))
        x, y = np.meshgrid(np.linspace(0, self.width, nx), np.linspace(0, self.depth, ny))
        return x, y, self.height_map.heights(x, y, self.width, self.depth)

    @model_validator(mode="after")
    def _check(self):
        check_height_map(self.height_map, self.width, self.depth, self.thickness, self.net()[2])
        self.contact.check_box(self.width, self.depth)
        return self


def _surface_moments(model, surface: int) -> tuple[float, float, float]:
    """(integral of z dA_xy, integral of z^2 dA_xy, projected area) of a surface, in the model units."""
    (umin, vmin), (umax, vmax) = model.getParametrizationBounds(2, surface)
    n = 161
    u, v = np.meshgrid(np.linspace(umin, umax, n), np.linspace(vmin, vmax, n), indexing="ij")
    xyz = np.asarray(model.getValue(2, surface, np.stack([u.ravel(), v.ravel()], 1).ravel())).reshape(n, n, 3)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    du, dv = u[1, 0] - u[0, 0], v[0, 1] - v[0, 0]
    xu, xv = np.gradient(x, du, dv)
    yu, yv = np.gradient(y, du, dv)
    jac = np.abs(xu * yv - xv * yu)
    w = np.ones(n)
    w[[0, -1]] = 0.5
    wt = np.outer(w, w) * du * dv * jac
    return float((z * wt).sum()), float((z**2 * wt).sum()), float(wt.sum())


def declare(p: RoughInterface3D) -> GeometryDeclaration:
    voids = ("contact_voids",) if p.contact.count(p.width, p.depth) else ()
    return slab(3, boundaries=("anode_interface", "counter_electrode", "sides", *voids))


@register("rough_interface_3d", RoughInterface3D, declare)
def build(model, p: RoughInterface3D, mesh: MeshSettings) -> dict:
    """3D electrolyte on a rough Li anode: random, sinusoidal or imported height map (B-spline surface)."""
    occ = model.occ
    W, D, L = p.width / _UM, p.depth / _UM, p.thickness / _UM  # drawn in um
    x, y, h = p.net()
    ny, nx = h.shape
    pts = [occ.addPoint(a / _UM, b / _UM, c / _UM) for a, b, c in zip(x.ravel(), y.ravel(), h.ravel())]
    surf = occ.addBSplineSurface(pts, nx, degreeU=3, degreeV=3)
    occ.synchronize()
    mz, mz2, area = _surface_moments(model, surf)  # of the whole surface, before any patch splits it
    mean_h = mz / area * _UM
    rms_h = np.sqrt(max(mz2 / area * _UM**2 - mean_h**2, 0.0))
    pad = np.max(np.abs(h)) / _UM + 0.1 * L
    patches = p.contact.patches(p.width, p.depth)
    contact_faces, void_faces = imprint_patches(occ, surf, patches, (-pad, pad), _UM)
    box = occ.addBox(0, 0, -pad, W, D, L + pad)
    out, _ = occ.fragment([(3, box)], [(2, f) for f in contact_faces + void_faces])
    occ.synchronize()
    vols = [t for d, t in out if d == 3]
    if len(vols) != 2:
        raise RuntimeError(f"the interface did not split the box into two solids (got {len(vols)})")
    below = min(vols, key=lambda t: occ.getCenterOfMass(3, t)[2])
    electrolyte = max(vols, key=lambda t: occ.getCenterOfMass(3, t)[2])
    occ.remove([(3, below)], recursive=True)
    occ.synchronize()
    top, sides, interface = box_faces(model, electrolyte, W, D, L, 1e-6 * max(W, D, L))
    interface, voids = classify_faces(model, interface, patches, _UM)
    void_area = sum(occ.getMass(2, f) for f in voids) * _UM**2  # true (not projected) area [m^2]
    scale_and_name_box(model, _UM, electrolyte, interface, top, sides)
    if voids:
        model.addPhysicalGroup(2, voids, name="contact_voids")

    feature = p.height_map.smallest_feature(p.width, p.depth)
    h_int = mesh.scaled(mesh.interface_size or min(feature / 6, p.width / 30))
    h_far = max(h_int, mesh.scaled(mesh.size or p.thickness / 8))  # scaled once
    min_field(model, [threshold_field(model, h_int, h_far, 2 * h_int, p.thickness / 2, surfaces=interface + voids,
                                      sampling=60)])
    return {
        "gdim": 3,
        "control_net": [int(nx), int(ny)],
        "interface_mean_height_m": float(mean_h),
        "interface_rms_height_m": float(rms_h),
        "interface_length_scale_m": float(feature),
        "electrolyte_thickness_m": p.thickness,
        "electrolyte_volume_m3": float(p.width * p.depth * (p.thickness - mean_h)),
        "projected_interface_area_m2": p.width * p.depth,
        "contact_fraction": p.contact.fraction,
        "void_patches_m": [list(c) for c in patches],
        "void_area_m2": float(void_area),
    }
