"""Every view: terminal-safe text, tables, JSON, JUnit and the live load dashboard.

All output goes through ``output.Output`` (data to stdout, the rest to stderr); payload text
is escaped by ``safe_text`` before it reaches a terminal.
"""
