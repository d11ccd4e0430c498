"""Parameter models of the physics choices (kinetics laws, risk criteria, grain-boundary models).

A choice picked by name owns a small pydantic model of its parameters, in SI floats. A
field that is a physical quantity says its SI unit with :class:`SI`::

    class Parameters(ChoiceParameters):
        interface_resistance: Annotated[float, SI("ohm*m^2")] = Field(gt=0, description="R [ohm m^2]")

In Python the model takes SI floats. The case loader (``solver.config``) derives from it
the model that reads YAML: every :class:`SI` field there also accepts a quantity with
units (``"10 ohm cm^2"``), converted once. This module knows nothing about YAML or pint,
so that ``solver.physics`` and ``solver.analysis`` can use it.
"""

from __future__ import annotations

import dataclasses

from pydantic import BaseModel, ConfigDict

__all__ = ["SI", "ChoiceParameters"]


@dataclasses.dataclass(frozen=True)
class SI:
    """Marker in a field's metadata: the field is a quantity in the SI ``unit``."""

    unit: str


class ChoiceParameters(BaseModel):
    """Base of a choice's parameters: unknown keys are errors, instances are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)

