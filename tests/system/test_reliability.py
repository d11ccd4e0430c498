"""The reliability building blocks, one by one: the input reader, unit grammar, feasibility,
numerical acceptance, the CCD search with failing solves, the kinetics inverse, result
folders under --overwrite, the JIT cache recovery and the MPI error agreement."""

from __future__ import annotations

import copy
import math
import os
import threading
import time

import numpy as np
import pytest
from mpi4py import MPI

import solver  # noqa: F401  (before dolfinx)
from solver.analysis.acceptance import acceptance, require_accepted
from solver.analysis.risk import SweepPoint, ccd_bracket, critical_current_density
from solver.config.case import parse_case
from solver.config.inputs import InputFileError, read_bytes, read_png_gray
from solver.config.units import to_si
from solver.errors import CaseError, SolverError, from_os_error
from solver.physics.kinetics import make_kinetics
from solver.physics.scalar_root import increasing_root
from tests.system.fuzz.corpus import png
from tests.support import BASE

F_RT = 96485.33212 / (8.314462618 * 298.15)  # F / (R T) at 298.15 K [1/V]


# ---- the input reader ---------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "profile.csv"
    os.mkfifo(fifo)
    result = {}
    reader = threading.Thread(target=lambda: result.update(error=_error(read_bytes, fifo)), daemon=True)
    reader.start()
    reader.join(10)  # a blocking open() would wait forever for a writer
    assert not reader.is_alive()
    assert "FIFO" in result["error"]


def _error(fn, *args):
    try:
        fn(*args)
    except InputFileError as exc:
        return str(exc)
    return "no error"


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_and_symlinks_to_them_are_refused(tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    link = tmp_path / "data.csv"
    link.symlink_to(device)
    for path in (device, link):
        assert "character device, not a regular file" in _error(read_bytes, path)


def test_size_bound_and_control_characters(tmp_path):
    big = tmp_path / "big.csv"
    big.write_bytes(b"1,2\n" * 1000)
    assert "limited to 100 bytes" in _error(read_bytes, big, 100)
    assert read_bytes(big, 4000) == b"1,2\n" * 1000
    assert "control characters" in _error(read_bytes, "a\x00b")
    assert "control characters" in _error(read_bytes, "a\x1b[2Jb")


def test_png_checked_by_header_before_decoding(tmp_path):
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png(8000, 8000, rows=b""))  # declares 64 M pixels; refused by its header, never decoded
    assert "8000 x 8000 pixels" in _error(read_png_gray, bomb)
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"GIF89a" + bytes(100))
    assert "not a PNG" in _error(read_png_gray, fake)
    good = tmp_path / "ramp.png"
    rows = b"".join(b"\x00" + bytes([0, 255]) for _ in range(3))
    good.write_bytes(png(2, 3, rows))
    gray = read_png_gray(good)
    assert gray.shape == (3, 2) and gray[0, 0] == 0.0 and gray[0, 1] == 1.0  # 255 -> white = 1


# ---- unit grammar and numbers -------------------------------------------------------

@pytest.mark.parametrize("text, unit, si", [
    ("0.69 mA/cm^2", "A/m^2", 6.9), ("300 nm", "m", 3e-7), ("1 A m^-2", "A/m^2", 1.0),
    ("2 MPa*m^0.5", "Pa*m^0.5", 2e6), ("13.2 mS/cm", "S/m", 1.32), ("1 mA/cm**2", "A/m^2", 10.0),
    ("1.3e-5 m^3/mol", "m^3/mol", 1.3e-5), ("2 µm", "m", 2e-6), ("25 degC", "K", 298.15),
])
def test_units_of_the_shipped_kinds_convert(text, unit, si):
    assert to_si(text, unit) == pytest.approx(si, rel=1e-12)


@pytest.mark.parametrize("text", ["1 m**99**99", "10**10**10 m", "1 m^99", "١٠ um", "１０ um", "1 (m",
                                  "1 __import__('os')", "1 m**(2**64)", "1 " + "m*" * 30 + "m"])
def test_hostile_unit_text_refused_at_once(text):
    t0 = time.perf_counter()
    with pytest.raises(ValueError):
        to_si(text, "m")
    assert time.perf_counter() - t0 < 2.0  # a bound on work, not a timing benchmark: pint's eval never returns


def test_non_ascii_width_names_the_key():
    raw = copy.deepcopy(BASE)
    raw["geometry"]["width"] = "١٠ um"
    with pytest.raises(CaseError) as info:
        parse_case(raw)
    assert info.value.key == "geometry.width"


@pytest.mark.parametrize("key, value", [("directory", "a\x00b"), ("directory", "/dev/null"),
                                        ("mesh_cache", "/dev/null"), ("mesh_cache", "x\x1b[31m")])
def test_output_paths_checked(key, value):
    raw = copy.deepcopy(BASE)
    raw["outputs"] = {key: value}
    with pytest.raises(CaseError) as info:
        parse_case(raw)
    assert info.value.key == f"outputs.{key}"


# ---- feasibility before Gmsh --------------------------------------------------------

def _with_geometry(geometry, mesh=None):
    raw = copy.deepcopy(BASE)
    raw["geometry"] = geometry
    raw.pop("mesh", None)
    if mesh:
        raw["mesh"] = mesh
    return raw


def test_flaw_row_and_spacing_refused():
    row = [{"position": f"{0.5 + 0.9 * i:.2f} um"} for i in range(40)]
    with pytest.raises(CaseError, match="40 flaws; at most 20"):
        parse_case(_with_geometry({"type": "flaw_2d", "width": "40 um", "flaws": row}))
    with pytest.raises(CaseError) as info:
        parse_case(_with_geometry({"type": "flaw_2d", "flaws": [{"position": "5 um"}, {"position": "5.5 um"}]}))
    assert info.value.key == "geometry.flaws.1.position"


def test_implied_sizes_bounded_without_a_mesh_section():
    geometry = {"type": "rough_interface_3d", "height_map": {"kind": "random", "rms_height": "0.3 um",
                                                              "correlation_length": "1 nm"}}
    t0 = time.perf_counter()
    with pytest.raises(CaseError, match="correlation length"):
        parse_case(_with_geometry(geometry))
    geometry["height_map"]["correlation_length"] = "80 nm"  # a grid the generator can draw, a mesh it cannot
    with pytest.raises(CaseError) as info:
        parse_case(_with_geometry(geometry))
    assert info.value.key == "geometry.height_map.correlation_length" and "cells" in str(info.value)
    assert time.perf_counter() - t0 < 30  # refused before anything large is allocated


def test_shipped_geometries_stay_feasible():
    from pathlib import Path

    from solver.config.case import load_case

    for path in sorted((Path(__file__).resolve().parents[2] / "cases").glob("*.yaml")):
        load_case(path)  # raises if a limit were set below what the shipped cases need


# ---- numerical acceptance -----------------------------------------------------------

def test_acceptance_rejects_charge_imbalance_and_non_finite():
    good = acceptance({"charge_balance_error": 1e-12, "focusing_factor": 1.2}, {"converged": True})
    assert good["passed"]
    bad = acceptance({"charge_balance_error": 9e-4, "focusing_factor": 1.2}, {"converged": True})
    assert not bad["passed"] and "0.0009 exceeds" in bad["failures"][0]
    with pytest.raises(SolverError, match="charge balance error 0.0009"):
        require_accepted(bad)
    nan = acceptance({"charge_balance_error": 0.0, "asr_split": {"total": math.nan}})
    assert not nan["passed"] and "asr_split.total" in nan["failures"][0]
    assert not acceptance({"charge_balance_error": 0.0}, {"converged": False})["passed"]


# ---- the CCD search with failing solves ---------------------------------------------

def _evaluate_failing_between(low, high, ccd):
    """ratio = i / ccd (so the true CCD is ``ccd``); solves fail for low < i < high."""
    def evaluate(i):
        if low < i < high:
            return SweepPoint(i, float("nan"), None, [], failed="Newton failed")
        return SweepPoint(i, i / ccd, 0, [])
    return evaluate


def test_ccd_search_stops_at_a_failed_solve_with_the_bracket():
    ccd, points = critical_current_density(_evaluate_failing_between(6, 30, 10), 1.0, 1000.0, 1e-3)
    assert ccd is None  # not 30: a failed solve is neither safe nor unsafe
    assert [p.applied_current_density for p in points] == [1, 2, 4, 8]  # stopped at the first failure
    b = ccd_bracket(points)
    assert b["safe"] == 4 and b["failed"] == 8 and b["unsafe"] is None


def test_ccd_search_without_failures_unchanged():
    ccd, points = critical_current_density(_evaluate_failing_between(0, 0, 10), 1.0, 1000.0, 1e-3)
    assert ccd == pytest.approx(10, rel=1e-3) and ccd >= 10  # the bracket's upper end, to rtol
    assert ccd_bracket(points) is None


def test_ccd_failure_inside_the_bisection_keeps_both_ends():
    ccd, points = critical_current_density(_evaluate_failing_between(9, 11, 10), 1.0, 1000.0, 1e-3)
    b = ccd_bracket(points)
    assert ccd is None and b["safe"] == 8 and b["unsafe"] == 12 and b["failed"] == 10  # 8 ok, 16 and 12 over, 10 fails


# ---- the kinetics inverse -----------------------------------------------------------

@pytest.mark.parametrize("i0, j", [(6.9, 1e4), (1e-3, 10.0), (6.9, -1e4), (1e-3, 1e-6), (6.9, 0.0)])
def test_butler_volmer_inverse_matches_asinh(i0, j):
    law = make_kinetics("butler_volmer", exchange_current_density=i0, temperature=298.15)
    # symmetric BV: j = 2 i0 sinh(f eta / 2)  =>  eta = (2 / f) asinh(j / (2 i0))
    assert law.overpotential(j) == pytest.approx(2 / F_RT * math.asinh(j / (2 * i0)), rel=1e-10, abs=1e-14)


def test_tafel_inverse_and_impossible_current():
    law = make_kinetics("tafel", exchange_current_density=1.0, temperature=298.15)  # plating: i = -i0 exp(-a f eta)
    assert law.overpotential(-1e3) == pytest.approx(-math.log(1e3) / (0.5 * F_RT), rel=1e-10)
    with pytest.raises(SolverError, match="no overpotential"):
        law.overpotential(+1.0)  # the plating branch carries no anodic current


def test_increasing_root_brackets_from_zero():
    assert increasing_root(lambda x: x**3 - 8.0) == pytest.approx(2.0, rel=1e-12)
    assert increasing_root(lambda x: np.exp(50 * x) - np.exp(50 * -3.0)) == pytest.approx(-3.0, rel=1e-12)


# ---- result folders, provenance, JIT cache, errors ----------------------------------

def test_overwrite_exchange_leaves_a_complete_folder(tmp_path):
    from solver.io.result_folder import _place

    final, new = tmp_path / "out", tmp_path / ".out-1-x.partial"
    final.mkdir()
    (final / "summary.json").write_text("old")
    new.mkdir()
    (new / "summary.json").write_text("new")
    _place(new, final, overwrite=True)
    assert (final / "summary.json").read_text() == "new" and not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_versions_computed_once():
    from solver.io import result_folder

    result_folder._versions_cache.clear()
    calls = []
    real = result_folder._collect_versions
    result_folder._collect_versions = lambda: calls.append(1) or real()
    try:
        first, second = result_folder.software_versions(), result_folder.software_versions()
    finally:
        result_folder._collect_versions = real
    assert first == second and "python" in first and len(calls) == (1 if MPI.COMM_WORLD.rank == 0 else 0)


def test_jit_cache_orphans_removed_only_when_nobody_compiles(tmp_path):
    from solver.jit_cache import recover_jit_cache

    orphan, done = tmp_path / "libffcx_forms_1.c", tmp_path / "libffcx_forms_2.c"
    orphan.write_text("")
    done.write_text("int x;")
    (tmp_path / "libffcx_forms_2.c.cached").write_text("")
    assert recover_jit_cache(None, tmp_path) == [orphan]  # the lock was free: an orphan of a killed run
    assert done.exists() and not orphan.exists()


def test_jit_cache_mark_without_its_source_is_removed_with_the_module(tmp_path):
    """A .c.cached mark whose .c is gone (a failed compilation renamed it .c.failed) makes the
    next compilation of that form fail on creating the mark: the module is removed whole."""
    from solver.jit_cache import recover_jit_cache

    stem = "libffcx_forms_3"
    names = [f"{stem}.c.cached", f"{stem}.c.failed", f"{stem}.o", f"{stem}.cpython-312-x86_64-linux-gnu.so"]
    for name in names:
        (tmp_path / name).write_text("")
    kept = tmp_path / "libffcx_forms_4.c"
    kept.write_text("int y;")
    (tmp_path / "libffcx_forms_4.c.cached").write_text("")
    assert sorted(p.name for p in recover_jit_cache(None, tmp_path)) == sorted(names)
    assert kept.exists() and (tmp_path / "libffcx_forms_4.c.cached").exists()


@pytest.mark.parametrize("errno_name, code", [("ENOSPC", 3), ("EROFS", 2), ("EACCES", 2)])
def test_os_errors_become_one_keyed_line(errno_name, code):
    import errno

    exc = from_os_error(OSError(getattr(errno, errno_name), os.strerror(getattr(errno, errno_name)), "/r/x.json"))
    assert exc.exit_code == code and str(exc).startswith("/r/x.json: cannot write: ") and "\n" not in str(exc)


@pytest.mark.mpi
def test_error_on_one_rank_raises_on_all():
    from solver.studies.parallel import RemoteError, broadcast_errors

    comm = MPI.COMM_WORLD
    with pytest.raises((CaseError, RemoteError)) as info:
        with broadcast_errors(comm):
            if comm.rank == comm.size - 1:
                raise CaseError("k", "only on the last rank")
    assert "only on the last rank" in str(info.value) and info.value.exit_code == 2


def test_report_escapes_terminal_controls():
    from solver.cli import escaped

    out = escaped("case x: \x1b[2J\x1b[31mred\x07\nresults: /r/x")
    assert "\x1b" not in out and "\x07" not in out and "\\x1b[2J" in out and out.endswith("\nresults: /r/x")


@pytest.mark.parametrize("values", [np.zeros(50), np.full(50, 6.9), np.full(50, -1e-3), np.linspace(0, 1, 50)])
def test_histogram_of_a_flat_interface(values):
    from solver.io.pictures.interface import histogram_range

    lo, hi = histogram_range(values)
    counts, edges = np.histogram(values, 60, range=(lo, hi))  # a flat 3D height map has one value
    assert counts.sum() == 50 and lo <= values.min() and hi >= values.max()


@pytest.mark.slow
@pytest.mark.parametrize("mode, code, folder", [("error", 3, False), ("mark_failed", 3, True)])
def test_charge_imbalance_is_never_a_normal_result(tmp_path, monkeypatch, capsys, mode, code, folder):
    import json

    import yaml

    import solver.studies.run as run_module
    from solver.cli import main

    real = run_module.conduction_metrics

    def imbalanced(fields, percentile=99.0):  # what a stalled linear solve produced (9e-4)
        metrics, flux, samples = real(fields, percentile)
        return dict(metrics, charge_balance_error=9e-4), flux, samples

    monkeypatch.setattr(run_module, "conduction_metrics", imbalanced)
    raw = copy.deepcopy(BASE)
    raw["outputs"] = {"directory": str(tmp_path / "results"), "mesh_cache": None, "png": False, "fields": False}
    raw["solver"] = {"on_check_failure": mode}
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["run", str(path), "--quiet"]) == code
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "charge balance error 0.0009 exceeds the tolerance 1e-06" in err
    written = [p for p in (tmp_path / "results").glob("*") if not p.name.startswith(".")] \
        if (tmp_path / "results").exists() else []
    assert bool(written) == folder
    if folder:
        summary = json.loads((written[0] / "summary.json").read_text())
        assert summary["acceptance"]["passed"] is False
