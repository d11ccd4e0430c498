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
# # Run a case from Python and read its metrics
#
# A case is a YAML file (see the [case reference](../case_reference.md)). This notebook
# loads the default case (a bare Li anode on Li5.5PS4.5Cl1.5 with a rough interface and
# 10 % contact loss, plated at 1 mA/cm^2), makes its mesh coarse so that it runs in a few
# seconds, solves it and reads the metrics, their units and the references behind the
# material values.

# %%
import tempfile
from pathlib import Path

import yaml

from solver.config.case import load_case
from solver.studies.run import run_case

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "cases").is_dir())  # the project folder
raw = yaml.safe_load((ROOT / "cases" / "default.yaml").read_text())
raw["mesh"] = {"interface_size": "0.4 um", "size": "4 um"}  # coarse: seconds, not minutes
work = Path(tempfile.mkdtemp(prefix="dendrite-notebook-"))
(work / "case.yaml").write_text(yaml.safe_dump(raw))
case = load_case(work / "case.yaml")
case.name, case.model.electrochemistry.applied_current_density  # SI: A/m^2

# %% [markdown]
# `run_case` meshes, solves, post-processes and writes a result folder (`out=`).
# `quiet=True` leaves out the progress display.

# %%
result = run_case(case, out=work / "run", quiet=True)
metrics, units = result.summary["metrics"], result.summary["metric_units"]
for name in ("mean_interface_current_density", "max_interface_current_density", "focusing_factor",
             "charge_balance_error", "counter_potential"):
    print(f"{name:34s} {metrics[name]:.4g} {units[name]}")

# %% [markdown]
# The focusing factor (maximum / mean interface current density) says how strongly the
# current concentrates; the charge balance error checks that the current through the
# interface equals the applied current.

# %%
assert metrics["charge_balance_error"] < 1e-6  # the solve conserves charge
assert metrics["focusing_factor"] >= 1.0       # a maximum is never below the mean

# %% [markdown]
# Every material value of the case comes with its source; the summary lists the works
# the run relied on, and what each was used for.

# %%
for ref in result.summary["references"]:
    print(f"[{ref['key']}] {ref['citation']}")
    for use in ref["used_for"]:
        print("    ", use)

# the exchange current density of this case is Su et al. 2024, Supplementary Fig. 23
assert any(use.startswith("Li5.5PS4.5Cl1.5.exchange_current_density: Supplementary Fig. 23")
           for ref in result.summary["references"] if ref["key"] == "su2024" for use in ref["used_for"])

# %% [markdown]
# The result folder holds the fields for ParaView (`fields.xdmf`), the interface table
# (`interface.csv`), pictures and `summary.json`.

# %%
sorted(p.name for p in result.folder.iterdir())
