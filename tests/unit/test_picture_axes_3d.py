"""The axis titles of the 3D views carry the micro sign: it is drawn (VTK's 2D text drops it)."""

from __future__ import annotations

import numpy as np

from solver.io.pictures.fields3d import _TITLES, draw_axes
from solver.io.pictures.gather import pyvista


def _axes_image(titles) -> np.ndarray:
    pv = pyvista()
    plotter = pv.Plotter(off_screen=True, window_size=(500, 400))
    plotter.set_background("white")
    plotter.add_mesh(pv.Cube(center=(1, 1, 1), x_length=2, y_length=2, z_length=2), color="white")
    draw_axes(plotter, (0, 2, 0, 2, 0, 2), titles)
    image = plotter.screenshot(return_img=True)
    plotter.close()
    return image


def test_the_micro_sign_of_the_axis_titles_is_drawn():
    assert all(title.endswith("[\u00b5m]") for title in _TITLES)
    with_micro = _axes_image(_TITLES)
    without = _axes_image(tuple(t.replace("\u00b5", "") for t in _TITLES))
    # the titles differ only by the micro sign: its pixels are there (dark on white)
    changed = np.abs(with_micro.astype(int) - without.astype(int)).max(axis=-1) > 100
    assert changed.sum() > 50
