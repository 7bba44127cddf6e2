"""ocelot load over several gateways: who connects where, and what the report says of each gateway."""

from ocelot_cli.load import report as reporting
from ocelot_cli.load import stats
from ocelot_cli.load.coordinator import per_gateway
from ocelot_cli.load.drivers.ws import clients_of
from ocelot_cli.load.plan import LoadPlan, WsPlan
from ocelot_cli.render.load import summary_text


def _plan(clients, consumers, gateways):
    urls = [f"ws://gw{n}:8765/ws" for n in range(gateways)]
    return LoadPlan(rate=10.0, duration=1.0, consumers=consumers, ws=WsPlan(urls=urls, channel="tenant:t:events",
                                                                            clients=clients))  # fmt: skip


def test_every_client_is_held_once_and_client_i_goes_to_gateway_i_mod_n():
    for clients, consumers, gateways in [(5, 2, 2), (7, 3, 2), (200, 2, 2), (4, 1, 3), (1, 4, 2)]:
        plan = _plan(clients, consumers, gateways)
        held = sorted(client for index in range(consumers) for client in clients_of(plan, index))
        assert held == list(range(clients))
        per = [sum(1 for c in range(clients) if plan.ws.gateway_of(c) == g) for g in range(gateways)]
        assert max(per) - min(per) <= 1  # split evenly
        assert [plan.ws.gateway_of(c) for c in range(clients)] == [c % gateways for c in range(clients)]


def test_the_plan_with_its_gateways_crosses_processes():
    plan = _plan(3, 1, 2)
    assert LoadPlan.from_dict(plan.to_dict()).ws == plan.ws


def test_lost_and_duplicates_are_counted_per_gateway_exactly():
    states = {0: bytearray([1, 1, 1, 1])}  # four messages, all confirmed
    everything, missing_two = {0: bytearray([1, 1, 1, 1])}, {0: bytearray([1, 0, 1, 0])}
    connections = [
        ({"gateway": 0, "received": 4, "duplicates": 1}, [everything]),
        ({"gateway": 1, "received": 2, "duplicates": 0}, [missing_two]),
        ({"gateway": 0, "received": 4, "duplicates": 0}, [everything]),
    ]
    rows = per_gateway(["ws://a/ws", "ws://b/ws"], connections, states)
    assert rows == [
        {"url": "ws://a/ws", "clients": 2, "received": 8, "duplicates": 1, "lost": 0},
        {"url": "ws://b/ws", "clients": 1, "received": 2, "duplicates": 0, "lost": 2},
    ]
    unknown = per_gateway(["ws://a/ws", "ws://b/ws"], connections, None)  # an interrupted run: lost unknown
    assert [row["lost"] for row in unknown] == [None, None]


def _report(gateways):
    return reporting.build(stats.Aggregate(), {"duration": 1, "run_id": "r1", "mode": "ws", "gateways": gateways,
                                               "plan": {"publishers": 1, "consumers": 1}})  # fmt: skip


def test_the_summary_names_each_gateway_safely_and_merge_adds_them_by_url():
    rows = [{"url": "ws://u:****@a/ws", "clients": 2, "received": 8, "duplicates": 1, "lost": 0},
            {"url": "ws://b/ws\x1b[2J", "clients": 1, "received": 2, "duplicates": 0, "lost": None}]  # fmt: skip
    lines = summary_text(_report(rows), "somewhere")
    assert "    gateway 1 ws://u:****@a/ws: 2 client(s), 8 received, 1 duplicates, 0 lost" in lines
    assert "    gateway 2 ws://b/ws\\e[2J: 1 client(s), 2 received, 0 duplicates, ? lost" in lines
    assert not any("gateway 1" in line for line in summary_text(_report(rows[:1]), "one gateway"))

    merged = reporting.merge([("x.json", _report(rows)), ("y.json", _report(rows[:1]))])
    assert merged["gateways"] == [
        {"url": "ws://u:****@a/ws", "clients": 4, "received": 16, "duplicates": 2, "lost": 0},
        {"url": "ws://b/ws\x1b[2J", "clients": 1, "received": 2, "duplicates": 0, "lost": None},
    ]
    assert "gateways" not in _report([])  # not a WebSocket run: no such section
