"""Plain option values skip Typer's pydantic coercion and come out as Typer's own coercion makes them
(ocelot_cli/commands/coercion.py); every other value still goes through Typer's."""

from enum import Enum

import pytest
import typer.core
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._coercion import build_runtime_param
from typer.main import get_command

from ocelot_cli.app import app
from ocelot_cli.commands.coercion import DECLINED, PlainFirst, plain_value


def every_parameter():
    """One parameter of each kind (annotation, bounds, choices, multiple) among all of ocelot's commands."""

    def walk(command, path):
        for param in command.params:
            yield " ".join(path), param
        for name, child in (getattr(command, "commands", None) or {}).items():
            yield from walk(child, [*path, name])

    kinds = {}
    for where, param in walk(get_command(app), ["ocelot"]):
        info = param.type_descriptor.parameter_info
        kind = (repr(param.type_descriptor.annotation), info.min, info.max, info.case_sensitive,
                param.multiple or param.nargs == -1)  # fmt: skip
        kinds.setdefault(kind, (f"{where} {param.name}", param))
    return list(kinds.values())


PARAMETERS = every_parameter()
TYPER = {}  # Typer's own coercion of each parameter, built once (a pydantic TypeAdapter)


def typer_coerce(param, value):
    """What Typer's own coercion makes of ``value``, or the exception it raises."""
    if id(param) not in TYPER:
        TYPER[id(param)] = build_runtime_param(param.type_descriptor)
    try:
        return TYPER[id(param)].coerce(value, param=param, ctx=None)
    except Exception as exc:  # noqa: BLE001 - the error is the answer
        return exc


def choices_of(param):
    annotation = param.type_descriptor.annotation
    item = (getattr(annotation, "__args__", None) or (annotation,))[0]
    if isinstance(item, type) and issubclass(item, Enum):
        spellings = [str(member.value) for member in item] + [member.name for member in item]
        return spellings + [s.upper() for s in spellings] + [f" {s}" for s in spellings]
    return ["x"]


def one_value(param):
    numberish = st.text(alphabet="0123456789+-._eE xX", max_size=8)
    near_bounds = st.integers(-3, 3).map(str) | st.floats(-0.01, 0.01).map(str)
    return st.one_of(numberish, near_bounds, st.text(max_size=6), st.sampled_from(choices_of(param)),
                     st.integers(-(10**20), 10**20), st.floats(), st.booleans())  # fmt: skip


def given_value(param):
    if param.multiple or param.nargs == -1:
        return st.lists(one_value(param), max_size=3).map(tuple)
    return one_value(param)


def same(plain, expected):
    if isinstance(plain, list):
        return isinstance(expected, list) and len(plain) == len(expected) and all(map(same, plain, expected))
    return type(plain) is type(expected) and plain == expected


@pytest.mark.parametrize(("where", "param"), PARAMETERS, ids=[where for where, _ in PARAMETERS])
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_value_taken_without_typer_is_what_typer_would_make_of_it(where, param, data):
    value = data.draw(given_value(param))
    plain = plain_value(param.type_descriptor, value)
    if plain is DECLINED:
        return
    expected = typer_coerce(param, value)
    assert not isinstance(expected, Exception), f"{where}: {value!r} taken as {plain!r}, but Typer refuses it"
    assert same(plain, expected), f"{where}: {value!r} taken as {plain!r}, Typer makes {expected!r}"


@pytest.mark.parametrize(("where", "param"), PARAMETERS, ids=[where for where, _ in PARAMETERS])
def test_an_option_not_given_is_what_typer_would_make_of_it(where, param):
    assert same(PlainFirst(param.type_descriptor).coerce(None, param=param, ctx=None), typer_coerce(param, None))


def test_typer_builds_every_parameters_coercion_plain_values_first():
    assert typer.core.build_runtime_param is PlainFirst


def test_values_that_need_converting_are_left_to_typer():
    count = next(param for where, param in PARAMETERS if where == "ocelot publish count")
    descriptor = count.type_descriptor
    assert plain_value(descriptor, "7") == 7
    assert plain_value(descriptor, "0") is DECLINED  # below --count's minimum: Typer says so
    assert plain_value(descriptor, "7.0") is DECLINED
    assert plain_value(descriptor, " 7") is DECLINED
    assert plain_value(descriptor, "abc") is DECLINED
