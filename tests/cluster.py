"""Private RabbitMQ nodes on loopback for the tests: a three-node cluster, and a single node for
broker-wide faults (a memory alarm), so the suite never changes the broker on 127.0.0.1:5672.

Each node has its own node name, AMQP and distribution ports, data and log directories, config
file and Erlang cookie (under one temporary directory), and is started with the broker's own
scripts (``rabbitmq-server -detached``, ``rabbitmqctl -n NODE join_cluster``), as an operator
would. Nothing here touches the node the machine runs, whose name, ports and cookie differ.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

SBIN = Path("/usr/lib/rabbitmq/bin")  # the scripts themselves, not the wrappers that switch user


def _tool(name: str) -> str:
    found = SBIN / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        raise RuntimeError(f"{name} is not installed; .ci/run needs the RabbitMQ server package")
    return which


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Node:
    name: str  # short name; the node is NAME@localhost
    port: int
    dist_port: int
    home: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def node(self) -> str:
        return f"{self.name}@localhost"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def ctl(self, *args: str, timeout: float = 60, check: bool = True) -> str:
        result = subprocess.run([_tool("rabbitmqctl"), "-q", "-n", self.node, *args], env=self.env,
                                capture_output=True, text=True, timeout=timeout)  # fmt: skip
        if check and result.returncode != 0:
            raise RuntimeError(f"rabbitmqctl -n {self.node} {' '.join(args)}: {result.stderr or result.stdout}")
        return result.stdout

    def start(self) -> None:
        subprocess.run([_tool("rabbitmq-server"), "-detached"], env=self.env, check=True, timeout=60,
                       capture_output=True, cwd=self.home)  # fmt: skip

    def await_startup(self, timeout: float = 120) -> None:
        """Wait until the node runs (await_startup needs the node registered first)."""
        deadline = time.monotonic() + timeout
        while True:
            result = subprocess.run([_tool("rabbitmqctl"), "-q", "-n", self.node, "await_startup", "--timeout", "60"],
                                    env=self.env, capture_output=True, text=True, timeout=90)  # fmt: skip
            if result.returncode == 0 and self.answers():
                return
            if time.monotonic() > deadline:
                log = "\n".join(p.read_text()[-2000:] for p in (self.home / "log").glob("*.log"))
                raise RuntimeError(f"node {self.node} did not start: {result.stderr}\n{log}")
            time.sleep(0.5)

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def kill(self) -> None:
        """Kill the node's VM at once (SIGKILL): its connections drop as when a machine dies. The VM is
        found by its home directory on its command line (a pid file can be stale after a restart)."""
        subprocess.run(["pkill", "-9", "-f", "--", f"-home {self.home} "], capture_output=True, timeout=30)
        deadline = time.monotonic() + 30
        while self.answers() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not self.answers(), f"node {self.node} still answers after SIGKILL"
        # epmd forgets a killed node by itself once its connection closes; wait for that too.
        while self.name in _epmd_names() and time.monotonic() < deadline:
            time.sleep(0.05)


def _epmd_names() -> str:
    epmd = shutil.which("epmd") or "/usr/lib/erlang/bin/epmd"
    result = subprocess.run([epmd, "-names"], capture_output=True, text=True, timeout=10)
    return result.stdout


class Booting:
    """A PrivateBroker started in a background thread, so that it boots while other tests run."""

    def __init__(self, count: int, prefix: str) -> None:
        import threading

        self.broker: PrivateBroker | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._boot, args=(count, prefix), daemon=True)
        self._thread.start()

    def _boot(self, count: int, prefix: str) -> None:
        try:
            self.broker = PrivateBroker(count, prefix=prefix).start()
        except BaseException as exc:  # noqa: BLE001 - raised in the test that needs the broker
            self.error = exc

    def get(self, timeout: float = 300) -> PrivateBroker:
        self._thread.join(timeout)
        if self.error is not None:
            raise RuntimeError(f"the private RabbitMQ nodes did not start: {self.error}") from self.error
        assert self.broker is not None, "the private RabbitMQ nodes are still starting"
        return self.broker

    def close(self) -> None:
        self._thread.join(300)
        if self.broker is not None:
            self.broker.close()


class PrivateBroker:
    """Private nodes (one, or a cluster) under one temporary directory; ``close`` stops them and
    removes the directory."""

    def __init__(self, count: int, prefix: str = "ocelot-test") -> None:
        self.root = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
        cookie = secrets.token_hex(16).upper()
        tag = f"{prefix}-{os.getpid()}-{secrets.token_hex(3)}"
        self.cluster_name = self.tag = tag
        self.nodes: list[Node] = []
        for index in range(1, count + 1):
            home = self.root / f"n{index}"
            home.mkdir()
            (home / ".erlang.cookie").write_text(cookie)
            (home / ".erlang.cookie").chmod(0o400)
            port, dist = free_port(), free_port()
            (home / "rabbitmq.conf").write_text(
                f"listeners.tcp.default = 127.0.0.1:{port}\nloopback_users = none\n"
                "vm_memory_high_watermark.relative = 0.4\n"
            )
            (home / "enabled_plugins").write_text("[].\n")
            (home / "env.conf").write_text("")
            name = f"{tag}-{index}"
            env = {
                **os.environ,
                "HOME": str(home),
                "RABBITMQ_CONF_ENV_FILE": str(home / "env.conf"),
                "RABBITMQ_NODENAME": f"{name}@localhost",
                "RABBITMQ_NODE_PORT": str(port),
                "RABBITMQ_DIST_PORT": str(dist),
                "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
                "RABBITMQ_LOG_BASE": str(home / "log"),
                "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
                "RABBITMQ_PID_FILE": str(home / "pid"),
                "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
                "ERL_EPMD_ADDRESS": "127.0.0.1",
                "ERL_CRASH_DUMP": str(home / "erl_crash.dump"),  # never in the directory the tests run from
            }
            self.nodes.append(Node(name, port, dist, home, env))

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def url_list(self) -> str:
        return ",".join(self.urls)

    def start(self) -> PrivateBroker:
        try:
            for node in self.nodes:
                node.start()
            for node in self.nodes:
                node.await_startup()
            first = self.nodes[0]
            for node in self.nodes[1:]:
                node.ctl("stop_app")
                node.ctl("join_cluster", first.node)
                node.ctl("start_app")
                node.await_startup()
            first.ctl("set_cluster_name", self.cluster_name)
        except BaseException:
            self.close()
            raise
        return self

    def restart_killed(self) -> None:
        """Start again (without waiting) every node a test killed: it boots while other tests run."""
        for node in self.nodes:
            if not node.answers() and node.name not in _epmd_names():
                node.start()

    def ensure_up(self) -> None:
        """Start again any node a test killed or stopped, and wait until the cluster has them all."""
        self.restart_killed()
        for node in self.nodes:
            node.await_startup()

    @property
    def all_up(self) -> bool:
        return all(node.answers() for node in self.nodes)

    def close(self) -> None:
        """Kill every VM of these nodes (one still booting too, found by the nodes' unique names), then
        remove their directory."""
        # a VM's command line names its home directory (its node name is in its environment only)
        subprocess.run(["pkill", "-9", "-f", "--", f"-home {self.root}/"], capture_output=True, timeout=30)
        deadline = time.monotonic() + 30
        while self.tag in _epmd_names() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.rmtree(self.root, ignore_errors=True)
