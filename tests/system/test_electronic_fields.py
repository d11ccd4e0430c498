"""The electron fields in the field files of a run, read back by solver.open_result.

Flat symmetric Li | SE | Li cell (rough_interface_2d, flat profile: anode y = 0, counter
y = L), linear kinetics, uniform conductivities: phi_e and eta_Li are linear in y
(docs/electronic.md, section 3), which P1 nodes hold exactly:

    phi_e = V_c y / L,    eta_Li = eta_a + (eta_c - eta_a) y / L,    dmu_Li = -F eta_Li,

with V_c the counter metal potential, eta_a the anode overpotential (the most negative
eta_Li) and eta_c = -eta_a (the same linear law at the same ionic current). The numbers
come from summary.json (written by the same run); the tolerance 1e-9 of |eta_a| is 1e4
times the round-off of the direct solves.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from mpi4py import MPI

import solver
from solver.config.case import parse_case
from solver.physics.kinetics import FARADAY
from solver.studies.run import run_case
from tests.support import FLAT, shared_tmp

L = 20e-6


def electronic_case(folder, write=("fields_xdmf", "fields_vtx")):
    raw = copy.deepcopy(FLAT)
    raw.pop("cycling")
    raw["name"] = "electron_fields"
    raw["solver"] = {"linear_solver": "direct"}
    raw["outputs"] = {"mesh_cache": None, "directory": str(folder), "write": list(write), "png": False}
    raw["electronic"] = {"electronic_conductivity": "1e-3 S/m", "onset": False, "self_discharge": False}
    return parse_case(raw)


@pytest.mark.mpi
def test_fields_carry_phi_e_and_eta_li(tmp_path_factory):
    result = run_case(electronic_case(shared_tmp(tmp_path_factory)), quiet=True)
    folder = MPI.COMM_WORLD.bcast(str(result.folder) if MPI.COMM_WORLD.rank == 0 else None, root=0)
    back = solver.open_result(folder)
    e = back.summary["electronic"]
    v_c, eta_a = e["counter_metal_potential"], e["min_formation_overpotential"]
    assert v_c > 0 > eta_a  # plating: the counter metal above the anode, Li stable at the anode
    grid = back.fields()
    y = grid.points[:, 1]
    phi_e = grid.point_data["electronic_potential_V"]
    eta = grid.point_data["li_formation_overpotential_V"]
    tol = 1e-9 * abs(eta_a)
    assert np.max(np.abs(phi_e - v_c * y / L)) < tol
    assert np.max(np.abs(eta - eta_a * (1 - 2 * y / L))) < tol
    assert np.allclose(grid.point_data["li_chemical_potential_J_mol"], -FARADAY * eta, rtol=0, atol=FARADAY * tol)
    # the leakage current density sigma_e V_c / L, uniform, towards the anode (-y)
    i_e = grid.cell_data["electronic_current_density_A_m2"]
    assert np.allclose(i_e[:, 1], -1e-3 * v_c / L, rtol=1e-9) and np.allclose(i_e[:, 0], 0, atol=1e-9 * 1e-3 * v_c / L)
    assert np.allclose(grid.cell_data["electronic_conductivity_S_m"], 1e-3)
    units = back.summary["field_units"]
    assert units["electronic_potential_V"].startswith("V") and units["li_chemical_potential_J_mol"].startswith("J/mol")
    if MPI.COMM_WORLD.rank == 0:  # the VTX file lists the same names
        metadata = b"".join(p.read_bytes() for p in (back.folder / "fields.bp").glob("md.*"))
        assert b"li_formation_overpotential_V" in metadata and b"electronic_potential_V" in metadata


def test_ionic_run_writes_no_electron_fields(tmp_path):
    raw = copy.deepcopy(FLAT)
    raw.pop("cycling")
    raw["outputs"] = {"mesh_cache": None, "directory": str(tmp_path), "write": ["fields_xdmf"], "png": False}
    result = run_case(parse_case(raw, "ionic_only"), quiet=True)
    grid = solver.open_result(result.folder).fields()
    assert "potential_V" in grid.point_data and "electronic_potential_V" not in grid.point_data
    assert "electronic_potential_V" not in json.loads((result.folder / "summary.json").read_text())["field_units"]


def test_cli_sweep_over_electronic_conductivity(tmp_path):
    """``dendrite sweep --param electronic.electronic_conductivity``: a new mixed conductor per point.

    In the flat symmetric cell with linear kinetics the leakage share s obeys
    s / (1 - s) = sigma_e K / L with K = L/sigma_i + 2 R_ct independent of sigma_e
    (docs/electronic.md, section 3), so s/(1-s) scales exactly with sigma_e: 1e-9 relative.
    """
    import csv

    import yaml

    from solver.cli import main

    raw = copy.deepcopy(FLAT)
    raw.pop("cycling")
    raw["name"] = "sigma_e_sweep"
    raw["solver"] = {"linear_solver": "direct"}
    raw["outputs"] = {"mesh_cache": None, "directory": str(tmp_path / "results"), "png": False}
    raw["electronic"] = {"onset": False, "self_discharge": False}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(raw))
    out = tmp_path / "sweep"
    code = main(["sweep", str(path), "--param", "electronic.electronic_conductivity",
                 "--values", "1e-7 S/cm, 1e-5 S/cm, 1e-3 S/cm", "--out", str(out), "--quiet"])
    assert code == 0
    rows = list(csv.DictReader((out / "results.csv").open()))
    share = np.array([float(r["electronic.leakage_share"]) for r in rows])
    odds = share / (1 - share)
    assert np.allclose(odds / odds[0], [1.0, 1e2, 1e4], rtol=1e-9), share
    assert 0 < share[0] < 1e-2 and share[-1] > 0.9  # from a small leak to electrons carrying most current
