"""ocelot: event-bus toolkit for the Ocelot platform and the OttoAI real-time stream."""

__version__ = "0.1.0"


def version_line() -> str:
    """What ``ocelot --version`` prints (without importing typer: see __main__)."""
    return f"ocelot {__version__}"
