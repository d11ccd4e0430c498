"""report.md / report.html from a result folder: what they show for unusual folders."""

from __future__ import annotations

import json

import numpy as np

from solver.io.documents import write_run_report

SUMMARY = {
    "case": "odd",
    "description": "Li | LPSC <script>alert(1)</script> & more",
    "dimension": 2,
    "metrics": {"cell_voltage": 0.05, "max_abs_overpotential": 0.04, "mean_overpotential": -3e-20,
                "focusing_factor": 2.0, "focusing_factor_percentile": 1.5, "max_interface_current_density": 20.0,
                "hot_spot": [1e-6, 0.0], "applied_current_density_projected": 10.0},
    "acceptance": {"passed": False, "failures": ["charge balance error 0.003 exceeds the tolerance 1e-06"],
                   "charge_balance_error": 0.003, "charge_balance_tolerance": 1e-6},
    "versions": {"dendrite": "0.1.0"},
}


def _folder(tmp_path, pictures=()):
    (tmp_path / "summary.json").write_text(json.dumps(SUMMARY))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for name in pictures:
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.imshow(np.arange(16.0).reshape(4, 4))
        fig.savefig(tmp_path / name)
        plt.close(fig)
    return tmp_path


def test_failed_checks_escaped_text_and_any_picture(tmp_path):
    folder = _folder(tmp_path, ["grain_map.png"])
    write_run_report(folder)
    markdown, page = (folder / "report.md").read_text(), (folder / "report.html").read_text()
    assert "**The solution failed its checks**: charge balance error 0.003 exceeds the tolerance 1e-06." in markdown
    # text from the case cannot inject markup: it is shown, escaped
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    # a picture the report does not know by name is still shown (titled by its file name) and embedded
    assert "### grain map" in markdown and "](grain_map.png)" in markdown
    assert page.count('src="data:image/png;base64,') == 1
    # the overpotential at round-off of a 50 mV cell voltage is 0; the resolved one keeps its value
    assert "| mean overpotential | 0 | mV |" in markdown
    assert "| worst local overpotential magnitude | 40 | mV |" in markdown
    # no fields in this folder: the report names none
    assert "fields.vtu" not in markdown


def test_a_folder_without_pictures_has_no_picture_section(tmp_path):
    folder = _folder(tmp_path)
    write_run_report(folder)
    markdown = (folder / "report.md").read_text()
    assert "## Pictures" not in markdown and "<img" not in (folder / "report.html").read_text()
    assert "No library value is used" in markdown
