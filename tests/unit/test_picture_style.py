"""The picture style helpers: robust colour ranges, display units from the metric registry,
unit text, round-off, the metadata stored in each PNG and the checks made on it, and the
line plots drawn from synthetic data (no finite elements)."""

from __future__ import annotations

import numpy as np
import pytest

from solver.io.pictures import style
from solver.io.pictures.meta import check_picture, read_info, save_figure


def test_percentile_clipping_ignores_one_hot_cell_and_states_the_true_maximum():
    values = np.concatenate([np.linspace(1.0, 2.0, 999), [50.0]])  # one singular cell
    cr = style.robust_range(values, percentile=99.5)
    assert cr.data_max == 50.0 and cr.data_min == 1.0
    assert 1.99 <= cr.hi <= 2.0 and cr.lo <= 1.006  # the colour bar spans the bulk, not the outlier
    assert cr.clipped_high and cr.extend == "both"  # percentiles clip both ends of any spread
    assert cr.data_min <= cr.lo < cr.hi <= cr.data_max


def test_percentiles_are_area_weighted():
    # a tiny cell with a large value and a huge cell with a small one: the weighted 99.5th
    # percentile is the small value, the unweighted one would be the large value
    values = np.concatenate([np.linspace(1.0, 2.0, 10), [5.0] * 10])
    weights = np.array([10.0] * 10 + [1e-3] * 10)
    assert style.robust_range(values, weights).hi == 2.0
    assert style.robust_range(values).hi == 5.0


def test_constant_field_gets_a_colour_bar_of_finite_width_and_signed_is_centred_on_zero():
    cr = style.robust_range(np.full(10, 3.0))
    assert cr.lo < 3.0 < cr.hi and cr.hi - cr.lo == pytest.approx(6e-3)
    signed = style.robust_range(np.linspace(-1.0, 3.0, 401), signed=True, percentile=100)
    assert (signed.lo, signed.hi) == (-1.0, 3.0)  # within the data
    norm = style.norm(signed, signed=True)
    assert norm(0.0) == 0.5 and norm(-1.0) == 0.0 and norm(3.0) == 1.0  # zero is the neutral colour


def test_display_units_come_from_the_metric_registry_via_pint():
    assert style.display("interface_current_density") == (pytest.approx(0.1), "mA/cm^2")
    assert style.display("overpotential") == (pytest.approx(1e3), "mV")
    assert style.display("stress_intensity") == (pytest.approx(1e-6), "MPa m^0.5")
    assert style.display("length") == (pytest.approx(1e6), "um")
    from solver.analysis.registry import metric

    item = metric("max_interface_current_density")
    assert style.display("current_density_magnitude") == (pytest.approx(item.scale()), item.shown_unit())


def test_unit_text_for_matplotlib():
    assert style.tex_unit("mA/cm^2") == "mA/cm$^{2}$"
    assert style.tex_unit("MPa m^0.5") == "MPa m$^{1/2}$"
    assert style.tex_unit("um") == "\u00b5m" and style.tex_unit("maximum 2 um") == "maximum 2 \u00b5m"
    assert style.tex_unit("ohm cm^2") == "\u03a9 cm$^{2}$" and style.tex_unit("") == "-"
    assert style.axis_label("interface_current_density") == "interface current density $i$ [mA/cm$^{2}$]"


def test_round_off_is_zero_and_real_values_survive():
    thermal = style.quantity("overpotential").roundoff_scale
    assert thermal == pytest.approx(0.0257, rel=1e-2)  # RT/F at 25 degC
    eta = np.array([8.2e-20, -3e-19, 2.6e-8, -0.03])  # primary kinetics round-off, then real overpotentials
    assert style.round_off(eta, thermal).tolist() == [0.0, 0.0, 2.6e-8, -0.03]
    assert style.is_round_off(eta[:2], thermal) and not style.is_round_off(eta, thermal)
    assert style.format_number(0.0) == "0" and style.format_number(1.23456e-4) == "0.000123"


def _figure(tmp_path, info, draw=True):
    import matplotlib.pyplot as plt

    style.apply_style()
    fig, ax = plt.subplots()
    if draw:
        ax.plot(np.arange(10), np.arange(10) ** 2)
        ax.set_xlabel("x [um]")
    else:
        ax.set_axis_off()
    return save_figure(fig, tmp_path / "p.png", info)


def test_metadata_round_trips_through_the_png_and_passes_the_checks(tmp_path):
    info = {"title": "case: thing", "unit": "mA/cm^2", "axes": {"x": "x [um]", "y": "y [mV]"},
            "colour_range": [1.0, 2.0], "data_range": [0.5, np.float64(3.0)]}
    path = _figure(tmp_path, info)
    assert read_info(path) == {**info, "data_range": [0.5, 3.0]}
    assert check_picture(path) == []


@pytest.mark.parametrize("info, problem", [
    ({"title": "t", "axes": {"x": "x"}}, "has no [unit]"),
    ({"title": "", "axes": {"x": "x [um]"}}, "no title"),
    ({"title": "t", "axes": {}}, "no axis labels"),
    ({"title": "t", "axes": {"x": "x [um]"}, "unit": "mV", "colour_range": [0.0, 4.0], "data_range": [1.0, 3.0]},
     "outside the data range"),
    ({"title": "t", "axes": {"x": "x [um]"}, "colour_range": [1.0, 2.0], "data_range": [1.0, 3.0]},
     "colour bar without a unit"),
])
def test_check_picture_finds_what_is_missing(tmp_path, info, problem):
    problems = check_picture(_figure(tmp_path, info))
    assert len(problems) == 1 and problem in problems[0]


def test_check_picture_finds_a_blank_picture(tmp_path):
    problems = check_picture(_figure(tmp_path, {"title": "t", "axes": {"x": "x [um]"}}, draw=False))
    assert len(problems) == 1 and "blank" in problems[0]


def _samples_with_a_void():
    """A flat 2D interface 0..10 um, 20 facets, facets 8..11 (4-6 um) lost contact."""
    x = np.linspace(0, 10e-6, 21)
    keep = [k for k in range(20) if not 8 <= k < 12]
    pts = np.array([[[x[k], 0.0], [x[k + 1], 0.0]] for k in keep])
    i = 10.0 + pts[:, :, 0] * 1e5  # A/m^2, rising to the right
    i[3, 1] = i[4, 0] = 30.0  # a peak at a vertex: the marked maximum must be this one
    return {"points": pts, "current_density": i, "overpotential": np.full_like(i, 8.2e-20),
            "area": np.linalg.norm(pts[:, 1] - pts[:, 0], axis=1)}


def test_interface_profile_breaks_at_voids_and_marks_the_vertex_maximum(tmp_path):
    from solver.io.pictures.interface import _joined, _polylines, chains, interface_profile

    samples = _samples_with_a_void()
    runs = chains(samples["points"])
    assert [len(r) for r in runs] == [8, 8]  # two contact runs, the void between them
    xs, ys = _joined([r["xy"][:, 0] for r in _polylines(samples)], [r["i"] for r in _polylines(samples)])
    gap = np.flatnonzero(np.isnan(ys))
    assert gap.size == 1 and xs[gap[0] - 1] == pytest.approx(4e-6) and xs[gap[0] + 1] == pytest.approx(6e-6)
    info = interface_profile(samples, tmp_path / "i.png", case="synthetic")
    assert info["max_current_density"] == pytest.approx(3.0)  # 30 A/m^2 in mA/cm^2, the vertex value
    assert info["contact_runs"] == 2 and info["overpotential"] == "not applicable"
    assert check_picture(tmp_path / "i.png") == []


def test_chains_follow_facets_in_any_order_and_orientation():
    from solver.io.pictures.interface import chains

    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 11)
    pts = np.array([[[x[k], 0.0], [x[k + 1], 0.0]] for k in range(10)])
    flip = rng.random(10) < 0.5
    pts[flip] = pts[flip][:, ::-1]
    pts = pts[rng.permutation(10)]
    (run,) = chains(pts)
    walk = [pts[f, 1 if rev else 0, 0] for f, rev in run]
    assert np.all(np.diff(walk) > 0) and len(run) == 10


def test_histogram_labels_both_axes_and_round_off_is_not_applicable(tmp_path):
    from solver.io.pictures.interface import interface_histogram

    rng = np.random.default_rng(0)
    samples = {"current_density": 10 + rng.random((50, 3)), "overpotential": np.full((50, 3), 1e-20),
               "area": np.ones(50), "points": np.zeros((50, 3, 3))}
    info = interface_histogram(samples, tmp_path / "h.png", case="synthetic")
    assert info["axes"]["y"] == "area fraction [%]" and "[mA/cm$^{2}$]" in info["axes"]["x_current"]
    assert check_picture(tmp_path / "h.png") == []


def test_risk_sweep_shows_the_measured_ccd_beside_the_prediction(tmp_path):
    from solver.io.pictures.plots import risk_sweep

    points = [{"applied_current_density": i, "worst_ratio": i / 5.0} for i in (1.0, 2.0, 4.0, 8.0)]
    info = risk_sweep(points, tmp_path / "r.png", case="c", criterion="fracture_toughness", ccd=5.0,
                      measured_ccd=10.0, measured_source="seed 001")
    assert info["predicted_ccd"] == pytest.approx(0.5) and info["measured_ccd"] == pytest.approx(1.0)
    assert check_picture(tmp_path / "r.png") == []


def test_sweep_plot_and_cycling_plot(tmp_path):
    from solver.io.pictures.plots import sweep_plot, voltage_time

    records = [{"status": "ok", "value": f"{t} degC", "metrics": {"max_interface_current_density": 10.0 + t,
                                                                   "focusing_factor": 1.1, "cell_voltage": 0.03,
                                                                   "hot_spot": [0.0, 0.0]}} for t in (0, 20, 40)]
    records.append({"status": "failed", "value": "60 degC", "metrics": {}})
    info = sweep_plot(records, tmp_path / "s.png", case="c", parameter="electrochemistry.temperature")
    assert info["points"] == 3 and info["failed"] == 1 and "[\u00b0C]" in info["axes"]["x"]
    assert "mA/cm" in info["axes"]["y_max_interface_current_density"]
    rows = [{"time_s": 3600.0 * k, "cell_voltage_V": 0.01 * np.sin(k), "contact_fraction": 1.0,
             "min_contact_fraction": 0.9, "counter_contact_fraction": 1.0,
             "peak_local_current_density_A_m2": 10.0} for k in range(20)]
    voltage_time(rows, tmp_path / "v.png", case="c", short_s=15 * 3600.0)
    for name in ("s.png", "v.png"):
        assert check_picture(tmp_path / name) == []


def test_drawing_leaves_the_callers_matplotlib_settings_alone(tmp_path):
    import matplotlib

    from solver.io.pictures.plots import risk_sweep

    with matplotlib.rc_context({"lines.linewidth": 7.0, "axes.grid": False}):
        risk_sweep([{"applied_current_density": 1.0, "worst_ratio": 0.5}], tmp_path / "r.png", case="c",
                   criterion="critical_overpotential")
        assert matplotlib.rcParams["lines.linewidth"] == 7.0 and not matplotlib.rcParams["axes.grid"]
