"""``ocelot load``'s flags as a typed plan: the LoadPlan every worker follows and where they connect."""

from __future__ import annotations

import math
import re
from typing import Any

from ocelot_cli.errors import UsageProblem


def build_spec(state: Any, catalog: Any, broker: Any, *, rate: str, duration: str, warmup: str, mix: str | None,
               size: int | None, publishers: int, consumers: int, window: int, prefetch: int, persistent: bool,
               queues: int, queue_type: str, exchange: str | None, routing_key: str | None, drain: str,
               seed: int | None, run_id: str | None, declare: bool, ws: str | None, channel: str | None,
               clients: int, redis_url: str | None, token_file: str | None, connect_timeout: str | None,
               ca_file: str | None) -> Any:  # fmt: skip
    """The WorkerSpec of a run on this machine (its plan, the broker, and for --ws-url the gateway and Redis)."""
    from ocelot_cli.config.durations import parse_duration
    from ocelot_cli.envelope.model import EnvelopeKind
    from ocelot_cli.load.drivers import WorkerSpec
    from ocelot_cli.load.plan import QUEUE_TYPES, LoadPlan, parse_mix, parse_rate

    if queue_type not in QUEUE_TYPES:
        raise UsageProblem(f"--queue-type {queue_type!r}: choose classic or quorum")
    if queue_type == "quorum" and not persistent:
        state.output.detail("quorum queues keep every message on disk: --transient makes no difference there")
    ws_plan, gateways, redis = None, [], None
    if ws or channel:
        if size:
            raise UsageProblem("--size pads platform events; it does not apply to --ws-url runs")
        ws_plan, gateways, redis = _websocket_mode(state, ws, channel, clients, redis_url, token_file, ca_file,
                                                   connect_timeout)  # fmt: skip
    kind = EnvelopeKind.REALTIME if ws_plan else EnvelopeKind.PLATFORM
    event_mix = parse_mix(mix, catalog, kind)
    if ws_plan and not mix:
        from ocelot_cli.envelope.channels import types_for_channel

        fitting = set(types_for_channel(catalog, ws_plan.channel))
        event_mix = [(name, weight) for name, weight in event_mix if name in fitting] or event_mix
    plan = LoadPlan(
        rate=parse_rate(rate),
        duration=parse_duration(duration, option="--duration"),
        warmup=float(math.ceil(parse_duration(warmup, option="--warmup"))),  # whole seconds, like the buckets
        mix=event_mix, size=size, publishers=publishers, consumers=consumers, window=window, prefetch=prefetch,
        persistent=persistent, queue_type=queue_type, queues=queues,
        exchange=state.settings().get("exchange", exchange), routing_key=routing_key or "{type}",
        drain=parse_duration(drain, option="--drain"), seed=seed, ws=ws_plan,
    )  # fmt: skip
    _check(plan, run_id, duration)
    return WorkerSpec(plan, broker, declare=declare, gateways=gateways, redis=redis)


def _websocket_mode(
    state: Any, ws: str | None, channel: str | None, clients: int, redis_url: str | None, token_file: str | None,
    ca_file: str | None, connect_timeout: str | None,
) -> tuple[Any, list[Any], Any]:  # fmt: skip
    """--ws-url: the plan's WebSocket part, the gateways (each with the one token) and Redis."""
    from dataclasses import replace

    from ocelot_cli.load.plan import WsPlan

    if not (ws and channel):
        raise UsageProblem("WebSocket mode needs both --ws-url URL and --channel CHANNEL")
    urls = gateway_urls(ws)
    redis = state.endpoint("redis_url", redis_url, connect_timeout=connect_timeout)
    first, owner = state.gateway(urls[0], channel, token_file=token_file, ca_file=ca_file,
                                 connect_timeout=connect_timeout, option="--ws-url")  # fmt: skip
    gateways = [first] + [replace(first, url=url) for url in urls[1:]]
    for url in urls[1:]:
        state.warn_secret_on_command_line("--ws-url", url)
    plan = WsPlan(urls=urls, channel=channel, clients=clients, ca_file=ca_file, redis_url=redis.url, **owner)
    return plan, gateways, redis


def gateway_urls(text: str) -> list[str]:
    """The gateways of ``--ws-url URL1,URL2`` (or the option repeated, joined by commas), each checked.

    A usage error names the entry that is not a ws:// or wss:// URL (password masked); one URL is
    checked where the others are (``state.gateway``), with its usual messages.
    """
    from ocelot_cli.config.redact import mask_url
    from ocelot_cli.transports.base import check_url, scheme_of

    urls = [part.strip() for part in text.split(",")]
    if len(urls) == 1:
        return urls
    for number, url in enumerate(urls, 1):
        where = f"--ws-url entry {number} of {len(urls)}"
        if not url:
            raise UsageProblem(f"{where} is empty", hint="separate the gateways' URLs by single commas: "
                               "--ws-url ws://HOST1:8765/ws,ws://HOST2:8765/ws")  # fmt: skip
        if scheme_of(url) not in ("ws", "wss"):
            raise UsageProblem(f"{where}, {mask_url(url)}: give a ws:// or wss:// URL",
                               hint="each entry is the URL of one gateway, e.g. ws://HOST:8765/ws")  # fmt: skip
        check_url(url, f"{where}, {mask_url(url)}")
    return urls


def _check(plan: Any, run_id: str | None, duration: str) -> None:
    if run_id:
        if not re.fullmatch(r"[A-Za-z0-9-]{1,32}", run_id):
            raise UsageProblem(f"--run-id {run_id!r}: use 1 to 32 letters, digits or '-'")
        plan.run_id = run_id
    if plan.ws and not plan.consumers:
        raise UsageProblem("--consumers 0 publishes only; a --ws-url run needs its WebSocket clients")
    if plan.duration < 1:
        raise UsageProblem(f"--duration {duration}: a load test measures at least 1s")
