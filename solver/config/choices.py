"""Case sections of the physics choices, built from the registries.

A kinetics law or a risk criterion owns a parameter model in SI floats
(:class:`~solver.parameters.ChoiceParameters`). The section that reads it from YAML is
derived here: the name key (``law``, ``criterion``) fixed to the choice's name, every
:class:`~solver.parameters.SI` field accepting quantities with units, and the choices put
together as a pydantic discriminated union, so that a key the chosen law or criterion does
not take is an error naming it. The unions are rebuilt when a plugin adds a choice.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, BeforeValidator, Field, create_model

from solver.config.units import Quantity
from solver.parameters import SI

__all__ = ["choice_model", "choice_union", "marker", "DISCRIMINATORS"]

#: name key of a choice section -> the choice taken when the key is left out
DISCRIMINATORS: dict[str, str] = {}


def marker(field, kind: type):
    """The first ``kind`` instance in a pydantic field's metadata or anywhere inside its
    annotation (``Annotated[float, SI("m")] | None`` keeps it inside), or None."""
    stack = [field.annotation, *field.metadata]
    while stack:
        a = stack.pop()
        if isinstance(a, kind):
            return a
        stack.extend(getattr(a, "__metadata__", ()))
        stack.extend(typing.get_args(a))
    return None


def _with_units(annotation, unit: str):
    """``Quantity(unit)``, optional when ``annotation`` allows None."""
    optional = type(None) in typing.get_args(annotation)
    return Quantity(unit) | None if optional else Quantity(unit)


def choice_model(parameters: type[BaseModel], key: str, name: str, base: type[BaseModel] | None = None,
                 description: str = "") -> type[BaseModel]:
    """The YAML model of one choice: ``key: Literal[name]`` + ``parameters`` (+ ``base``'s keys)."""
    fields: dict[str, Any] = {key: (Literal[name], Field(name, description=description or f"{key}: {name}"))}
    for field_name, info in parameters.model_fields.items():
        si = marker(info, SI)
        if si is not None:
            fields[field_name] = (_with_units(info.annotation, si.unit), info)
    bases = (base, parameters) if base is not None else (parameters,)
    model = create_model(f"{parameters.__name__}_{name}", __base__=bases, __doc__=parameters.__doc__, **fields)
    model.choice_parameters = parameters
    return model


def _default_choice(key: str, default: str):
    def fill(value):
        if isinstance(value, dict) and key not in value:
            return {key: default, **value}
        return value

    return fill


def choice_union(models: list[type[BaseModel]], key: str, default: str):
    """A discriminated union on ``key`` of ``models``; a mapping without ``key`` takes ``default``."""
    DISCRIMINATORS[key] = default
    inner = Union[tuple(models)] if len(models) > 1 else models[0]
    discriminated = Annotated[inner, Field(discriminator=key)] if len(models) > 1 else inner
    return Annotated[discriminated, BeforeValidator(_default_choice(key, default))]
