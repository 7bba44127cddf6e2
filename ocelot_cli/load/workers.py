"""The entry point of a load run's worker processes: run the driver's part, always report back."""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback

from ocelot_cli.config.redact import scrub
from ocelot_cli.errors import ExitStatus, OcelotError
from ocelot_cli.load.drivers import WorkerSpec, driver_for
from ocelot_cli.load.link import PUBLISHER, Link, Reporter


def child_main(role: str, index: int, spec: WorkerSpec, link: Link) -> None:
    """Entry point of a worker process (forked, or spawned where fork does not exist)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the coordinator's to handle
    _end_with_parent()
    reporter = Reporter(link, role, index)
    try:
        driver = driver_for(spec)
        if role == PUBLISHER:
            driver.run_publisher(spec, index, reporter)
        else:
            driver.run_consumer(spec, index, reporter)
    except OcelotError as exc:
        reporter.send("error", {"message": str(exc), "exit_status": int(exc.exit_status)})
    except BaseException as exc:  # noqa: BLE001 - a worker must always report back
        text = scrub("".join(traceback.format_exception(exc)))
        reporter.send("error", {"message": f"{role} {index} failed: {scrub(str(exc))}", "traceback": text,
                                "exit_status": int(ExitStatus.INTERNAL)})  # fmt: skip
    finally:
        link.results.close()
        link.results.join_thread()


def _end_with_parent() -> None:
    """Exit when the coordinator is gone (killed): a worker never outlives its run with a connection open."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(int(ExitStatus.INTERRUPTED))

    threading.Thread(target=watch, daemon=True, name="ocelot-load-parent-watch").start()
