"""One module per command: parse flags into typed options, call a use case, render the result.

Command modules import only typer (and ``options``) at load time; their work is imported when
they run, so ``ocelot --help`` stays fast and touches no broker driver.
"""
