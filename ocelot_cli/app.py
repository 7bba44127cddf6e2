"""The ``ocelot`` Typer app: global options and the list of commands.

Command modules import only typer at load time; their work is imported when they run,
so ``ocelot --help`` stays fast and touches no broker driver.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from ocelot_cli import __version__
from ocelot_cli.commands import (
    catalog,
    completions,
    config,
    doctor,
    gateway,
    load,
    publish,
    replay,
    smoke,
    tail,
    token,
    validate,
)
from ocelot_cli.commands.state import RunState, set_current
from ocelot_cli.config import settings
from ocelot_cli.errors import exit_status_table

_ENV_VARS = [(s.env, s.help) for s in settings.SETTINGS.values()] + [
    (settings.ENV_PROFILE, "settings profile to use"),
    (settings.ENV_CONFIG, "profiles file (default ~/.config/ocelot/config.yaml)"),
    ("OCELOT_JWT_SECRET", "HS256 secret of 'ocelot token' (and the gateway)"),
    (settings.ENV_DEBUG, "1 = show tracebacks"),
    ("NO_COLOR", "1 = no colour"),
]
ENV_HELP = "\n".join(f"  {name:<22} {text}" for name, text in _ENV_VARS)

EPILOG = f"""\b
Exit status:
{exit_status_table()}

\b
Environment:
{ENV_HELP}
"""

HELP = """Publish, watch, replay, load-test and validate events of the Ocelot platform bus (RabbitMQ) and the
OttoAI real-time stream (WebSocket channels, Redis), and run a reference real-time gateway.

\b
Examples:
  ocelot publish call.ended --set data.outcome=callback_requested
  ocelot tail 'comms.call.*'                    watch the exchange live
  ocelot replay fixtures/callback-flow.yaml     a scenario with its timing
  ocelot load --rate 5000 --assert 'p99<20ms'   a load test, gated on p99
  ocelot tail ws://127.0.0.1:8765/ws --channel tenant:t1:events
  ocelot validate fixtures/ --format junit      check event files in CI
  ocelot catalog list                           every known event type
"""

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _arguments_as_people_write_them() -> None:
    """Help shows an argument by its metavar alone (typer adds Python types such as ``<list[str]>``)
    and the usage line writes it as a manual would: ``FILE...``, ``[TYPE]...``."""
    from typer.core import TyperArgument

    def usage_name(self: TyperArgument) -> str:
        name = self.display_name_raw
        if self.nargs != 1 and not name.endswith("..."):
            name += "..."
        return name if self.required or name.startswith("[") else f"[{name}]"

    TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
    TyperArgument._usage_display_name = usage_name  # type: ignore[method-assign]


_arguments_as_people_write_them()

app = typer.Typer(
    name="ocelot",
    help=HELP,
    epilog=EPILOG,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    no_args_is_help=True,
    context_settings=CONTEXT,
)


def _print_version(value: bool) -> None:
    if value:
        print(f"ocelot {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help=f"Show tracebacks of errors. [env: {settings.ENV_DEBUG}]")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only data and errors; no progress or warnings.")
    ] = False,
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, show_default=False, help="More detail on stderr.")
    ] = 0,
    no_color: Annotated[bool, typer.Option("--no-color", help="No colour (also NO_COLOR=1).")] = False,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            "-p",
            metavar="NAME",
            help=f"Settings profile from the config file. [env: {settings.ENV_PROFILE}]",
        ),
    ] = None,
) -> None:
    from ocelot_cli.render.output import Output

    debug = debug or os.environ.get(settings.ENV_DEBUG, "") not in ("", "0")
    state = RunState(
        output=Output(quiet=quiet, verbose=verbose, no_color=no_color, debug=debug), profile=profile, debug=debug
    )
    set_current(state)
    ctx.obj = state


app.command("publish", context_settings=CONTEXT)(publish.publish)
app.command("tail", context_settings=CONTEXT)(tail.tail)
app.command("replay", context_settings=CONTEXT)(replay.replay)
app.add_typer(load.app, name="load")
app.command("token", context_settings=CONTEXT)(token.token)
app.command("gateway", context_settings=CONTEXT)(gateway.gateway)
app.add_typer(catalog.app, name="catalog")
app.command("validate", context_settings=CONTEXT)(validate.validate)
app.command("smoke", context_settings=CONTEXT)(smoke.smoke)
app.command("doctor", context_settings=CONTEXT)(doctor.doctor)
app.add_typer(config.app, name="config")
app.command("completions", context_settings=CONTEXT)(completions.completions)
