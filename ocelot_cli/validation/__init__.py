"""Validating event files for people and for CI: one report of every problem, with file:line.

    report.py    the report and the serial validation of sources
    parallel.py  the same report for big JSON-lines files, on every core
"""
