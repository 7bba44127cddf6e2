"""``ocelot load``: constant-rate load tests of the bus with HdrHistogram latencies.

Plain logic only (plans, schedules, histograms, reports, thresholds, merging); the
worker processes that touch RabbitMQ, Redis and WebSocket live in ``ocelot_cli.transports``.
"""
