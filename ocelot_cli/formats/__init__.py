"""Files users write and read: event files, recordings, YAML scenarios, with file:line on every problem.

    sources.py    reading files, directories and stdin (JSON, JSON lines, YAML) into records
    json_text.py  JSON lines and JSON documents, duplicate keys found
    items.py      what the readers yield: Record and ReadProblem
    recording.py  the recorded-message format of 'ocelot tail --output'
    scenarios.py  hand-written YAML scenarios, expanded into timed events
    safe_yaml.py  the one YAML loader (bounded, duplicate keys refused); config and the catalog use it too
"""
