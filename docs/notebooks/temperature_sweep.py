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
# # A sweep: cell potential and focusing over temperature
#
# The ready case `cases/temperature_sweep.yaml` (bare Li | Li6PS5Cl, rough interface with
# contact loss, 1 mA/cm^2) carries a `study:` section for `dendrite sweep`, which runs every
# point, resumes after an interruption and writes one table. From Python the same is a loop:
# change one key of the case, load it, run it, keep the metrics.
#
# Two losses set the counter potential V (electrolyte on the counter boundary vs the anode):
# the ohmic drop i L / sigma(T), where the conductivity follows Arrhenius' law with the
# library's activation energy (0.38 eV, Kraft et al. 2017), and the charge-transfer
# overpotential (2 R T / F) asinh(i / (2 i0)) of symmetric Butler-Volmer kinetics, where i0
# follows Arrhenius' law too (the library's exchange-current activation energy, taken equal
# to the conduction one: an assumption it states with its source). Both losses grow as it
# gets colder.

# %%
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # pictures to files, no window
import math

import matplotlib.pyplot as plt
import yaml

from solver.config.case import load_case
from solver.config.temperature import exchange_current_density_at, ionic_conductivity_at
from solver.studies.run import run_case

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "cases").is_dir())  # the project folder
work = Path(tempfile.mkdtemp(prefix="dendrite-notebook-"))
base = yaml.safe_load((ROOT / "cases" / "temperature_sweep.yaml").read_text())
base.pop("study")  # the loop below replaces it
base["mesh"] = {"interface_size": "0.4 um", "size": "4 um"}  # coarse: a second or two per point

# %%
temperatures = ["-20 degC", "20 degC", "60 degC"]
FARADAY, GAS_CONSTANT = 96485.33212, 8.314462618  # C/mol, J/(mol K)


def flat_estimate(case) -> float:
    """V [V] of a flat interface carrying the current on its contacting fraction only."""
    chem = case.model.electrochemistry
    temperature, i = chem.temperature, chem.applied_current_density  # K, A/m^2
    sigma = ionic_conductivity_at(case, "electrolyte").value  # S/m, Arrhenius
    i0 = exchange_current_density_at(case).value  # A/m^2, Arrhenius
    i_contact = i / case.geometry.contact.fraction
    return (i * case.geometry.thickness / sigma
            + 2 * GAS_CONSTANT * temperature / FARADAY * math.asinh(i_contact / (2 * i0)))


rows = []
for i, temperature in enumerate(temperatures):
    chemistry = {**base["electrochemistry"], "temperature": temperature}
    raw = {**base, "name": f"T{i}", "electrochemistry": chemistry}
    (work / f"T{i}.yaml").write_text(yaml.safe_dump(raw))
    case = load_case(work / f"T{i}.yaml")
    metrics = run_case(case, out=work / f"T{i}", quiet=True).summary["metrics"]
    rows.append((temperature, metrics["counter_potential"], flat_estimate(case), metrics["focusing_factor"]))

print(f"{'temperature':>12s} {'V [mV]':>8s} {'flat estimate [mV]':>19s} {'focusing factor [-]':>20s}")
for temperature, potential, estimate, focusing in rows:
    print(f"{temperature:>12s} {potential * 1e3:8.2f} {estimate * 1e3:19.2f} {focusing:20.4f}")

# %% [markdown]
# The finite-element result follows the flat estimate; what it adds is the current
# crowding around the voids and the roughness (the focusing factor above 1, largest where
# the electrolyte is least conductive, at -20 degC). A few per cent separate the two,
# since the estimate ignores that crowding.

# %%
for temperature, potential, estimate, _ in rows:
    assert abs(potential - estimate) < 0.05 * estimate, temperature
potentials = [potential for _, potential, _, _ in rows]

fig, ax = plt.subplots(figsize=(4, 3))
ax.plot([float(t.split()[0]) for t in temperatures], [p * 1e3 for p in potentials], "o-")
ax.set_xlabel("temperature [degC]")
ax.set_ylabel("counter potential [mV]")
fig.tight_layout()
fig.savefig(work / "temperature_sweep.png")
