"""Faults made with real means: a TLS-terminating proxy, connection resets, cuts, latency."""

import json
import ssl
import subprocess

import pytest

from tests.faultproxy import FaultProxy
from tests.integration.conftest import run_ocelot, wait_for

pytestmark = pytest.mark.integration


def _make_certificate(directory, name):
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    san = "DNS:localhost,IP:127.0.0.1" if name == "localhost" else f"DNS:{name}"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-keyout", str(key),
         "-out", str(cert), "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for localhost / 127.0.0.1."""
    return _make_certificate(tmp_path_factory.mktemp("tls"), "localhost")


@pytest.fixture
def tls_proxy(certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with FaultProxy(5672, tls=context) as proxy:
        yield proxy


def test_tls_certificates_are_verified_by_default(rabbit, tls_proxy):
    exchange = rabbit.exchange()
    rabbit.queue(exchange)
    url = f"amqps://guest:guest@localhost:{tls_proxy.port}/%2F"
    result = run_ocelot("publish", "call.ended", "--exchange", exchange, OCELOT_AMQP_URL=url)
    assert result.returncode == 6
    assert b"TLS certificate of amqps://guest:****@localhost" in result.stderr and b"self-signed" in result.stderr
    assert b"--ca-file" in result.stderr


def test_ca_file_lets_a_private_ca_through(rabbit, tls_proxy, certificate):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    url = f"amqps://guest:guest@localhost:{tls_proxy.port}/%2F"
    result = run_ocelot("publish", "call.ended", "--exchange", exchange, "--ca-file", str(certificate[0]),
                        OCELOT_AMQP_URL=url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert rabbit.depth(queue) == 1


def test_host_name_is_checked_too(rabbit, tmp_path):
    cert, key = _make_certificate(tmp_path, "otherhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    exchange = rabbit.exchange()
    with FaultProxy(5672, tls=context) as proxy:
        result = run_ocelot("publish", "call.ended", "--exchange", exchange, "--ca-file", str(cert),
                            OCELOT_AMQP_URL=f"amqps://guest:guest@localhost:{proxy.port}/%2F")  # fmt: skip
    assert result.returncode == 6
    assert b"could not be verified" in result.stderr and b"localhost" in result.stderr


def test_connection_reset_mid_publish_is_recovered_without_loss(rabbit, start_ocelot):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    with FaultProxy(5672) as proxy:
        running = start_ocelot("publish", "call.started", "--count", "2000", "--rate", "800", "--exchange", exchange,
                               "--json", OCELOT_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F")  # fmt: skip
        wait_for(lambda: rabbit.depth(queue) > 200, 30, "the first messages")
        proxy.reset()
        code, out = running.finish(timeout=60)
    assert code == 0, running.stderr
    report = json.loads(out)
    assert report["confirmed"] == 2000 and report["reconnects"] >= 1
    assert len({e["id"] for e in rabbit.events(queue)}) == 2000


def test_connection_cut_during_the_handshake_is_a_clear_error(rabbit):
    with FaultProxy(5672) as proxy:
        proxy.cut_after = 20  # the AMQP header and a little more, then nothing
        result = run_ocelot("publish", "call.ended", OCELOT_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F")
    assert result.returncode == 5
    assert f"the connection to amqp://guest:****@127.0.0.1:{proxy.port}/%2F was closed during the login".encode() in (
        result.stderr
    )
    assert b"Traceback" not in result.stderr


def test_high_latency_still_confirms_everything_thanks_to_the_window(rabbit):
    exchange = rabbit.exchange()
    queue = rabbit.queue(exchange)
    with FaultProxy(5672) as proxy:
        proxy.latency = 0.02
        result = run_ocelot("publish", "call.ended", "--count", "500", "--exchange", exchange, "--json",
                            OCELOT_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["confirmed"] == 500 and rabbit.depth(queue) == 500
