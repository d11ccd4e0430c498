"""The Python API, the metric and output registries, and quiet runs."""

import copy
import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

import solver
from solver.analysis.registry import Metric, flatten, metric, register_metric, unregister_metric
from solver.errors import CaseError

COMM = MPI.COMM_WORLD

# A rough 2D cell with partial contact: about 1500 cells, solved in well under a second.
CASE = {
    "name": "api",
    "geometry": {"type": "rough_interface_2d", "width": "10 um", "thickness": "10 um",
                 "profile": {"kind": "random", "rms_height": "0.3 um", "correlation_length": "2 um", "seed": 3},
                 "contact": {"fraction": 0.8, "void_size": "1 um", "seed": 1}},
    "mesh": {"interface_size": "0.1 um", "size": "1 um"},
    "materials": {"electrolyte": "Li5.5PS4.5Cl1.5"},
    "electrochemistry": {"applied_current_density": "1 mA/cm^2"},
    "outputs": {"mesh_cache": None, "png": False},
}


def _shared(tmp_path_factory) -> Path:
    """One temporary folder, the same on every rank."""
    return Path(COMM.bcast(str(tmp_path_factory.mktemp("api")) if COMM.rank == 0 else None, root=0))


def _raw(folder: Path, **outputs) -> dict:
    raw = copy.deepcopy(CASE)
    raw["outputs"].update(directory=str(folder / "results"), **outputs)
    return raw


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = _shared(tmp_path_factory)
    raw = _raw(folder, write=["fields_xdmf", "fields_vtx", "interface_table"])
    return solver.run(raw, out=folder / "run"), folder


@pytest.mark.mpi
def test_running_without_writing_creates_no_folder(tmp_path_factory, monkeypatch):
    folder = _shared(tmp_path_factory)
    monkeypatch.chdir(folder)  # a stray relative path would land here
    result = solver.run(_raw(folder), write=False)
    assert result.folder is None
    COMM.barrier()
    assert list(folder.iterdir()) == []  # no results/ folder, no partial folder, no file
    # the in-memory result has its metrics, units and interface table all the same
    assert result.metrics["charge_balance_error"] < 1e-8  # Newton rtol 1e-10 on the residual
    assert result.units["mean_interface_current_density"] == "A/m^2"
    assert result.units["interface_area"] == "m"  # 2D: per unit depth
    # the facet lengths of the interface table add up to the interface length (same sums)
    assert result.interface["facet_area_m"].sum() == pytest.approx(result.metrics["interface_area"], rel=1e-12)
    with pytest.raises(CaseError, match="^write: this run was not written"):
        result.open()


@pytest.mark.mpi
def test_result_folder_read_back_matches_summary(written):
    result, _ = written
    back = solver.open_result(result.folder)
    summary = json.loads((result.folder / "summary.json").read_text())
    # the same numbers as summary.json, exactly (JSON round-trips doubles)
    assert back.metrics.to_dict() == flatten(summary["metrics"])
    assert back.metrics.to_dict() == result.metrics.to_dict()
    shared = set(summary["metric_units"]) & set(back.units.index)
    assert len(shared) > 20 and all(back.units[k] == summary["metric_units"][k] for k in shared)
    assert back.metrics.attrs["units"]["focusing_factor"] == "1"
    # interface.csv holds the in-memory table (written with 18 significant digits)
    np.testing.assert_allclose(back.interface.to_numpy(), result.interface.to_numpy(), rtol=1e-15, atol=0)
    assert list(back.interface.columns) == list(result.interface.columns)
    assert back.case.name == "api" and back.case.model.outputs.write == result.case.model.outputs.write
    table = back.metric_table()
    row = table.loc["mean_interface_current_density"]
    assert row["display_unit"] == "mA/cm^2" and row["display_value"] == pytest.approx(row["value"] * 0.1, rel=1e-12)
    assert back.verify() == []
    assert {"fields.bp", "cell_fields.bp", "fields.xdmf", "interface.csv"} <= {p.split("/")[0] for p in back.files}


@pytest.mark.mpi
def test_fields_read_back_as_pyvista_grid(written):
    result, _ = written
    if COMM.rank != 0:
        return
    grid = solver.open_result(result.folder).fields()
    assert grid.n_cells == result.summary["mesh"]["cells"]
    assert {"potential_V", "ionic_conductivity_S_m", "region"} <= set(grid.array_names)
    # P1 potential at the nodes. The counter boundary (y = 10 um) is 30x the roughness
    # height away from the interface: its potential is uniform to ~1e-8 relative (the
    # nodal mean differs from the integral mean by that variation, not by round-off).
    top = grid.points[:, 1] > 10e-6 - 1e-12
    assert grid.point_data["potential_V"][top].mean() == pytest.approx(result.metrics["counter_potential"], rel=1e-6)
    if COMM.size == 1:  # P1: one dof per node, so the values read back are the solution's, exactly
        np.testing.assert_array_equal(np.sort(grid.point_data["potential_V"]), np.sort(result.state.potential.x.array))
    assert set(np.unique(grid.cell_data["region"])) <= set(result.summary["mesh"]["regions"].values())


def test_verify_names_a_changed_file(written, tmp_path):
    import shutil

    result, _ = written
    copy_ = tmp_path / "copy"
    shutil.copytree(result.folder, copy_)
    (copy_ / "interface.csv").write_text("tampered\n")
    assert solver.open_result(copy_).verify() == ["interface.csv"]


def test_open_result_of_a_folder_without_summary_is_one_error(tmp_path):
    with pytest.raises(CaseError, match=r"not a result folder \(no summary.json\)$"):
        solver.open_result(tmp_path)


def test_unknown_output_is_named_with_the_allowed_ones(tmp_path):
    with pytest.raises(CaseError, match=r"^outputs.write: unknown output 'vtk'; allowed: fields_xdmf, fields_vtx"):
        solver.load_case(_raw(tmp_path, write=["vtk"]))


def test_png_and_fields_switches_select_outputs(tmp_path):
    case = solver.load_case(_raw(tmp_path, png=False, fields=False))
    assert case.model.outputs.selected() == ["interface_table", "risk_sweep", "report_html"]
    default = solver.load_case(dict(CASE, outputs={"mesh_cache": None}))
    assert default.model.outputs.selected() == ["fields_xdmf", "fields_vtu", "interface_table", "pictures",
                                                "risk_sweep", "report_html"]


@pytest.mark.parametrize("unit, shown, factor", [
    ("A/m^2", "mA/cm^2", 0.1), ("V", "mV", 1e3), ("Pa m^0.5", "MPa m^0.5", 1e-6), ("S/m", "mS/cm", 10.0),
    ("ohm m^2", "ohm cm^2", 1e4), ("m", "um", 1e6), ("", "", 1.0)])
def test_display_units_convert_with_pint(unit, shown, factor):
    item = Metric("x", unit, shown, "test")
    assert item.scale() == pytest.approx(factor, rel=1e-14)  # exact decimal factors, up to round-off


def test_builtin_metrics_carry_their_display_units():
    assert metric("max_interface_current_density").shown_unit() == "mA/cm^2"
    assert metric("worst_stress_intensity").scale() == pytest.approx(1e-6, rel=1e-14)
    assert metric("asr_split.film") is metric("asr_split")  # flattened keys find their metric
    assert metric("interface_area").si_unit(2) == "m" and metric("interface_area").si_unit(3) == "m^2"


def test_a_registered_metric_appears_in_summary_report_table_and_csv(tmp_path):
    from solver.studies.compare import Study, compare, comparison_table
    from solver.studies.sweep import _csv, sweep_table

    doubled = Metric("doubled_counter_potential", "V", "mV", "twice the counter potential (test)",
                     compute=lambda context: 2.0 * context.counter_potential, label="doubled counter potential")
    register_metric(doubled)
    try:
        cases = [solver.load_case(_raw(tmp_path, write=[]), name=name) for name in ("a", "b")]
        other = _raw(tmp_path, write=[])
        other["electrochemistry"]["kinetics"] = {"law": "primary"}
        cases[1] = solver.load_case(other, name="b")
        folder = compare(cases, 1, tmp_path / "cmp", Study(name="t", cases=["a", "b"]))
        summary = json.loads(next((folder / "runs").glob("a-0/summary.json")).read_text())
        value = summary["metrics"]["doubled_counter_potential"]
        assert value == pytest.approx(2.0 * summary["metrics"]["counter_potential"], rel=1e-15)
        assert summary["metric_units"]["doubled_counter_potential"] == "V"
        report = next((folder / "runs").glob("a-0/report.txt")).read_text()
        assert "doubled counter potential" in report and f"{value * 1e3:.4g} mV" in report
        assert "| doubled counter potential [mV] | " in (folder / "comparison.md").read_text()
        with open(folder / "metrics.csv") as f:
            rows = list(csv.DictReader(f))
        assert float(rows[0]["doubled_counter_potential"]) == value
        tidy = comparison_table(folder)
        mine = tidy[tidy["metric"] == "doubled_counter_potential"]
        assert list(mine["case"]) == ["a", "b"] and set(mine["unit"]) == {"V"}
        record = {"index": 0, "parameter": "p", "value": "1", "status": "ok", "seconds": 0.0,
                  "metrics": summary["metrics"], "solver": summary["solver"]}
        header = _csv([record]).splitlines()[0].split(",")
        assert "doubled_counter_potential" in header
        assert sweep_table([record]).attrs["units"]["doubled_counter_potential"] == "V"
    finally:
        unregister_metric("doubled_counter_potential")
    assert metric("doubled_counter_potential") is None


def test_a_metric_name_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="already registered"):
        register_metric(Metric("focusing_factor", "", "", "again"))


def test_quiet_run_prints_nothing(tmp_path, capfd):
    from solver.io.progress import configure_logging

    configure_logging()  # as the command line does: progress would show at INFO
    try:
        solver.run(_raw(tmp_path, write=["interface_table"]), out=tmp_path / "quiet", quiet=True)
    finally:
        import logging

        logging.getLogger("solver").handlers.clear()
        logging.getLogger("solver").setLevel(logging.NOTSET)
        logging.getLogger("solver").propagate = True
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert (tmp_path / "quiet" / "summary.json").is_file()


def test_cli_quiet_run_prints_nothing(tmp_path, capfd):
    import yaml

    from solver.cli import main

    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(_raw(tmp_path, write=[])))
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""


def test_cli_run_prints_the_report_generated_from_the_registry(tmp_path, capfd):
    import yaml

    from solver.cli import main

    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(_raw(tmp_path, write=[])))
    assert main(["run", str(path), "--out", str(tmp_path / "out")]) == 0
    captured = capfd.readouterr()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    ff = summary["metrics"]["focusing_factor"]
    assert "focusing factor max/mean" in captured.out and f"{ff:.4g}" in captured.out
    assert "done solving" in captured.err  # progress on stderr through the log handler
    assert math.isfinite(ff)


def test_version_comes_from_the_installed_metadata():
    import importlib.metadata

    assert solver.__version__ == importlib.metadata.version("dendrite")


def test_rank_zero_filter_passes_rank_zero_records_only():
    import logging

    from solver.io.progress import RankZeroFilter

    class Rank:
        def __init__(self, rank):
            self.rank = rank

    record = logging.LogRecord("solver.x", logging.INFO, __file__, 1, "done", (), None)
    assert RankZeroFilter(Rank(0)).filter(record) and not RankZeroFilter(Rank(1)).filter(record)


def test_a_metric_with_inconvertible_units_is_refused():
    with pytest.raises(ValueError, match="cannot show V in mA/cm"):
        register_metric(Metric("bad_units", "V", "mA/cm^2", "volts shown as a current density"))
    assert metric("bad_units") is None


def test_a_registered_output_is_selectable_and_written(tmp_path):
    from solver.io import outputs

    class Potential:
        name = "counter_potential_txt"
        description = "the counter potential in a text file (test)"

        def write(self, folder, context):
            if context.comm.rank == 0:
                (folder / "counter.txt").write_text(f"{context.fields.solver_info['dofs']}\n")

    outputs.register_output(Potential())
    try:
        result = solver.run(_raw(tmp_path, write=["counter_potential_txt"]), out=tmp_path / "run")
    finally:
        outputs.unregister_output("counter_potential_txt")
    back = solver.open_result(result.folder)
    assert (result.folder / "counter.txt").read_text() == f"{result.summary['solver']['dofs']}\n"
    assert back.verify() == []  # the plugin's file is in the checksums too
    assert not (result.folder / "interface.csv").exists() and not (result.folder / "fields.xdmf").exists()
    assert back.summary["outputs"] == ["counter_potential_txt"]
