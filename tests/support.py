"""Helpers and constants shared by the test modules (not a test module: nothing here is collected).

Test modules import from here only (``from tests.support import ...``), never from one
another or from ``tests/conftest.py``; fixtures that several modules use live in
``tests/conftest.py``, which imports its helpers from here. ``tests/unit/test_suite_layout.py``
checks the rule.

- meshes: ``make_tagged_box`` (2D/3D box of piecewise-uniform spacing whose regions and
  boundaries are named by predicates, so layer and grain boundaries fall on mesh lines),
  ``slab``, ``lumped_grains``, ``flat_with_gb``; the charge-conservation check
  ``assert_charge_balance`` every solve in the tests runs;
- geometry measures: ``build``, ``measure``, ``boundary_measure``, ``assert_conforming``, ``approx``;
- cases: ``SMALL_CASE``, ``BASE``, ``FLAT`` (cycling), ``compare_case``, ``case_in``, ``flaw_case``;
- MPI: ``shared_tmp`` (one temporary folder for every rank), ``mpirun``, ``needs_mpiexec``.
"""

from __future__ import annotations

import copy
import html.parser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
import dolfinx
import ufl

import meshes
from meshes import MeshSettings
from solver.config.adapter import build_case_mesh, conduction_problem
from solver.config.case import parse_case
from solver.geometry.driver import TaggedMesh, build_mesh
from solver.studies.flaw_risk import FlawRiskAnalysis

#: the repository's root folder (tests/support.py is one level below it)
ROOT = Path(__file__).resolve().parents[1]
#: data files of the tests (reference answers, schemas)
DATA = ROOT / "tests" / "data"


def shared_tmp(tmp_path_factory, name: str = "shared") -> Path:
    """A fresh temporary folder, the same one on every rank (every rank must write into it)."""
    path = str(tmp_path_factory.mktemp(name)) if MPI.COMM_WORLD.rank == 0 else None
    return Path(MPI.COMM_WORLD.bcast(path, root=0))


# --------------------------------------------------------------------------- meshes and checks
def _axis_map(s: np.ndarray, breaks, cells) -> np.ndarray:
    """Map the uniform coordinate s in [0, 1] to the piecewise-uniform one."""
    knots = np.concatenate([[0], np.cumsum(cells)]) / np.sum(cells)
    return np.interp(s, knots, breaks)


def make_tagged_box(
    breaks: list[list[float]],
    cells: list[list[int]],
    regions: dict[str, callable] | None = None,
    boundaries: dict[str, callable] | None = None,
    interior: dict[str, callable] | None = None,
    comm: MPI.Comm = MPI.COMM_WORLD,
    metadata: dict | None = None,
) -> TaggedMesh:
    """A box [breaks[a][0], breaks[a][-1]] per axis with cells[a][j] cells in segment j.

    regions: name -> predicate on cell midpoints x (shape (3, n)); the first match wins,
    unmatched cells go to the first region. boundaries: name -> predicate on exterior
    facet midpoints; interior: name -> predicate on interior facet midpoints (e.g. grain
    boundaries). Triangles / tetrahedra.
    """
    gdim = len(breaks)
    n = [int(np.sum(c)) for c in cells]
    if gdim == 2:
        msh = dolfinx.mesh.create_rectangle(comm, [[0.0, 0.0], [1.0, 1.0]], n)
    else:
        msh = dolfinx.mesh.create_box(comm, [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], n)
    x = msh.geometry.x
    for a in range(gdim):
        x[:, a] = _axis_map(x[:, a], breaks[a], cells[a])
    tdim = gdim
    fdim = tdim - 1
    msh.topology.create_connectivity(fdim, tdim)
    regions = regions or {"electrolyte": lambda x: np.ones(x.shape[1], bool)}
    n_cells = msh.topology.index_map(tdim).size_local + msh.topology.index_map(tdim).num_ghosts
    all_cells = np.arange(n_cells, dtype=np.int32)
    mid = dolfinx.mesh.compute_midpoints(msh, tdim, all_cells).T
    values = np.zeros(n_cells, dtype=np.int32)
    for tag, pred in reversed(list(enumerate(regions.values(), start=1))):
        values[np.asarray(pred(mid), bool)] = tag
    values[values == 0] = 1
    cell_tags = dolfinx.mesh.meshtags(msh, tdim, all_cells, values)

    exterior = dolfinx.mesh.exterior_facet_indices(msh.topology)
    n_facets = msh.topology.index_map(fdim).size_local + msh.topology.index_map(fdim).num_ghosts
    facets = np.arange(n_facets, dtype=np.int32)
    fmid = dolfinx.mesh.compute_midpoints(msh, fdim, facets).T
    is_exterior = np.zeros(n_facets, bool)
    is_exterior[exterior] = True
    f2c = msh.topology.connectivity(fdim, tdim)
    is_interior = np.diff(f2c.offsets) == 2
    tags = np.zeros(n_facets, dtype=np.int32)
    names = {}
    for k, (name, pred) in enumerate(list((boundaries or {}).items()) + list((interior or {}).items()), start=1):
        where = is_exterior if name in (boundaries or {}) else is_interior
        hit = where & np.asarray(pred(fmid), bool) & (tags == 0)
        tags[hit] = k
        names[name] = k
    marked = np.flatnonzero(tags).astype(np.int32)
    facet_tags = dolfinx.mesh.meshtags(msh, fdim, marked, tags[marked])
    return TaggedMesh(
        msh,
        cell_tags,
        facet_tags,
        {name: k for k, name in enumerate(regions, start=1)},
        names,
        dict(metadata or {}),
        {},
    )


def slab(layers: list[tuple[str, float, int]], width: float, nx: int = 2, comm=MPI.COMM_WORLD, gdim: int = 2):
    """A flat cell stacked along the last axis: layers (name, thickness [m], cells) from the anode up.

    Boundaries: ``anode_interface`` (bottom), ``counter_electrode`` (top), ``sides``.
    """
    tops = np.cumsum([t for _, t, _ in layers])
    bottoms = tops - np.array([t for _, t, _ in layers])
    last = gdim - 1
    tol = 1e-9 * tops[-1]

    def in_layer(k):
        return lambda x: (x[last] > bottoms[k]) & (x[last] < tops[k])

    lateral = [[0.0, width], [nx]]
    breaks = [lateral[0]] * (gdim - 1) + [np.concatenate([[0], tops]).tolist()]
    cells = [lateral[1]] * (gdim - 1) + [[c for _, _, c in layers]]
    return make_tagged_box(
        breaks,
        cells,
        regions={name: in_layer(k) for k, (name, _, _) in enumerate(layers)},
        boundaries={
            "anode_interface": lambda x: np.abs(x[last]) < tol,
            "counter_electrode": lambda x: np.abs(x[last] - tops[-1]) < tol,
            "sides": lambda x: np.ones(x.shape[1], bool),
        },
        comm=comm,
    )


def lumped_grains(m: int, comm=MPI.COMM_WORLD) -> TaggedMesh:
    """2 x 2 square grains of side 1 (m cells per grain side), GB facets on x = 1 and y = 1."""

    def on_gb(x):
        return np.isclose(x[0], 1.0) | np.isclose(x[1], 1.0)

    return make_tagged_box([[0.0, 1.0, 2.0]] * 2, [[m, m]] * 2, interior={"grain_boundary_facets": on_gb}, comm=comm)


def assert_charge_balance(metrics: dict, tol: float = 1e-8) -> None:
    """Integrated interface current equals the applied current (relative ``tol``)."""
    assert metrics["charge_balance_error"] < tol, f"charge balance error {metrics['charge_balance_error']:.3e}"


#: conductivity [S/m] and thickness [m] of the slab of ``flat_with_gb``
GB_SLAB_SIGMA = 0.5
GB_SLAB_LENGTH = 20e-6


def flat_with_gb(n_y: int = 8):
    """Slab 0 < y < L (L = GB_SLAB_LENGTH) with a GB on the interior line y = L/2 (parallel to the electrodes)."""
    return make_tagged_box(
        [[0.0, GB_SLAB_LENGTH / 4], [0.0, GB_SLAB_LENGTH / 2, GB_SLAB_LENGTH]],
        [[2], [n_y // 2, n_y // 2]],
        boundaries={
            "anode_interface": lambda x: np.isclose(x[1], 0.0, atol=1e-12),
            "counter_electrode": lambda x: np.isclose(x[1], GB_SLAB_LENGTH, atol=1e-12),
            "sides": lambda x: np.ones(x.shape[1], bool),
        },
        interior={"grain_boundary_facets": lambda x: np.isclose(x[1], GB_SLAB_LENGTH / 2, atol=1e-12)},
    )


# --------------------------------------------------------------------------- geometry measures
def approx(expected, rel=1e-12, abs=0.0):
    """pytest.approx without its default abs = 1e-12, which would swamp SI areas (~1e-11 m^2)."""
    return pytest.approx(expected, rel=rel, abs=abs)


OUTER = ("anode_interface", "contact_voids", "counter_electrode", "sides")


def build(name: str, settings: MeshSettings | None = None, **params):
    p = meshes.get(name).parameters(**params)
    return build_mesh(name, p, settings or MeshSettings()), p


def measure(tm, region: str) -> float:
    """Area/volume of a region [m^dim], summed over ranks."""
    form = dolfinx.fem.form(1.0 * ufl.dx(domain=tm.mesh, subdomain_data=tm.cell_tags, subdomain_id=tm.regions[region]))
    return tm.mesh.comm.allreduce(dolfinx.fem.assemble_scalar(form), MPI.SUM)


def boundary_measure(tm, name: str, interior: bool = False) -> float:
    """Length/area of a tagged set of facets [m^(dim-1)], exterior or interior, summed over ranks.

    Computed from the facet vertices (owned facets only): interior-facet integrals (dS)
    would need the "shared facet" ghost mode, which the driver does not use.
    """
    msh = tm.mesh
    fdim = msh.topology.dim - 1
    facets = owned(tm, tm.facets(name))
    x = msh.geometry.x[dolfinx.mesh.entities_to_geometry(msh, fdim, facets)]
    if fdim == 1:
        local = np.linalg.norm(x[:, 1] - x[:, 0], axis=1).sum()
    else:
        local = 0.5 * np.linalg.norm(np.cross(x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]), axis=1).sum()
    return msh.comm.allreduce(float(local), MPI.SUM)


def owned(tm, facets: np.ndarray) -> np.ndarray:
    n = tm.mesh.topology.index_map(tm.mesh.topology.dim - 1).size_local
    return facets[facets < n]


def exterior_vs_tagged(tm, names=OUTER) -> tuple[int, int, int]:
    """(exterior facets, tagged outer facets, exterior facets that are tagged), owned, summed over ranks."""
    tdim = tm.mesh.topology.dim
    tm.mesh.topology.create_connectivity(tdim - 1, tdim)
    ext = owned(tm, dolfinx.mesh.exterior_facet_indices(tm.mesh.topology))
    tagged = np.unique(np.concatenate([tm.facets(n) for n in names if n in tm.boundaries] + [np.empty(0, np.int32)]))
    tagged = owned(tm, tagged.astype(np.int32))
    comm = tm.mesh.comm
    return (comm.allreduce(ext.size), comm.allreduce(tagged.size), comm.allreduce(np.intersect1d(ext, tagged).size))


def assert_conforming(tm, names=OUTER, extra_exterior: int = 0):
    """Exterior facets are exactly the tagged outer boundaries (+ ``extra_exterior`` untagged ones)."""
    n_ext, n_tagged, n_both = exterior_vs_tagged(tm, names)
    assert n_both == n_tagged, "a tagged outer boundary facet is interior"
    assert n_ext == n_tagged + extra_exterior, f"{n_ext - n_tagged - extra_exterior} untagged exterior facets (cracks?)"


# --------------------------------------------------------------------------- cases
#: the end-to-end test's small case
SMALL_CASE = {
    "name": "small",
    "geometry": {
        "type": "rough_interface_2d",
        "width": "10 um",
        "thickness": "10 um",
        "profile": {"kind": "random", "rms_height": "0.3 um", "correlation_length": "2 um", "seed": 3},
        "contact": {"fraction": 0.8, "void_size": "1 um", "seed": 1},
    },
    "mesh": {"interface_size": "0.1 um", "size": "1 um"},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2"},
    "outputs": {"mesh_cache": None},
}

#: the small case with a coarser mesh and the default outputs (case validation, CLI, sweeps)
BASE = {k: v for k, v in copy.deepcopy(SMALL_CASE).items() if k != "outputs"}
BASE["mesh"] = {"interface_size": "0.2 um", "size": "1 um"}

#: a flat cell with a cycling protocol (constant current, rest, table)
FLAT = {
    "geometry": {"type": "rough_interface_2d", "width": "10 um", "thickness": "20 um", "profile": {"kind": "flat"}},
    "mesh": {"interface_size": "1 um", "size": "2 um"},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"law": "linear"},
                         "counter_kinetics": "same_as_anode"},
    "mechanics": {"stack_pressure": "3 MPa"},
    "outputs": {"mesh_cache": None, "fields": False, "png": False},
    "cycling": {
        "protocol": [
            {"type": "constant_current", "current_density": "0.5 mA/cm^2", "half_cycle_capacity": "0.02 mAh/cm^2",
             "cycles": 1},
            {"type": "rest", "duration": "5 min"},
            {"type": "table", "time": ["0 s", "60 s", "90 s"], "current_density": ["-1 mA/cm^2", "2 mA/cm^2"]},
        ],
        "time_step": {"initial": "5 s", "maximum": "60 s"},
        "interface": {"supply_length": "4 um", "void_depth": "1 um"},
    },
}


def compare_case(name, **kinetics):
    raw = copy.deepcopy(SMALL_CASE)
    raw["name"] = name
    raw["electrochemistry"]["kinetics"] = kinetics
    raw["outputs"]["png"] = True
    return parse_case(raw)


CURRENT = "electrochemistry.applied_current_density"


def case_in(folder: Path, **extra):
    raw = copy.deepcopy(BASE)
    raw["outputs"] = {"directory": str(folder / "results"), "mesh_cache": str(folder / "cache")}
    raw.update(extra)
    return parse_case(raw)


def flaw_case(depth=1e-6, toughness=None, i0=None, lateral="symmetry", flaws=True, criterion="fracture_toughness",
              **risk):
    geometry = {"type": "flaw_2d", "width": "20 um", "thickness": "10 um",
                "flaws": [{"position": "10 um", "depth": depth, "width": "0.2 um", "tip_radius": "25 nm"}]}
    if not flaws:
        geometry = {"type": "rough_interface_2d", "width": "20 um", "thickness": "10 um"}
    raw = {
        "name": "flaw",
        "geometry": geometry,
        "mesh": {"size_factor": 1.5},
        "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
        "electrochemistry": {"applied_current_density": "1 mA/cm^2",
                             "kinetics": {"law": "butler_volmer", **({"exchange_current_density": i0} if i0 else {})}},
        "mechanics": {"lateral": lateral},
        "risk": {"criterion": criterion, "ccd_rtol": 5e-3, "ccd_start": 0.5,
                 **({"fracture_toughness": toughness} if toughness else {}), **risk},
        "outputs": {"mesh_cache": None},
    }
    return parse_case(raw)


#: a 1 um notch in LPSC under a 100 nm Li9Al4+LiCl layer on 2 um Li (flaw_2d anode section)
ANODE_FLAW_CASE = {
    "name": "flaw_anode",
    "geometry": {"type": "flaw_2d", "width": "20 um", "thickness": "10 um",
                 "flaws": [{"position": "10 um", "depth": "1 um", "width": "0.4 um", "tip_radius": "50 nm"}],
                 "anode": {"interphase_thickness": "100 nm", "li_thickness": "2 um", "skeleton_fraction": 0.0}},
    "mesh": {"size_factor": 1.5},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5", "interphase": "Li9Al4+LiCl", "li_metal": "Li"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2", "kinetics": {"law": "butler_volmer"}},
    "risk": {"criterion": "fracture_toughness", "ccd": False},
    "outputs": {"mesh_cache": None},
}


def anode_flaw_case(**sections) -> dict:
    """A deep copy of :data:`ANODE_FLAW_CASE` with top-level ``sections`` replaced."""
    raw = copy.deepcopy(ANODE_FLAW_CASE)
    raw.update(copy.deepcopy(sections))
    return raw


def analysis(case):
    """The flaw-risk analysis of ``case`` on its mesh."""
    problem = conduction_problem(case, build_case_mesh(case))
    return FlawRiskAnalysis(case, problem)


# --------------------------------------------------------------------------- MPI
MPIEXEC = Path(sys.executable).parent / "mpiexec"
needs_mpiexec = pytest.mark.skipif(not MPIEXEC.exists() and not shutil.which("mpiexec"), reason="no mpiexec")


def mpirun(args: list[str], tmp_path: Path, timeout: float = 180) -> subprocess.CompletedProcess:
    exe = str(MPIEXEC) if MPIEXEC.exists() else shutil.which("mpiexec")
    env = dict(os.environ, UCX_TLS="self,sm,tcp", OMP_NUM_THREADS="1")
    return subprocess.run([exe, "-n", "2", *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=timeout)


# --------------------------------------------------------------------------- reports in a browser
CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no headless browser: apt-get install chromium")


class _Tables(html.parser.HTMLParser):
    """Tables (their header cells) and images (their src scheme) of an HTML document."""

    def __init__(self):
        super().__init__()
        self.tables, self.images, self._in_th = [], [], False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "th":
            self._in_th = True
        elif tag == "img":
            self.images.append(dict(attrs).get("src", "")[:22])

    def handle_endtag(self, tag):
        self._in_th = self._in_th and tag != "th"

    def handle_data(self, data):
        if self._in_th and data.strip():
            self.tables[-1].append(data.strip())


def parse_html(text: str) -> _Tables:
    parser = _Tables()
    parser.feed(text)
    return parser


def run_chromium(tmp_path, page, *mode: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,2400", *mode, page.as_uri()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def screenshot(tmp_path, page) -> np.ndarray:
    shot = tmp_path / f"{page.stem}.png"
    run_chromium(tmp_path, page, f"--screenshot={shot}")
    import matplotlib.image

    return matplotlib.image.imread(shot)[..., :3] * 255.0


def coloured_fraction(pixels: np.ndarray) -> float:
    """Fraction of strongly coloured pixels (max - min channel > 60 of 255): the colour
    maps of the pictures; text, table rules and the tinted verdict box stay below 60."""
    return float(np.mean(pixels.max(axis=-1) - pixels.min(axis=-1) > 60))
