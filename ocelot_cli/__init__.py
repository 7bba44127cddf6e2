"""ocelot: event-bus toolkit for the Ocelot platform and the OttoAI real-time stream."""

__version__ = "0.1.0"
