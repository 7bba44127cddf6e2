"""Watching live traffic, whatever the transport: the session (limits, counts, recording) and filters."""
