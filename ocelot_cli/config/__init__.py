"""Configuration: settings (flag > env > profile > default), secrets kept out of output, durations.

    settings.py   the settings, their environment variables and the profiles file
    redact.py     masking passwords in URLs and secrets in any text ocelot prints
    durations.py  durations as users write them (250ms, 30s, 5m)
"""
