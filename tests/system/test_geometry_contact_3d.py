"""Contact loss on the 3D rough interface: circular void patches of a given fraction and size."""

from __future__ import annotations

import numpy as np
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
import dolfinx

import meshes
from meshes import MeshSettings
from meshes.contact3d import ContactPatches
from solver.analysis.metrics import conduction_metrics
from solver.physics.conduction import ConductionProblem, ConductionSettings
from solver.physics.kinetics import make_kinetics
from tests.support import approx, assert_charge_balance, assert_conforming, boundary_measure, build, owned

BOX = dict(width="6 um", depth="6 um", thickness="4 um",
           height_map={"kind": "random", "rms_height": "0.2 um", "correlation_length": "2 um", "seed": 1})
CONTACT = {"fraction": 0.8, "void_size": "1.5 um", "seed": 3}


def projected_area(tm, name: str) -> float:
    """Area of the facets of ``name`` projected on the plane z = 0 [m^2], summed over ranks."""
    msh = tm.mesh
    msh.topology.create_connectivity(2, 0)
    msh.topology.create_connectivity(0, 3)
    f2v = msh.topology.connectivity(2, 0)
    facets = owned(tm, tm.facets(name))
    vertices = np.array([f2v.links(f) for f in facets], dtype=np.int32).reshape(-1, 3)
    nodes = dolfinx.mesh.entities_to_geometry(msh, 0, vertices.ravel()).ravel()
    x = msh.geometry.x[nodes].reshape(-1, 3, 3)
    a, b = x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]
    return msh.comm.allreduce(float(0.5 * np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum()), MPI.SUM)


def test_declaration_and_checks_without_meshing():
    P = meshes.get("rough_interface_3d").parameters
    declare = meshes.get("rough_interface_3d").declare
    assert "contact_voids" in declare(P(**BOX, contact=CONTACT)).boundaries
    assert "contact_voids" not in declare(P(**BOX)).boundaries
    with pytest.raises(ValueError, match="more than 40%"):
        P(**BOX, contact={**CONTACT, "fraction": 0.5})
    with pytest.raises(ValueError, match="void patches; at most 200"):
        P(**BOX, contact={**CONTACT, "void_size": "0.1 um"})
    with pytest.raises(ValueError, match="within 25 %"):
        P(**BOX, contact={**CONTACT, "void_size": "5.5 um"})
    with pytest.raises(ValueError, match="void_size is required"):
        P(**BOX, contact={"fraction": 0.9})


def test_patches_cover_the_requested_fraction_apart_from_the_sides():
    c = ContactPatches(fraction=0.8, void_size=1.5e-6, seed=3)
    patches = np.array(c.patches(6e-6, 6e-6))
    n, d = len(patches), 2 * patches[0, 2]
    assert n == 4 and n * np.pi * d**2 / 4 == approx(0.2 * 36e-12, rel=1e-12)
    gaps = np.linalg.norm(patches[:, None, :2] - patches[None, :, :2], axis=-1) + np.eye(n)
    assert gaps.min() >= 1.1 * d * (1 - 1e-9)
    assert np.all(patches[:, :2] - d / 2 >= 0.1 * d) and np.all(6e-6 - patches[:, :2] - d / 2 >= 0.1 * d)
    assert c.patches(6e-6, 6e-6) == ContactPatches(fraction=0.8, void_size=1.5e-6, seed=3).patches(6e-6, 6e-6)
    assert c.patches(6e-6, 6e-6) != ContactPatches(fraction=0.8, void_size=1.5e-6, seed=4).patches(6e-6, 6e-6)


@pytest.fixture(scope="module")
def contact_mesh():
    # interface size 0.2 um: a patch of radius 0.76 um has ~24 edges, the inscribed polygon
    # loses 2 pi^2 / (3 * 24^2) = 1.1 % of the disc's area
    return build("rough_interface_3d", MeshSettings(interface_size="0.2 um", size="1 um"), **BOX, contact=CONTACT)


@pytest.mark.mpi
def test_void_area_fraction_and_conformity(contact_mesh):
    tm, p = contact_mesh
    assert {"anode_interface", "contact_voids", "counter_electrode", "sides"} == set(tm.boundaries)
    voids, contact = projected_area(tm, "contact_voids"), projected_area(tm, "anode_interface")
    assert voids + contact == approx(36e-12, rel=1e-6)
    # requested 0.2 of the projected area; the discs are meshed as inscribed polygons (-1.1 %)
    assert voids / (voids + contact) == approx(0.2, rel=0.02)
    # the true void area (OCC, of the curved patches) against the mesh's
    assert boundary_measure(tm, "contact_voids") == approx(tm.metadata["void_area_m2"], rel=0.02)
    assert tm.metadata["contact_fraction"] == 0.8 and len(tm.metadata["void_patches_m"]) == 4
    assert_conforming(tm)


@pytest.mark.mpi
def test_primary_solve_crowds_current_into_the_contact(contact_mesh):
    tm, _ = contact_mesh
    settings = ConductionSettings(kinetics=make_kinetics("primary", exchange_current_density=1.0, temperature=298.15),
                                  applied_current_density=10.0)
    with ConductionProblem(tm, {"electrolyte": 0.1}, settings) as problem:
        metrics, _, _ = conduction_metrics(problem.solve())
    assert_charge_balance(metrics, 1e-8)
    # the voids carry no current: the mean over the contact is I / A_contact > I / A_projected
    contact_area = boundary_measure(tm, "anode_interface")
    assert metrics["mean_interface_current_density"] == approx(10.0 * 36e-12 / contact_area, rel=1e-6)
    assert metrics["mean_interface_current_density"] > 10.0 / 0.8 * 0.97  # roughness adds ~2 % of true area
    # the primary current concentrates at the void edges (singular there)
    assert metrics["focusing_factor"] > 1.5
