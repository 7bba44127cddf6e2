"""Smoke checks of a deployed bus (``ocelot smoke``) and of the configuration (``ocelot doctor``).

    checks.py         named checks, outcomes, a report (no network)
    run.py            the smoke checks and their graph (SmokeRun)
    gateway_check.py  the gateway check: Redis in, WebSocket out
    doctor.py         the doctor's checks of settings and every service they name
"""

CHECKS = ("connect", "exchange", "publish", "roundtrip", "gateway", "expect")
# What each check needs to have passed first; a check whose needs did not pass is skipped.
NEEDS: dict[str, list[str]] = {"connect": [], "exchange": ["connect"], "publish": ["exchange"],
                               "roundtrip": ["publish"], "gateway": [], "expect": ["exchange"]}  # fmt: skip
