"""ocelot smoke and ocelot doctor against the real RabbitMQ, Redis and gateway."""

import json
import subprocess
import time
import xml.etree.ElementTree as ET

import pika

from ocelot_cli.gateway.auth import mint
from tests.integration.conftest import AMQP_URL, BIN, REDIS_URL, SECRET, ocelot_env, rabbitmqctl, run_ocelot


def bound_to(exchange: str) -> set[str]:
    """The queues bound to an exchange of this test (the smoke's probe queue binds to it)."""
    rows = rabbitmqctl("list_bindings", "-q", "source_name", "destination_name").splitlines()
    return {row.split("\t")[1] for row in rows if row.split("\t")[0] == exchange}


def test_smoke_passes_every_check_and_leaves_nothing_behind(rabbit):
    exchange = rabbit.exchange()  # a non-durable topic exchange: the type check copes with either
    result = run_ocelot("smoke", "--exchange", exchange, "--format", "json")
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(result.stdout)
    assert [(c["name"], c["outcome"]) for c in report["checks"]] == [
        ("connect", "passed"),
        ("exchange", "passed"),
        ("publish", "passed"),
        ("roundtrip", "passed"),
    ]
    assert "is a topic exchange" in report["checks"][1]["message"]
    assert report["checks"][3]["details"]["round_trip_ms"] > 0
    assert bound_to(exchange) == set()


def test_junit_has_one_test_case_per_check_and_skips_what_could_not_run(rabbit):
    result = run_ocelot("smoke", "--exchange", "ocelot.test.absent", "--format", "junit")
    assert result.returncode == 7
    suite = ET.fromstring(result.stdout).find("testsuite")
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert list(cases) == ["connect", "exchange", "publish", "roundtrip"]
    assert cases["connect"].find("failure") is None
    assert "does not exist" in cases["exchange"].find("failure").get("message")
    assert cases["publish"].find("skipped") is not None and cases["roundtrip"].find("skipped") is not None
    assert suite.get("failures") == "1" and suite.get("skipped") == "2"


def test_an_exchange_of_the_wrong_type_is_named(rabbit):
    name = "ocelot.test.direct-smoke"
    rabbit.channel.exchange_declare(name, "direct")
    rabbit.exchanges.append(name)
    result = run_ocelot("smoke", "--exchange", name, "--check", "exchange")
    assert result.returncode == 7
    assert f"exchange '{name}' is a direct exchange, not topic" in result.stdout.decode()


def test_unreachable_and_refused_brokers_exit_5_and_6_with_masked_urls(broker):
    down = run_ocelot("smoke", "--format", "github", OCELOT_AMQP_URL="amqp://guest:hunter2@127.0.0.1:1/%2F")
    assert down.returncode == 5
    out = down.stdout.decode()
    assert "::error title=ocelot smoke%3A connect::cannot connect to amqp://guest:****@127.0.0.1:1/" in out
    assert "hunter2" not in out + down.stderr.decode()
    refused = run_ocelot("smoke", OCELOT_AMQP_URL="amqp://guest:wrong-password@127.0.0.1:5672/%2F")
    assert refused.returncode == 6
    assert "wrong-password" not in refused.stdout.decode() + refused.stderr.decode()


def _publish_until_done(process: subprocess.Popen, exchange: str, bodies: list[dict]) -> None:
    """Publish the bodies again and again (the smoke binds its queue when it starts) until it ends."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    try:
        deadline = time.monotonic() + 30
        while process.poll() is None and time.monotonic() < deadline:
            for body in bodies:
                channel.basic_publish(exchange, "comms.call.ended", json.dumps(body).encode())
            connection.process_data_events(time_limit=0.2)
    finally:
        connection.close()


def test_expect_proves_real_traffic_matching_the_conditions(rabbit, catalog):
    from ocelot_cli.envelope.samples import SampleFactory, SampleOptions

    exchange = rabbit.exchange()
    factory = SampleFactory(catalog, SampleOptions(seed=3))
    other = factory.make("call.ended") | {"data": {**factory.make("call.ended")["data"], "outcome": "voicemail"}}
    wanted = factory.make("call.ended")
    wanted["data"]["outcome"] = "completed"
    process = subprocess.Popen([str(BIN / "ocelot"), "smoke", "--exchange", exchange,
                                "--expect", "call.ended", "--within", "20s", "--where", "data.outcome=completed",
                                "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=ocelot_env())  # fmt: skip
    _publish_until_done(process, exchange, [other, wanted])
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err.decode()
    checks = json.loads(out)["checks"]
    assert [c["name"] for c in checks] == ["connect", "exchange", "expect"]  # nothing was published
    assert checks[2]["details"]["event_id"] == wanted["id"]


def test_expect_fails_on_silence_and_on_invalid_traffic(rabbit, catalog):
    from ocelot_cli.envelope.samples import SampleFactory

    exchange = rabbit.exchange()
    quiet = run_ocelot("smoke", "--exchange", exchange, "--expect", "call.ended", "--within", "1s")
    assert quiet.returncode == 9
    assert "no call.ended event arrived within 1s" in quiet.stdout.decode()
    bad = SampleFactory(catalog).make("call.ended")
    bad["data"]["outcome"] = "exploded"
    process = subprocess.Popen([str(BIN / "ocelot"), "smoke", "--exchange", exchange,
                                "--expect", "call.ended", "--within", "20s"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=ocelot_env())  # fmt: skip
    _publish_until_done(process, exchange, [bad])
    out, _err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert "breaks the catalog: $.data.outcome" in out.decode()


def test_gateway_check_sees_the_probe_arrive_and_a_refused_channel_fails(gateway, rabbit):
    gw = gateway()
    token = mint(SECRET.encode(), tenant="t5", user="u5")
    url = f"ws://127.0.0.1:{gw.port}/ws"
    good = run_ocelot("smoke", "--ws-url", url, "--channel", "tenant:t5:events", "--check", "gateway",
                      OCELOT_WS_TOKEN=token, OCELOT_REDIS_URL=REDIS_URL)  # fmt: skip
    assert good.returncode == 0, good.stdout.decode() + good.stderr.decode()
    assert "arrived through" in good.stdout.decode() and token not in good.stdout.decode()
    refused = run_ocelot("smoke", "--ws-url", url, "--channel", "tenant:other:events", "--check", "gateway",
                         "--format", "junit", OCELOT_WS_TOKEN=token)  # fmt: skip
    assert refused.returncode == 6
    assert "refused channel tenant:other:events" in refused.stdout.decode()


def test_smoke_option_mistakes_are_usage_errors(broker):
    assert run_ocelot("smoke", "--check", "everything").returncode == 2
    no_ws = run_ocelot("smoke", "--check", "gateway")
    assert no_ws.returncode == 2 and "needs --ws-url URL and --channel" in no_ws.stderr.decode()
    unknown = run_ocelot("smoke", "--type", "call.endd")
    assert unknown.returncode == 1 and "did you mean 'call.ended'" in unknown.stderr.decode()


def test_doctor_all_good_then_each_kind_of_problem(gateway, rabbit, tmp_path):
    gw = gateway()
    env = {"OCELOT_WS_URL": f"ws://127.0.0.1:{gw.port}/ws", "OCELOT_REDIS_URL": REDIS_URL,
           "OCELOT_WS_TOKEN": mint(SECRET.encode(), tenant="t1", user="u1"), "OCELOT_JWT_SECRET": SECRET,
           "OCELOT_EXCHANGE": rabbit.exchange()}  # fmt: skip
    good = run_ocelot("doctor", "--json", **env)
    assert good.returncode == 0, good.stdout.decode()
    outcomes = {c["name"]: c["outcome"] for c in json.loads(good.stdout)["checks"]}
    assert outcomes == {name: "passed" for name in ("config", "settings", "broker", "exchange", "redis", "gateway",
                                                     "token", "jwt-secret")}  # fmt: skip
    down = run_ocelot("doctor", **env | {"OCELOT_AMQP_URL": "amqp://guest:s3cr3t@127.0.0.1:1/%2F"})
    assert down.returncode == 5 and "s3cr3t" not in down.stdout.decode()
    assert "FAIL  broker" in down.stdout.decode() and "fix:" in down.stdout.decode()
    assert "signature verified" in next(c["message"] for c in json.loads(good.stdout)["checks"] if c["name"] == "token")
    expired = mint(SECRET.encode(), tenant="t1", user="u1", ttl=-60)
    assert run_ocelot("doctor", **env | {"OCELOT_WS_TOKEN": expired}).returncode == 6
    forged = mint(b"another-secret-of-at-least-32-bytes!!", tenant="t1", user="u1")
    refused = run_ocelot("doctor", **env | {"OCELOT_WS_TOKEN": forged})
    assert refused.returncode == 6, refused.stdout.decode()
    assert "the gateway token does not verify with OCELOT_JWT_SECRET" in refused.stdout.decode()
    short = run_ocelot("doctor", **env | {"OCELOT_JWT_SECRET": "short"})
    assert short.returncode == 4 and "needs at least 32" in short.stdout.decode()
    config = tmp_path / "config.yaml"
    config.write_text("profiles:\n  dev: {exchange: x}\n")
    missing = run_ocelot("--profile", "prod", "doctor", OCELOT_CONFIG=str(config))
    assert missing.returncode == 4 and "profile 'prod' is not defined" in missing.stdout.decode()


def test_declare_creates_a_missing_exchange_for_throwaway_brokers(rabbit):
    name = rabbit.exchange(declare=False)  # removed again by the fixture
    result = run_ocelot("smoke", "--exchange", name, "--declare")
    assert result.returncode == 0, result.stdout.decode()
    assert f"'{name}' created, a durable topic exchange" in result.stdout.decode()
    assert rabbit.exchange_exists(name)
    again = run_ocelot("smoke", "--exchange", name, "--declare", "--check", "exchange")
    assert f"'{name}' exists and is a topic exchange" in again.stdout.decode()
