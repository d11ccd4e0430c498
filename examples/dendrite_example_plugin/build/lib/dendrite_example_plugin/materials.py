"""Materials added to dendrite's library (the format of its materials.yaml)."""

MATERIALS = {
    "beta-Li3PS4": {
        "description": "nanoporous beta-Li3PS4 (example plugin material)",
        "role": "electrolyte",
        "ionic_conductivity": {
            "value": "0.164 mS/cm", "temperature": "25 degC",
            "source": "Liu et al., J. Am. Chem. Soc. 135 (2013) 975, abstract: 1.64e-4 S/cm at 25 degC",
        },
    },
}
