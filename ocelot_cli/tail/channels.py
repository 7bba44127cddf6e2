"""Which subscribed channel a gateway event came on.

The real-time spec's event messages carry no channel, so a tail of several channels infers it:
the channels the catalog delivers the event's type on (its tenant, user and lead channels),
among those subscribed. An event delivered on two subscribed channels arrives twice, in the
order the catalog lists them (the order the hub publishes in); each arrival is labelled with
the next of them.
"""

from __future__ import annotations

import collections
from typing import Any

from ocelot_cli.envelope.catalog import Catalog
from ocelot_cli.envelope.model import event_type_of

_REMEMBERED = 4096  # event keys remembered to label repeated arrivals


class ChannelGuess:
    """``guess(event)``: the subscribed channel an event most likely came on, or None."""

    def __init__(self, catalog: Catalog, channels: list[str]) -> None:
        self.catalog = catalog
        self.channels = channels
        self._arrivals: collections.OrderedDict[str, int] = collections.OrderedDict()

    def __call__(self, event: Any) -> str | None:
        name = event_type_of(event) if isinstance(event, dict) else None
        if not name or name not in self.catalog:
            return None
        subscribed = set(self.channels)
        # in the catalog's order, which is the order the hub publishes an event to its channels
        candidates = [channel for channel in self.catalog.get(name).resolve_channels(event) if channel in subscribed]
        if len(candidates) < 2:
            return candidates[0] if candidates else None
        key = event.get("key") or event.get("trace_id") or event.get("id")
        if not isinstance(key, str):
            return ",".join(candidates)
        arrival = self._arrivals.pop(key, -1) + 1
        self._arrivals[key] = arrival
        if len(self._arrivals) > _REMEMBERED:
            self._arrivals.popitem(last=False)
        return candidates[arrival % len(candidates)]
