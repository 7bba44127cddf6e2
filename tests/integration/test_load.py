"""ocelot load against the real RabbitMQ, Redis and gateway: figures, thresholds, faults, cleanup, workers."""

import json
import re
import signal
import time
import uuid

import pytest

from ocelot_cli.gateway.auth import mint
from tests.faultproxy import FaultProxy
from tests.integration.conftest import REDIS_URL, SECRET, rabbitmqctl, run_ocelot, wait_for


def load_queues() -> list[str]:
    return [line.split("\t")[0] for line in rabbitmqctl("list_queues", "-q", "name").splitlines()
            if line.startswith("ocelot.load.")]  # fmt: skip


@pytest.fixture
def new_load_queues():
    """The run queues that appeared during the test (others' leftovers, which expire, do not count)."""
    before = set(load_queues())
    return lambda: sorted(set(load_queues()) - before)


def read(path):
    return json.loads(path.read_text())


def test_a_run_reports_rates_latencies_series_and_leaves_no_queue(rabbit, tmp_path, new_load_queues):
    exchange = rabbit.exchange()
    report_file = tmp_path / "run.json"
    result = run_ocelot("load", "--exchange", exchange, "--rate", "500", "--duration", "2s", "--warmup", "1s",
                        "--mix", "call.ended=3,call.started=1", "--report", str(report_file),
                        "--hgrm", str(tmp_path / "run"), "--assert", "lost==0", "--assert", "rate>=450")  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    report = read(report_file)
    assert report["published"]["sent"] == report["published"]["acked"] == 1500  # 500/s x (1 s warm-up + 2 s)
    assert report["consumed"]["received"] == 1500 and report["lost"] == 0 and report["consumed"]["duplicates"] == 0
    assert 450 <= report["published"]["rate"] <= 505
    assert report["latency"]["end_to_end"]["count"] == 1000  # the warm-up second is not measured
    assert report["latency"]["confirm"]["count"] == 1000
    assert 0 < report["latency"]["end_to_end"]["p50_ms"] <= report["latency"]["end_to_end"]["max_ms"]
    assert [row["second"] for row in report["series"] if row["sent"]] == [0, 1, 2]
    assert report["cpu"]["publishers"] and report["cpu"]["consumers"]
    text = result.stdout.decode()
    assert "1500 sent, 1500 acked" in text and "assert lost==0: ok" in text
    table = [line for line in text.splitlines() if line.startswith(("    end to end", "    confirm", "    send delay"))]
    assert len(table) == 3 and all(len(line) <= 80 for line in table)  # the summary fits a terminal of 80
    hgrm = (tmp_path / "run.end_to_end.hgrm").read_text()
    assert "Value     Percentile TotalCount" in hgrm and re.search(r"TotalCount\s+=\s+1000\.0+]", hgrm)
    assert report["latency"]["end_to_end"]["p50_ms"] > 0.001  # nothing leaves before its intended time
    assert new_load_queues() == []


def test_a_breached_threshold_exits_10_and_names_it(rabbit):
    exchange = rabbit.exchange()
    result = run_ocelot("load", "--exchange", exchange, "--rate", "200", "--duration", "1s",
                        "--assert", "p50<1us", "--assert", "lost==0")  # fmt: skip
    assert result.returncode == 10
    assert "threshold breached: p50<1us (actual" in result.stderr.decode()
    assert "assert lost==0: ok" in result.stdout.decode()


def test_a_stalled_broker_shows_up_in_the_percentiles(rabbit, tmp_path, start_ocelot):
    """Coordinated omission: a 1 s stall at 1000/s delays ~1000 intended sends; with a window of 20
    only 20 messages are in flight, so timing from the actual send would hide it. From the intended
    send time, about a quarter of the 4000 messages are late by up to a second."""
    exchange = rabbit.exchange()
    report_file = tmp_path / "stall.json"
    with FaultProxy(5672) as proxy:
        running = start_ocelot("-v", "load", "--exchange", exchange, "--rate", "1000", "--duration", "4s",
                               "--window", "20", "--report", str(report_file),
                               OCELOT_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{proxy.port}/%2F")  # fmt: skip
        running.wait_for_stderr("load measuring   1.")  # a second of normal traffic first
        proxy.stall()
        time.sleep(1.0)  # the fault itself: nothing moves for a second
        proxy.resume()
        code, _out = running.finish(timeout=60)
    assert code == 0, running.stderr
    report = read(report_file)
    e2e, delay = report["latency"]["end_to_end"], report["latency"]["send_delay"]
    assert e2e["count"] == 4000 and report["lost"] == 0
    assert e2e["max_ms"] >= 900
    assert e2e["p90_ms"] >= 300, e2e  # ~25% of all messages were due during the stall
    assert delay["p90_ms"] >= 250, delay  # the generator itself was held back: reported, not hidden
    worst = max(report["series"], key=lambda row: row.get("e2e_max_ms") or 0)
    assert worst["second"] in (1, 2, 3)


def test_ctrl_c_prints_the_partial_report_and_cleans_up(rabbit, tmp_path, start_ocelot, new_load_queues):
    exchange = rabbit.exchange()
    report_file = tmp_path / "partial.json"
    running = start_ocelot("-v", "load", "--exchange", exchange, "--rate", "300", "--duration", "60s",
                           "--report", str(report_file))  # fmt: skip
    running.wait_for_stderr("load measuring   1.")
    wait_for(lambda: new_load_queues(), 10, "the run's queue")
    running.proc.send_signal(signal.SIGINT)
    code, out = running.finish(timeout=40)
    assert code == 130, running.stderr
    assert "INTERRUPTED: partial report" in out.decode()
    report = read(report_file)
    assert report["interrupted"] is True
    assert 300 <= report["published"]["sent"] < 300 * 60
    assert report["published"]["acked"] == report["published"]["sent"]
    assert report["measured_s"] < 60 and 240 <= report["published"]["rate"] <= 330  # over the time that passed
    assert "Traceback" not in running.stderr
    assert new_load_queues() == []


def test_quorum_queue_persistent_padded_messages(rabbit, tmp_path, start_ocelot, new_load_queues):
    exchange = rabbit.exchange()
    run_id = f"quorum-{uuid.uuid4().hex[:8]}"
    running = start_ocelot("-v", "load", "--exchange", exchange, "--rate", "200", "--duration", "2s", "--size", "4096",
                           "--persistent", "--queue-type", "quorum", "--publishers", "2", "--consumers", "2",
                           "--run-id", run_id, "--json")  # fmt: skip
    running.wait_for_stderr("load ")
    listed = re.compile(rf"ocelot\.load\.{run_id}\.\S+\s+(\w+)")
    types = wait_for(lambda: listed.findall(rabbitmqctl("list_queues", "-q", "name", "type")), 20, "the run's queue")
    code, out = running.finish(timeout=60)
    assert code == 0, running.stderr
    assert types == ["quorum"]
    report = json.loads(out)
    assert report["plan"]["size"] == 4096 and report["plan"]["persistent"] is True
    assert report["published"]["acked"] == report["consumed"]["received"] == 400
    assert len(report["cpu"]["publishers"]) == 2 and len(report["cpu"]["consumers"]) == 2
    assert new_load_queues() == []


def test_missing_exchange_and_unreachable_broker_are_clear(broker):
    missing = run_ocelot("load", "--exchange", "ocelot.test.nope", "--duration", "1s")
    assert missing.returncode == 7
    assert "exchange 'ocelot.test.nope' does not exist" in missing.stderr.decode()
    down = run_ocelot("load", "--duration", "1s", OCELOT_AMQP_URL="amqp://guest:s3cret@127.0.0.1:1/%2F")
    assert down.returncode == 5
    assert "s3cret" not in down.stderr.decode() and "Traceback" not in down.stderr.decode()


def test_websocket_mode_measures_delivery_through_the_gateway(gateway, tmp_path):
    gw = gateway()
    token = mint(SECRET.encode(), tenant="t7", user="u7")
    report_file = tmp_path / "ws.json"
    result = run_ocelot("load", "--ws-url", f"ws://127.0.0.1:{gw.port}/ws", "--channel", "tenant:t7:events",
                        "--clients", "5", "--consumers", "2", "--rate", "200", "--duration", "2s",
                        "--report", str(report_file), "--assert", "lost==0",
                        OCELOT_WS_TOKEN=token, OCELOT_REDIS_URL=REDIS_URL)  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    report = read(report_file)
    assert report["mode"] == "ws"
    assert report["published"]["acked"] == 400
    assert report["consumed"]["received"] == 400 * 5  # every connection got every message
    assert report["latency"]["end_to_end"]["count"] == 2000
    assert token not in result.stdout.decode() + result.stderr.decode()


def test_websocket_mode_with_a_channel_the_token_may_not_use(gateway):
    gw = gateway()
    token = mint(SECRET.encode(), tenant="t7", user="u7")
    result = run_ocelot("load", "--ws-url", f"ws://127.0.0.1:{gw.port}/ws", "--channel", "tenant:other:events",
                        "--rate", "10", "--duration", "1s", OCELOT_WS_TOKEN=token)  # fmt: skip
    assert result.returncode == 6
    assert "refused channel tenant:other:events: forbidden: not your tenant" in result.stderr.decode()


def test_workers_on_several_processes_share_the_rate_and_merge(rabbit, tmp_path, start_ocelot, new_load_queues):
    exchange = rabbit.exchange()
    run_id = f"itest-{uuid.uuid4().hex[:8]}"
    leader = start_ocelot("load", "--workers", "2", "--run-id", run_id, "--exchange", exchange, "--rate", "900",
                          "--duration", "2s", "--report", str(tmp_path / "all.json"))  # fmt: skip
    leader.wait_for_stderr(f"ocelot load --join {run_id}")
    joiners = [start_ocelot("load", "--join", run_id, "--report", str(tmp_path / f"w{i}.json")) for i in (1, 2)]
    for joiner in joiners:
        code, _out = joiner.finish(timeout=60)
        assert code == 0, joiner.stderr
    code, out = leader.finish(timeout=60)
    assert code == 0, leader.stderr
    merged = read(tmp_path / "all.json")
    workers = [read(tmp_path / f"w{i}.json") for i in (1, 2)]
    assert merged["workers"] == 3 and merged["target_rate"] == 900
    assert [w["published"]["sent"] for w in workers] == [600, 600]  # 300/s each for 2 s
    assert merged["published"]["sent"] == merged["consumed"]["received"] == 1800 and merged["lost"] == 0
    assert merged["consumed"]["foreign"] == 0  # each machine's queue got only its own messages
    assert merged["latency"]["end_to_end"]["count"] == 1800
    assert "3 workers" in out.decode()
    # the workers' own reports merge again, losslessly, with the command
    again = run_ocelot("load", "merge", str(tmp_path / "w1.json"), str(tmp_path / "w2.json"), "--json")
    assert again.returncode == 0, again.stderr.decode()
    assert json.loads(again.stdout)["latency"]["end_to_end"]["count"] == 1200
    assert new_load_queues() == [] and not control_exchange_exists()


def control_exchange_exists() -> bool:
    return "ocelot.load.control" in rabbitmqctl("list_exchanges", "-q", "name").split()


def test_join_without_a_leader_says_so_and_creates_nothing(broker):
    result = run_ocelot("load", "--join", "no-such-run")
    assert result.returncode == 7
    assert "no load run 'no-such-run' is waiting for workers" in result.stderr.decode()
    assert not control_exchange_exists()


def test_a_leader_whose_workers_never_come_times_out_and_cleans_up(broker, new_load_queues):
    result = run_ocelot("load", "--workers", "1", "--join-timeout", "1s", "--duration", "1s")
    assert result.returncode == 9
    assert "0 of 1 worker(s) joined run" in result.stderr.decode()
    assert not control_exchange_exists() and new_load_queues() == []


def test_connections_closed_mid_run_reconnect_and_nothing_is_lost(rabbit, tmp_path, start_ocelot):
    exchange = rabbit.exchange()
    report_file = tmp_path / "cut.json"
    running = start_ocelot("-v", "load", "--exchange", exchange, "--rate", "500", "--duration", "10s",
                           "--report", str(report_file))  # fmt: skip
    running.wait_for_stderr("load measuring   1.")
    # the consumer's and the load publisher's connections, while the run goes on (10 s: rabbitmqctl is slow)
    assert running.close_connections("ocelot load consumer 0", "ocelot publish") == 2
    code, _out = running.finish(timeout=90)
    assert code == 0, running.stderr
    assert "consumer 0 reconnected" in running.stderr and "publisher 0: reconnected" in running.stderr
    report = read(report_file)
    assert report["published"]["acked"] == report["consumed"]["received"] == 5000
    assert report["lost"] == 0  # redeliveries count as duplicates, never as received twice


def test_the_live_dashboard_on_a_terminal(rabbit, tmp_path):
    """On a terminal the dashboard redraws each second (rich Live); the summary stays at the end."""
    import subprocess

    from tests.integration.conftest import BIN, ocelot_env

    exchange = rabbit.exchange()
    log = tmp_path / "terminal.log"
    command = f"{BIN}/ocelot --no-color load --exchange {exchange} --rate 200 --duration 3s"
    subprocess.run(["script", "-qefc", command, str(log)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=ocelot_env(COLUMNS="160"), timeout=60, check=True)  # fmt: skip
    screen = log.read_text(errors="replace")
    assert "last second" in screen and "latency (ms)" in screen and "measuring" in screen  # the live view
    assert "600 sent, 600 acked" in screen  # the summary
    assert "Traceback" not in screen


def test_several_queues_each_fed_by_its_publishers_and_all_consumed(rabbit, tmp_path, start_ocelot, new_load_queues):
    exchange = rabbit.exchange()
    running = start_ocelot("-v", "load", "--exchange", exchange, "--rate", "600", "--duration", "2s",
                           "--publishers", "3", "--queues", "3", "--consumers", "2", "--mix", "call.ended",
                           "--json")  # fmt: skip
    running.wait_for_stderr("load ")

    def bound():
        found = re.findall(
            r"ocelot\.load\.\S+\.(\d)\s+queue\s+(comms\.call\.ended\.q\d)",
            rabbitmqctl("list_bindings", "-q", "destination_name", "destination_kind", "routing_key"),
        )
        return found if len(found) == 3 else None

    bindings = wait_for(bound, 20, "three bindings")
    code, out = running.finish(timeout=60)
    assert code == 0, running.stderr
    assert sorted(bindings) == [
        ("0", "comms.call.ended.q0"),
        ("1", "comms.call.ended.q1"),
        ("2", "comms.call.ended.q2"),
    ]
    report = json.loads(out)
    assert report["published"]["acked"] == report["consumed"]["received"] == 1200 and report["lost"] == 0
    assert new_load_queues() == []


def test_a_report_that_cannot_be_written_after_the_run_is_exit_74_with_the_figures_shown(rabbit):
    exchange = rabbit.exchange()
    result = run_ocelot("load", "--exchange", exchange, "--rate", "50", "--duration", "1s", "--report", "/dev/full")
    err = result.stderr.decode()
    assert result.returncode == 74, err
    assert "cannot write /dev/full: No space left on device" in err and "internal error" not in err
    assert "end to end" in result.stdout.decode()  # the summary still reaches the terminal
