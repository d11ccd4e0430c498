"""The cycling time series ``fields.xdmf`` opens in Python: pyvista (every time step through
``XdmfReader``) and meshio (``TimeSeriesReader``) read each snapshot with its named fields,
in serial and in parallel (rank 0 rewrites the file after the collective close)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from mpi4py import MPI

from solver.config.case import parse_case
from solver.studies.cycle import run_cycle
from tests.support import FLAT, shared_tmp


@pytest.fixture(scope="module")
def cycling_run(tmp_path_factory):
    raw = copy.deepcopy(FLAT)
    raw["outputs"].update(fields=True, png=False)
    raw["cycling"]["fields_every"] = 5
    result = run_cycle(parse_case(raw), out=shared_tmp(tmp_path_factory, "cycling_fields") / "run")
    MPI.COMM_WORLD.barrier()  # rank 0 has rewritten the XDMF file
    return result


def _snapshot_times(result) -> list[float]:
    """The times of the snapshots: steps 1, 6, 11, ... (``fields_every`` = 5), each at the
    time of its row in ``cycle.csv``."""
    return [result.rows[k - 1]["time_s"] for k in range(1, len(result.rows) + 1, 5)]


@pytest.mark.mpi
def test_every_time_step_opens_in_pyvista(cycling_run):
    import pyvista

    reader = pyvista.XdmfReader(str(cycling_run.folder / "fields.xdmf"))
    assert reader.time_values == pytest.approx(_snapshot_times(cycling_run), rel=1e-12)
    potential = []
    for t in reader.time_values:
        reader.set_active_time_value(t)
        grid = reader.read()
        assert "potential_V" in grid.point_data and "contact_fraction" in grid.cell_data
        assert grid.n_cells > 0 and grid["potential_V"].dtype == np.float64
        potential.append(np.asarray(grid["potential_V"]).copy())
    # each step holds its own data: snapshots at different applied currents differ
    current = [cycling_run.rows[k - 1]["applied_current_density_A_m2"] for k in range(1, len(cycling_run.rows) + 1, 5)]
    pairs = [(a, b) for a in range(len(current)) for b in range(a) if current[a] != current[b]]
    assert pairs and all(not np.allclose(potential[a], potential[b]) for a, b in pairs)
    assert pyvista.read(cycling_run.folder / "fields.xdmf").n_cells == grid.n_cells


@pytest.mark.mpi
def test_every_time_step_opens_in_meshio(cycling_run):
    import meshio

    with meshio.xdmf.TimeSeriesReader(cycling_run.folder / "fields.xdmf") as series:
        points, cells = series.read_points_cells()
        steps = [series.read_data(k) for k in range(series.num_steps)]
    assert [t for t, _, _ in steps] == pytest.approx(_snapshot_times(cycling_run), rel=1e-12)
    assert not np.allclose(steps[0][1]["potential_V"], steps[-1][1]["potential_V"])
    for _, point_data, cell_data in steps:
        assert len(point_data["potential_V"]) == len(points)
        assert len(cell_data["contact_fraction"][0]) == sum(len(b.data) for b in cells)
