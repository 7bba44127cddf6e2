"""The shared core: both envelopes and the catalog of event types, as plain data and pure functions.

No typer, no rich, no network. Everything that publishes, tails, replays, loads, validates or
smoke-checks goes through it: one definition of an event, used everywhere.

    model.py      the platform and real-time envelopes and the mapping between them
    catalog/      every event type of both specifications (one YAML file each) and the Catalog
    validate.py   validation against the catalog (every violation with its path)
    samples.py    realistic, valid samples; strategies.py: Hypothesis strategies for them
    channels.py   the real-time channels, their owners, the 32 KB limit and pointer messages
    codec.py      JSON bytes in and out; paths.py: --set PATH=VALUE; formats.py: field formats
"""
