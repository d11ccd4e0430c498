"""Plugins: geometries, kinetics laws, risk criteria and materials from outside the package.

Two routes, both ending in the same registries:

* an installed package declares entry points in these groups (``pyproject.toml``)::

      [project.entry-points."dendrite.geometries"]
      my_slab = "my_package.geometry"          # a module: importing it registers the generator
      [project.entry-points."dendrite.kinetics"]
      my_law = "my_package.kinetics"           # a module defining a KineticsLaw subclass
      [project.entry-points."dendrite.criteria"]
      my_criterion = "my_package.criteria"     # a module defining a RiskCriterion subclass
      [project.entry-points."dendrite.materials"]
      my_materials = "my_package:materials"    # a mapping in the format of materials.yaml,
                                               # or a function returning one

  They are read with :mod:`importlib.metadata` the first time a case is parsed;
* one user module, ``dendrite --plugin FILE.py ...`` (or :func:`load_file`), imported once.

A geometry registers with :func:`meshes.register`, a law or criterion by subclassing
:class:`~solver.physics.kinetics.KineticsLaw` / :class:`~solver.analysis.risk.RiskCriterion`
with a ``name``. A plugin that cannot be loaded is a :class:`PluginError` (one line,
exit code 2). See ``docs/plugins.md``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from importlib import metadata
from pathlib import Path

from solver.errors import DendriteError, one_line

__all__ = ["GROUPS", "PluginError", "load_entry_points", "load_file", "loaded"]

GROUPS = ("dendrite.geometries", "dendrite.kinetics", "dendrite.criteria", "dendrite.materials")

_loaded: list[str] = []  # what was loaded, for the run summary and for `validate`
_scanned = False


class PluginError(DendriteError):
    """A plugin could not be loaded (names the plugin and why)."""


def loaded() -> list[str]:
    """Names of the plugins loaded so far (``group:name`` or the file path)."""
    return list(_loaded)


def load_entry_points(rescan: bool = False) -> None:
    """Load every entry point of :data:`GROUPS` (the installed ones are read once per
    process; ``rescan`` reads them again, e.g. after installing a plugin, and loads the new)."""
    global _scanned
    if _scanned and not rescan:
        return
    _scanned = True
    found = metadata.entry_points()  # one scan of the installed distributions for all groups
    for group in GROUPS:
        for entry in found.select(group=group):
            if f"{group}:{entry.name}" in _loaded:
                continue
            where = f"plugin {entry.name!r} (entry point {group} = {entry.value})"
            try:
                obj = entry.load()
            except Exception as exc:  # any error of foreign code: one line naming the plugin
                raise PluginError(f"{where}: cannot be loaded: {type(exc).__name__}: {one_line(exc)}") from None
            if group == "dendrite.materials":
                _add_materials(obj, where)
            _loaded.append(f"{group}:{entry.name}")


def _add_materials(obj, where: str) -> None:
    from solver.materials.library import add_materials

    entries = obj() if callable(obj) else obj
    if not isinstance(entries, dict):
        raise PluginError(f"{where}: must give a mapping of materials (the format of materials.yaml)")
    try:
        add_materials(entries, where)
    except ValueError as exc:  # names the plugin already
        raise PluginError(one_line(exc)) from None


def load_file(path: str | Path):
    """Import the user module at ``path`` (once; later calls return the same module)."""
    path = Path(path).resolve()
    if path.suffix != ".py" or not path.is_file():
        raise PluginError(f"--plugin {path}: not a Python file")
    name = f"dendrite_plugin_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # foreign code: one line naming the file
        del sys.modules[name]
        raise PluginError(f"--plugin {path}: {type(exc).__name__}: {one_line(exc)}") from None
    _loaded.append(str(path))
    return module
