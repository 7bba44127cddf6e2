"""The ``ocelot`` Typer app: global options and the table of commands.

A command's module is imported only when that command is looked up (run, its --help, shell
completion); ``ocelot --help`` lists the commands from the table's summaries. Command modules
import only typer at load time and their work when they run, so no broker driver is touched early.
"""

from __future__ import annotations

import importlib
import os
from typing import Annotated, Any

import typer

from ocelot_cli import version_line
from ocelot_cli.commands.coercion import coerce_plain_values_first
from ocelot_cli.commands.lazy_group import LazyCommandGroup, LazyEntry
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
coerce_plain_values_first()

# Every Typer app that builds part of the command tree is made alike (the root and each command's holder).
TYPER_SETTINGS: dict[str, Any] = {"rich_markup_mode": None, "pretty_exceptions_enable": False, "add_completion": False}

# In the order of `ocelot --help`; a summary is the first paragraph of the command's help (tests/cli/test_startup.py).
COMMANDS = {
    "publish": LazyEntry("ocelot_cli.commands.publish:publish",
                         "Publish events to the platform exchange with publisher confirms, or to OttoAI channels."),
    "tail": LazyEntry("ocelot_cli.commands.tail:tail",
                      "Watch events flowing through an exchange, Redis pub/sub channels, or OttoAI WebSocket "
                      "channels, live."),
    "record": LazyEntry("ocelot_cli.commands.record:record",
                        "Keep the exchange's messages on the broker in a RabbitMQ stream, for 'ocelot tail --stream "
                        "--since'."),
    "replay": LazyEntry("ocelot_cli.commands.replay:replay",
                        "Replay fixture files to the exchange (or OttoAI channels), keeping routing keys, properties "
                        "and timing."),
    "token": LazyEntry("ocelot_cli.commands.token:token",
                       "Mint a token for the real-time gateway, or print the JWKS that verifies it."),
    "gateway": LazyEntry("ocelot_cli.commands.gateway:gateway",
                         "Run the reference OttoAI real-time gateway: WebSocket on /ws, fed by Redis pub/sub."),
    "validate": LazyEntry("ocelot_cli.commands.validate:validate",
                          "Validate events against the catalog and report every problem at once, with file:line."),
    "smoke": LazyEntry("ocelot_cli.commands.smoke:smoke",
                       "Prove that the bus works end to end: connect, exchange, probe round trip, gateway, traffic."),
    "doctor": LazyEntry("ocelot_cli.commands.doctor:doctor",
                        "Check the configuration and what it points at; print what to fix."),
    "info": LazyEntry("ocelot_cli.commands.info:info",
                      "Show exchanges, bindings and queues with their counts, and where the catalog's routing keys "
                      "go."),
    "completions": LazyEntry("ocelot_cli.commands.completions:completions",
                             "Print the shell completion script; commands, options and event types complete."),
    "load": LazyEntry("ocelot_cli.commands.load:app",
                      "Load-test the bus: publish at a constant rate, consume it back, report honest latencies."),
    "catalog": LazyEntry("ocelot_cli.commands.catalog:app",
                         "The event catalog: every event type of both specs, with schemas and samples."),
    "config": LazyEntry("ocelot_cli.commands.config:app",
                        "Settings: flags > environment variables > profile > defaults."),
}  # fmt: skip


def _no_options() -> None:
    """A holder's callback: makes it a group, so its one command is built as a subcommand."""


class OcelotGroup(LazyCommandGroup):
    """The top-level group: each command is imported and built by Typer when first looked up."""

    entries = COMMANDS

    def load_command(self, name: str) -> Any:
        """Build ``name`` as ``app.command(name, context_settings=CONTEXT)`` or ``app.add_typer(..., name=name)``
        on the root app would."""
        module, _, attribute = COMMANDS[name].target.partition(":")
        target = getattr(importlib.import_module(module), attribute)
        holder = typer.Typer(**TYPER_SETTINGS)
        holder.callback()(_no_options)
        if isinstance(target, typer.Typer):
            holder.add_typer(target, name=name)
        else:
            holder.command(name, context_settings=CONTEXT)(target)
        return typer.main.get_group(holder).commands[name]


app = typer.Typer(
    cls=OcelotGroup,
    name="ocelot",
    help=HELP,
    epilog=EPILOG,
    no_args_is_help=True,
    context_settings=CONTEXT,
    **TYPER_SETTINGS,
)


def _print_version(value: bool) -> None:
    if value:
        print(version_line())
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
    from ocelot_cli.commands.state import RunState, set_current
    from ocelot_cli.render.output import Output

    debug = debug or os.environ.get(settings.ENV_DEBUG, "") not in ("", "0")
    state = RunState(
        output=Output(quiet=quiet, verbose=verbose, no_color=no_color, debug=debug), profile=profile, debug=debug
    )
    set_current(state)
    ctx.obj = state
