"""Pictures of a run: one visual language for every figure the package writes.

- :mod:`~solver.io.pictures.style`: matplotlib style, colour-blind-safe palette, colour
  maps per quantity, display units from the metric registry, robust colour ranges,
  round-off detection;
- :mod:`~solver.io.pictures.meta`: the machine-readable description stored in each PNG
  (title, quantity, unit, axis labels, colour and data range) and the checks on it;
- :mod:`~solver.io.pictures.gather`: mesh, cell values and tagged facets collected on rank 0;
- :mod:`~solver.io.pictures.fields2d`: 2D maps (axes in um, scale bar, GB network, voids);
- :mod:`~solver.io.pictures.fields3d`: 3D views (pyvista off screen): the interface
  coloured by current density, slices through the electrolyte, GB facets, flaw fronts;
- :mod:`~solver.io.pictures.interface`: interface profiles (broken at voids), histograms;
- :mod:`~solver.io.pictures.plots`: CCD search, crack fronts, sweeps, cycling;
- :mod:`~solver.io.pictures.compare`: comparison maps on one colour scale;
- :mod:`~solver.io.pictures.run_pictures`: the ``pictures`` output of a run;
- :mod:`~solver.io.pictures.gallery`: the documentation gallery from the shipped cases.
"""
