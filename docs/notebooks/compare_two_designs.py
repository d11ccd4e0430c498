# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Compare two designs: bare Li vs the Li-Al-Cl stratified anode
#
# Both cases put the same 1 um Li-filled flaw into Li5.5PS4.5Cl1.5; they differ in the
# anode: bare Li (exchange current density 0.69 mA/cm^2) or the Li-Al-Cl stratified anode
# (1.11 mA/cm^2, both measured by Su et al. 2024, and its 64 GPa Li9Al4 + LiCl layer on Li
# in the flaw mechanics). Each run rates
# the flaw (K_I / K_IC at the applied current) and searches the critical current density
# (CCD) at which the flaw would start to crack. `dendrite compare` does the same over several
# random realisations and writes a report; here the two runs are read directly.

# %%
import tempfile
from pathlib import Path

import yaml

from solver.config.case import load_case
from solver.studies.run import run_case

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "cases").is_dir())  # the project folder
work = Path(tempfile.mkdtemp(prefix="dendrite-notebook-"))


def coarse(name: str):
    """A ready case on a coarser mesh, its CCD to 3 % (seconds instead of a minute)."""
    raw = yaml.safe_load((ROOT / "cases" / f"{name}.yaml").read_text())
    raw["mesh"] = {**raw.get("mesh", {}), "size_factor": 3.0}
    raw["risk"] = {**raw["risk"], "ccd_rtol": 0.03}  # the CCD to 3 %
    (work / f"{name}.yaml").write_text(yaml.safe_dump(raw))
    return load_case(work / f"{name}.yaml")


designs = {name: coarse(name) for name in ("flaw_bare_li", "flaw_li_al_cl")}
results = {name: run_case(case, out=work / name, quiet=True) for name, case in designs.items()}

# %% [markdown]
# The `risk` section of a summary holds the worst flaw's ratio and the CCD (`ccd`, A/m^2;
# units in `risk.units`);
# `metrics` the interface quantities (units in `metric_units`).

# %%
rows = {
    "CCD [mA/cm^2]": lambda s: s["risk"]["ccd"] / 10.0,  # A/m^2 -> mA/cm^2
    "worst K_I / K_IC at the applied current [-]": lambda s: s["risk"]["worst_ratio"],
    "mean overpotential [mV]": lambda s: s["metrics"]["mean_overpotential"] * 1e3,
    "R_ct [ohm cm^2]": lambda s: s["metrics"]["charge_transfer_resistance"] * 1e4,
}
print(f"{'':45s}" + "".join(f"{name:>16s}" for name in results))
for label, value in rows.items():
    print(f"{label:45s}" + "".join(f"{value(r.summary):16.4g}" for r in results.values()))

# %% [markdown]
# The predicted CCD ratio next to the measured one (1.0 vs 2.5 mA/cm^2 in symmetric cells,
# Su et al. 2024):

# %%
ccd = {name: r.summary["risk"]["ccd"] for name, r in results.items()}
ratio = ccd["flaw_li_al_cl"] / ccd["flaw_bare_li"]
print(f"predicted CCD ratio Li-Al-Cl / bare: {ratio:.2f}; measured: 2.5")
assert ratio > 1.0  # the faster interface kinetics of the stratified anode raises the CCD
