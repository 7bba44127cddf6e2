"""Configuration: settings (flag > env > profile > default), secrets kept out of output, durations.

    settings.py   the settings, their environment variables and the profiles file
    redact.py     masking passwords in URLs and secrets in any text ocelot prints
    management.py the management API's URL derived from the AMQP URL, and the AMQP URL's vhost
    durations.py  durations as users write them (250ms, 30s, 5m)
"""
