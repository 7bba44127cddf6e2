"""``ocelot config``: show the resolved settings and where each comes from."""

from __future__ import annotations

import typer

from ocelot_cli.commands import options
from ocelot_cli.commands.state import node_list, state_of

app = typer.Typer(
    help="Settings: flags > environment variables > profile > defaults.",
    no_args_is_help=True,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.command("show")
def show(
    ctx: typer.Context,
    amqp_url: options.AmqpUrl = None,
    exchange: options.Exchange = None,
    redis_url: options.RedisUrl = None,
    ws_url: options.WsUrl = None,
    fmt: options.ListFormat = None,
    as_json: options.Json = False,
) -> None:
    """Show every setting, its value (passwords masked) and its origin.

    Connection flags given here show what a command given the same flags would use.

    \b
    Examples:
      ocelot config show
      ocelot --profile staging config show --json
      OCELOT_EXCHANGE=test.events ocelot config show --exchange mine.events
    """
    state = state_of(ctx)
    settings = state.settings()
    flags = {"amqp_url": node_list(amqp_url), "exchange": exchange, "redis_url": redis_url, "ws_url": ws_url}
    rows = [settings.resolve(name, flags.get(name), flags=flags) for name in (r.name for r in settings.all())]
    state.warn_secrets_in_flags(flags)
    if options.chosen_format(fmt, as_json, state.output.data_format) == "json":
        state.output.json(
            {
                "config_file": str(settings.path),
                "profile": settings.profile_name,
                "settings": {r.name: {"value": r.shown(), "origin": r.origin} for r in rows},
            }
        )
        return
    state.output.data(f"config file: {settings.path}{'' if settings.path.exists() else ' (not found)'}")
    state.output.data(f"profile:     {settings.profile_name or '(none)'}")
    width = max(len(r.name) for r in rows)
    for r in rows:
        state.output.data(f"  {r.name:<{width}}  {r.shown():<40}  {r.origin}")


@app.command("path")
def path(ctx: typer.Context) -> None:
    """Print where the profiles file is looked for.

    \b
    Example:
      $EDITOR "$(ocelot config path)"
    """
    from ocelot_cli.config.settings import config_path

    state_of(ctx).output.data(str(config_path()))
