"""Stress intensity along 3D crack fronts (domain interaction integral) against exact and
handbook solutions, and the 3D Porz chain.

References:
- through-thickness edge crack, plate W = 20 a, H = 40 a, faces z = 0, B held in z (exact
  plane strain): K_I(z) = 1.1215 p sqrt(pi a) F(a/W) / F(0) everywhere (Tada's strip fit,
  good to ~0.5 %, as in the 2D tests); K_II = K_III = 0 by symmetry.
- embedded elliptical crack (semi-axes a <= c) in a cube of edge 12 c (~ infinite body),
  face pressure p (Irwin 1962): K_I = p sqrt(pi a) / E(k) (sin^2 phi + (a/c)^2 cos^2 phi)^1/4.
- semi-elliptical surface crack, a/t = 0.2, c/b = 0.1 (Raju and Newman 1981, their
  equations, stated accuracy +-5 % for 0 < a/c <= 1, a/t < 0.8), tension = face pressure
  by superposition.
Measured (P2, front elements a/12 or a/30, 6-15k cells): edge crack within 0.5 % at every
node, K_II and K_III below 0.4 % of K_I; penny and a/c = 0.5 ellipse within 1.1 % at r2 = a/5 and 2a/5
(without the curved-front term: -2 % and -3.5 %); surface crack within 1.5 % of Raju-Newman
for 9 <= phi <= 81 deg, -3 % at the deepest point (a mirrored end, where the tent is cut
in half), and the free-surface point phi = 0 off by 15-30 % (the vertex singularity there
is not r^-1/2: reported, not trusted).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import solver  # noqa: F401  (before dolfinx)
from mpi4py import MPI
from scipy.special import ellipe

import meshes
from meshes import MeshSettings
from meshes.cracks import edge_crack_factor
from solver.geometry.driver import build_mesh
from solver.physics.elasticity import ElasticityProblem
from solver.physics.fracture_3d import _hooke, crack_fronts, front_stress_intensity, williams_gradient
from tests.support import ROOT

E, NU = 22e9, 0.3  # LPSCl-like [Pa], [-]
P = 50e6  # face pressure [Pa]
A = 1e-6  # crack depth / semi-axis [m]


def _build(name: str, size_factor: float = 1.0, comm=MPI.COMM_WORLD, **params):
    generator = meshes.get(name)
    return build_mesh(name, generator.parameters(**params), MeshSettings(size_factor=size_factor), comm)


def _edge_crack(size_factor=1.0, comm=MPI.COMM_WORLD):
    """Plane-strain edge crack (a thin slice B = a/2, front elements a/30) with face pressure P;
    statically determinate supports on the ligament."""
    tagged = _build("edge_crack_3d", size_factor, comm, crack_length=A, width=20 * A, height=40 * A,
                    thickness=0.5 * A, front_size=A / 30)
    sp = tagged.metadata["support_points"]
    constraints = {"front": (None, None, 0.0), "back": (None, None, 0.0)}
    points = [(sp["ligament_end_front"], (0.0, 0.0, None)), (sp["ligament_mid_front"], (None, 0.0, None))]
    fields = ElasticityProblem(tagged, {"electrolyte": (E, NU)}, pressures={"crack_faces": P},
                               constraints=constraints, point_constraints=points, degree=2).solve()
    return tagged, fields


@pytest.fixture(scope="module")
def edge_crack():
    return _edge_crack()


def test_williams_fields_are_the_unit_near_front_fields():
    """Ahead of the front (theta = 0): sigma_22 = 1/sqrt(2 pi r) (I), sigma_12 (II), sigma_23 (III);
    the analytic gradient equals the difference quotient of the displacement."""
    mu, lam = E / (2 * (1 + NU)), E * NU / ((1 + NU) * (1 - 2 * NU))
    r = np.array([1e-8, 3e-7])
    expected = 1 / np.sqrt(2 * math.pi * r)
    for mode, (i, j) in {"I": (1, 1), "II": (0, 1), "III": (1, 2)}.items():
        _, sigma = _hooke(williams_gradient(r, 0 * r, mu, NU, mode), lam, mu)
        np.testing.assert_allclose(sigma[:, i, j], expected, rtol=1e-12)
    # gradient vs central differences of u = sqrt(r) f(theta) at an arbitrary point
    from solver.physics.fracture_3d import _angular

    def u(x1, x2, mode):
        rr, th = np.hypot(x1, x2), np.arctan2(x2, x1)
        return np.sqrt(rr) * _angular(np.array([th]), 3 - 4 * NU, mode)[0][:, 0] / (2 * mu * math.sqrt(2 * math.pi))

    x1, x2, h = -2e-7, 1.3e-7, 1e-12
    for mode in ("I", "II", "III"):
        G = williams_gradient(np.array([x1]), np.array([x2]), mu, NU, mode)[0]
        fd = np.stack([(u(x1 + h, x2, mode) - u(x1 - h, x2, mode)) / (2 * h),
                       (u(x1, x2 + h, mode) - u(x1, x2 - h, mode)) / (2 * h)], axis=1)
        np.testing.assert_allclose(G[:, :2], fd, rtol=1e-6, atol=1e-9 * np.abs(fd).max())


def test_edge_crack_in_plane_strain_is_the_2d_value_along_the_whole_front(edge_crack):
    tagged, fields = edge_crack
    front = crack_fronts(tagged.metadata)[0]
    reference = 1.1215 * edge_crack_factor(1 / 20) / 1.122 * P * math.sqrt(math.pi * A)
    result = front_stress_intensity(fields, front, radius=0.4 * A, pressure=P, segments=3)
    # the strip fit is good to ~0.5 % and the mesh adds < 0.5 % (measured +0.3..+0.5 %)
    np.testing.assert_allclose(result.K_I / reference, 1.0, atol=0.01)
    # symmetric loading: K_II and K_III vanish (measured < 0.4 % of K_I)
    assert np.abs(result.K_II).max() < 0.01 * reference
    assert np.abs(result.K_III).max() < 0.01 * reference


def test_edge_crack_front_value_is_independent_of_the_domain_size(edge_crack):
    """Pressurised faces: the face term keeps K_I independent of r2 over a factor 8 (measured
    spread 0.2 %); without it the value falls from 0.80 to 0.45 of the exact one."""
    tagged, fields = edge_crack
    front = crack_fronts(tagged.metadata)[0]
    mid = [front_stress_intensity(fields, front, radius=r * A, pressure=P, segments=3).K_I[1] for r in (0.1, 0.8)]
    assert np.ptp(mid) / np.mean(mid) < 0.01
    bare = [front_stress_intensity(fields, front, radius=r * A, pressure=0.0, segments=3).K_I[1] for r in (0.1, 0.8)]
    assert abs(bare[1] - bare[0]) / mid[0] > 0.2


@pytest.mark.parametrize("aspect", [1.0, 0.5])
def test_embedded_elliptical_crack_matches_irwin(aspect):
    c = A / aspect
    tagged = _build("embedded_crack_3d", crack_depth=A, half_length=c, box=12 * c)
    constraints = {"symmetry_x": "symmetry", "symmetry_y": "symmetry", "ligament": "symmetry"}
    fields = ElasticityProblem(tagged, {"electrolyte": (E, NU)}, pressures={"crack_faces": P},
                               constraints=constraints, degree=2).solve()
    front = crack_fronts(tagged.metadata)[0]
    k = aspect
    for r2 in (0.2 * A, 0.4 * A):
        result = front_stress_intensity(fields, front, radius=r2, pressure=P, segments=11)
        phi = np.radians(result.parameter)
        exact = P * math.sqrt(math.pi * A) / ellipe(1 - k**2) * (np.sin(phi) ** 2 + k**2 * np.cos(phi) ** 2) ** 0.25
        # interior nodes (the two ends are cut tents on symmetry planes: within 2.5 %)
        np.testing.assert_allclose(result.K_I[1:-1] / exact[1:-1], 1.0, atol=0.015)
        np.testing.assert_allclose(result.K_I / exact, 1.0, atol=0.025)


def raju_newman(phi, a, c, t, b):
    """K_I / (S sqrt(pi a / Q)) ... as K_I per unit remote tension S [m^0.5] (Raju and Newman 1981)."""
    k, at = a / c, a / t
    Q = 1 + 1.464 * k**1.65
    M1, M2 = 1.13 - 0.09 * k, -0.54 + 0.89 / (0.2 + k)
    M3 = 0.5 - 1 / (0.65 + k) + 14 * (1 - k) ** 24
    g = 1 + (0.1 + 0.35 * at**2) * (1 - np.sin(phi)) ** 2
    f_phi = (k**2 * np.cos(phi) ** 2 + np.sin(phi) ** 2) ** 0.25
    f_w = (1 / math.cos(math.pi * c / (2 * b) * math.sqrt(at))) ** 0.5
    return math.sqrt(math.pi * a / Q) * (M1 + M2 * at**2 + M3 * at**4) * g * f_phi * f_w


@pytest.mark.parametrize("aspect,load", [(1.0, "pressure"), (0.5, "pressure"), (1.0, "tension")])
def test_surface_crack_matches_raju_newman(aspect, load):
    c, t = A / aspect, 5 * A
    tagged = _build("surface_crack_3d", crack_depth=A, half_length=c, thickness=t, width=20 * c, height=20 * c)
    pressures = {"crack_faces": P} if load == "pressure" else {"top": -P}
    support = [(tagged.metadata["support_points"]["far_corner"], (None, 0.0, None))]
    fields = ElasticityProblem(tagged, {"electrolyte": (E, NU)}, pressures=pressures,
                               constraints={"symmetry_x": "symmetry", "ligament": "symmetry"},
                               point_constraints=support, degree=2).solve()
    front = crack_fronts(tagged.metadata)[0]
    result = front_stress_intensity(fields, front, radius=0.3 * A, pressure=P if load == "pressure" else 0.0,
                                    segments=11)
    phi = np.radians(result.parameter)
    ratio = result.K_I / (P * raju_newman(phi, A, c, t, 10 * c))
    inside = result.parameter >= 15  # the free-surface point carries another singularity
    np.testing.assert_allclose(ratio[inside], 1.0, atol=0.05)  # the equations' own accuracy


@pytest.mark.mpi
def test_front_values_are_the_same_on_one_and_on_all_ranks():
    """The same K_I(s), K_II(s), K_III(s) from the distributed mesh and a one-rank copy."""
    if MPI.COMM_WORLD.size == 1:
        pytest.skip("compares a distributed run with a one-rank one: run under mpiexec -n 2")
    values = []
    for comm in (MPI.COMM_WORLD, MPI.COMM_SELF):
        tagged, fields = _edge_crack(size_factor=2.0, comm=comm)
        front = crack_fronts(tagged.metadata)[0]
        values.append(front_stress_intensity(fields, front, radius=0.4 * A, pressure=P, segments=5))
    for name in ("K_I", "K_II", "K_III"):
        np.testing.assert_allclose(getattr(values[0], name), getattr(values[1], name), rtol=0,
                                   atol=1e-6 * np.abs(values[1].K_I).max())  # solver tolerance 1e-10


# --------------------------------------------------------------------------- cases from YAML
def _fracture_case(**fracture):
    from solver.config.case import parse_case

    raw = {"name": "edge", "geometry": {"type": "edge_crack_plate", "crack_length": "1 um", "width": "40 um",
                                        "height": "80 um"},
           "materials": {"electrolyte": "Li6PS5Cl"}, "mechanics": {"element_degree": 2},
           "fracture": {"pressures": {"crack_faces": "50 MPa"}, **fracture}}
    return parse_case(raw)


def test_a_2d_crack_case_runs_from_yaml_and_matches_the_handbook(tmp_path):
    from solver.studies.run import run_case

    result = run_case(_fracture_case(), out=tmp_path / "run", quiet=True)
    reference = 1.1215 * edge_crack_factor(1 / 40) / 1.122 * 50e6 * math.sqrt(math.pi * A)
    assert result.summary["metrics"]["max_stress_intensity"] == pytest.approx(reference, rel=0.01)
    assert result.summary["metric_units"]["max_stress_intensity"] == "Pa m^0.5"
    if MPI.COMM_WORLD.rank == 0:
        names = {p.name for p in (tmp_path / "run").iterdir()}
        assert {"stress_intensity.csv", "displacement.xdmf", "summary.json", "report.txt"} <= names
        assert "MPa m^0.5" in (tmp_path / "run" / "report.txt").read_text()


def test_fracture_case_errors_name_the_key():
    from solver.config.case import parse_case
    from solver.errors import CaseError
    from solver.studies.fracture_run import solve_fracture

    with pytest.raises(CaseError, match=r"^fracture.pressures.crack_faces: .*Pa"):
        _fracture_case(pressures={"crack_faces": "50 mV"})
    with pytest.raises(CaseError, match=r"^electrochemistry: not in a fracture case"):
        parse_case({**_fracture_case().raw, "electrochemistry": {"applied_current_density": "1 mA/cm^2"}})
    raw = {k: v for k, v in _fracture_case().raw.items() if k != "fracture"}
    with pytest.raises(CaseError, match=r"^electrochemistry: required"):
        parse_case(raw)
    case = _fracture_case(pressures={"no_such_face": "1 MPa"})
    from solver.config.adapter import build_case_mesh

    with pytest.raises(CaseError, match=r"^fracture.pressures.no_such_face: no such boundary"):
        solve_fracture(case, build_case_mesh(case))


def test_a_domain_with_too_few_elements_is_flagged(edge_crack, caplog):
    tagged, fields = edge_crack
    front = crack_fronts(tagged.metadata)[0]
    with caplog.at_level("WARNING", logger="solver.physics.fracture_3d"):
        result = front_stress_intensity(fields, front, radius=0.04 * A, pressure=P, segments=3)
    assert result.elements_across < 3
    assert any("elements across" in r.getMessage() for r in caplog.records) or MPI.COMM_WORLD.rank != 0


def test_the_3d_porz_chain_gives_the_ccd_of_its_front_overpotential():
    """Li-filled surface crack (cases/pit_crack_3d.yaml on a coarser mesh): at L_p = sigma R_ct
    ~ 1 mm the overpotential is uniform, so the CCD is the current whose Butler-Volmer
    overpotential gives p = F eta / V_m with max_s p G(s) = K_IC:
    i_CCD = (A_interface / A_projected) 2 i0 sinh(F eta_c / 2RT), eta_c = K_IC V_m / (F max_s G)
    (the crack faces add to the area the applied current spreads over)."""

    import yaml

    from solver.analysis.risk import LI_MOLAR_VOLUME
    from solver.config.case import parse_case
    from solver.physics.kinetics import FARADAY, GAS_CONSTANT
    from solver.studies.run import run_case

    raw = yaml.safe_load((ROOT / "cases" / "pit_crack_3d.yaml").read_text())
    raw["mesh"] = {"size_factor": 1.4}
    raw["risk"]["ccd_rtol"] = 1e-3
    raw["outputs"] = {"png": False, "fields": False}
    case = parse_case(raw)
    summary = run_case(case, write=False, quiet=True).summary
    risk, metrics = summary["risk"], summary["metrics"]
    g_max = float(np.max(risk["influence_matrix_m05"]))
    eta_c = case.materials["electrolyte"].values["fracture_toughness"] * LI_MOLAR_VOLUME / (FARADAY * g_max)
    i0, T = case.materials["electrolyte"].values["exchange_current_density"], 298.15
    area_ratio = metrics["interface_area"] / metrics["counter_area"]
    expected = area_ratio * 2 * i0 * math.sinh(FARADAY * eta_c / (2 * GAS_CONSTANT * T))
    # bisection to 1e-3 from above; the front overpotential is the mean one to ~1e-4 here
    assert risk["ccd"] == pytest.approx(expected, rel=3e-3)
    worst = risk["at_applied"]["flaws"][0]
    assert worst["front"] is not None and len(worst["front"]["K_I"]) >= 5
    assert worst["tip"][1] > 0.8e-6  # K_I peaks near the deepest point (y = a = 1 um)
