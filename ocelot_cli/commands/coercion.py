"""Option values that need no conversion skip Typer's pydantic-based coercion.

Typer 0.29 converts every parameter's value through a pydantic TypeAdapter, built on first use, even
an option that was not given: importing pydantic and building the adapters costs more than the rest
of a short command's start-up. A value that is already what its annotation asks for (None for an
option not given, a str for str, digits for int or float within the option's bounds, a choice spelled
as Typer accepts it) is returned here as Typer would return it; any other value goes to Typer's own
coercion, so every conversion it does and every error message stay Typer's.
tests/unit/test_coercion.py holds the two to the same answers.
"""

from __future__ import annotations

import math
import re
from enum import Enum
from typing import Any, get_args, get_origin

import typer.core
from typer._coercion import build_runtime_param as typer_runtime_param
from typer._param_types import coerce_cli_choice, routes_to_path

DECLINED = object()  # the value needs Typer's own coercion

_INTEGER = re.compile(r"[+-]?[0-9]{1,18}")
_DECIMAL = re.compile(r"[+-]?[0-9]{1,15}(\.[0-9]{1,15})?")


def plain_value(descriptor: Any, value: Any, ctx: Any = None) -> Any:
    """``value`` (given, not None) as Typer's coercion would return it, or DECLINED when that takes Typer."""
    info = descriptor.parameter_info
    if info.parser is not None or info.clamp or descriptor.file_annotation is not None:
        return DECLINED
    annotation = descriptor.annotation
    if get_origin(annotation) is list:
        if len(get_args(annotation)) != 1 or not isinstance(value, list | tuple):
            return DECLINED
        items = [_leaf(get_args(annotation)[0], info, v, ctx) for v in value]
        return DECLINED if any(i is DECLINED for i in items) else items
    return _leaf(annotation, info, value, ctx)


def _leaf(annotation: Any, info: Any, value: Any, ctx: Any) -> Any:
    if routes_to_path(annotation, info):
        return DECLINED  # a path's checks are Typer's
    if annotation is str:
        return value if isinstance(value, str) else DECLINED
    if annotation is int or annotation is float:
        return _number(annotation, info, value)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        try:
            return coerce_cli_choice(value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx)
        except ValueError:
            return DECLINED
    return DECLINED


def _number(kind: type, info: Any, value: Any) -> Any:
    if type(value) is kind and (kind is int or math.isfinite(value)):
        number = value
    elif isinstance(value, str) and (_INTEGER if kind is int else _DECIMAL).fullmatch(value):
        number = kind(value)
    else:
        return DECLINED
    return number if _within_bounds(number, info) else DECLINED


def _within_bounds(number: float, info: Any) -> bool:
    return (info.min is None or number >= info.min) and (info.max is None or number <= info.max)


class PlainFirst:
    """A parameter's runtime coercion: plain values here, the rest through the one Typer would build."""

    def __init__(self, descriptor: Any) -> None:
        self.descriptor = descriptor
        self._typer: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        multiple = param.multiple or param.nargs == -1
        if value is None:
            return () if multiple else None  # as Typer's does, before it needs an adapter
        if not (multiple and isinstance(value, str)):
            plain = plain_value(self.descriptor, value, ctx)
            if plain is not DECLINED:
                return plain
        if self._typer is None:
            self._typer = typer_runtime_param(self.descriptor)
        return self._typer.coerce(value, param=param, ctx=ctx)


def coerce_plain_values_first() -> None:
    """Give every Typer parameter the PlainFirst coercion (Typer builds one per parameter on first use)."""
    typer.core.build_runtime_param = PlainFirst  # type: ignore[attr-defined]
