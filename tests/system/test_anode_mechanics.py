"""The anode side in the flaw mechanics (seed 001): the Li9Al4 + LiCl layer bonded to the
electrolyte and the Li (with its skeleton) under it are regions of the elasticity problem.

Influence coefficients G = K_I per pascal of Li pressure [m^0.5] of a 1 um notch (0.4 um
opening, 50 nm root) in LPSC (22 GPa), size_factor 1.5, measured:

- ``mechanics.anode_regions: false`` (electrolyte alone) 1.721e-3, equal to the geometry
  without an anode section (1.721e-3);
- 100 nm layer of 64 GPa alone (no Li meshed: Li fully yielded) 1.708e-3 (-0.8 %); the same
  layer with Li's stiffness 1.785e-3; a 300 nm layer 1.825e-3 (the cavity reaches further,
  through the breach);
- the layer on 2 um of elastic Li 1.446e-3 (-16 %), with 10 % skeleton 1.368e-3 (-21 %); on
  a Li of 0.1 GPa 1.821e-3.

So the bonded anode restrains the flaw mouth mostly through the Li under the layer; elastic
Li is the upper bound of that restraint (Li yields near 0.8 MPa, far below Porz pressures).
"""

import copy

import pytest

from solver.config.case import parse_case
from solver.studies.anode_mechanics import voigt_mixture
from tests.support import ANODE_FLAW_CASE, analysis

BASE = ANODE_FLAW_CASE


def _influence(**changes) -> float:
    raw = copy.deepcopy(BASE)
    for key, value in changes.items():
        section, name = key.split("__")
        if value is None:
            raw[section].pop(name)
        else:
            raw.setdefault(section, {})[name] = value
    return float(analysis(parse_case(raw)).influence[0, 0])


@pytest.fixture(scope="module")
def influences():
    anode = BASE["geometry"]["anode"]
    return {
        "layer": _influence(),
        "off": _influence(mechanics__anode_regions=False),
        "layer_only": _influence(geometry__anode={**anode, "li_thickness": 0.0}, materials__li_metal=None),
        "skeleton": _influence(geometry__anode={**anode, "skeleton_fraction": 0.1}),
    }


@pytest.mark.mpi
def test_stiff_layer_lowers_the_flaw_stress_intensity(influences):
    g = influences
    print({k: f"{v:.4g}" for k, v in g.items()})
    assert g["layer"] < 0.9 * g["off"]  # measured 0.84: the bonded layer and Li restrain the mouth
    assert 0.97 * g["off"] < g["layer_only"] < g["off"]  # measured -0.8 %: a 100 nm layer alone, little


def test_li_yielded_bound_is_the_layer_alone(influences):
    # the run's own bound (the Li region removed from the elasticity problem) against the
    # geometry that meshes no Li at all: the same mechanics on two meshes
    risk = analysis(parse_case(copy.deepcopy(BASE)))
    assert risk.influence[0, 0] == pytest.approx(influences["layer"], rel=1e-12)
    # measured equal to 4e-15: the electrolyte and layer are meshed alike with and without the Li
    assert risk.influence_li_yielded[0, 0] == pytest.approx(influences["layer_only"], rel=1e-9)
    assert risk.anode_shielding(0, li="yielded") > risk.anode_shielding(0)


def test_skeleton_stiffens_the_li_and_lowers_k_i(influences):
    assert influences["skeleton"] < influences["layer"] * 0.99  # measured -5 %


def test_voigt_mixture():
    e, nu = voigt_mixture(0.1, (7.82e9, 0.381), (64e9, 0.3))
    assert e == pytest.approx(0.9 * 7.82e9 + 0.1 * 64e9, rel=1e-12)
    assert nu == pytest.approx(0.9 * 0.381 + 0.03, rel=1e-12)
    assert voigt_mixture(0.0, (1.0, 0.2), (5.0, 0.3)) == (1.0, 0.2)
