"""Mesh statistics: exact values on a structured box, independent of the chunk size and ranks."""

import numpy as np
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
import dolfinx.mesh

from solver.geometry.driver import mesh_statistics


@pytest.mark.mpi
@pytest.mark.parametrize("chunk", [7, 100_000])
def test_box_statistics_exact(chunk):
    """create_box splits each cube of side 1/n into 6 Kuhn tetrahedra (0,0,0),(1,0,0),(1,1,0),(1,1,1):
    longest edge = cube diagonal sqrt(3)/n; inradius 3V/A = (1/2)/(1+sqrt 2), circumradius sqrt(3)/2
    (cube vertices), so the normalised radius ratio 3 r_in / r_out = 3 / ((1 + sqrt 2) sqrt 3)."""
    n = 5
    msh = dolfinx.mesh.create_box(MPI.COMM_WORLD, [np.zeros(3), np.ones(3)], [n, n, n], dolfinx.mesh.CellType.tetrahedron)
    stats = mesh_statistics(msh, chunk=chunk)
    assert stats["cells"] == 6 * n**3
    assert stats["vertices"] == (n + 1) ** 3
    assert stats["h_min_m"] == pytest.approx(np.sqrt(3) / n, rel=1e-12)
    assert stats["h_max_m"] == pytest.approx(np.sqrt(3) / n, rel=1e-12)
    assert stats["quality_min"] == pytest.approx(3 / ((1 + np.sqrt(2)) * np.sqrt(3)), rel=1e-12)
