"""A team's own AsyncAPI document as the catalog, end to end on the real RabbitMQ and Redis: publish its types,
tail --validate them, validate and replay files of them, load-test them, with --catalog or OCELOT_CATALOG."""

import json
import os
import uuid
from pathlib import Path

import pytest

from ocelot_cli.envelope.catalog import load_catalog
from ocelot_cli.envelope.validate import EventValidator
from ocelot_cli.formats.recording import body_of
from tests.integration.conftest import REDIS_URL, run_ocelot

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "asyncapi"
DOC = FIXTURES / "acme-billing.asyncapi.yaml"
DOC_26 = FIXTURES / "acme-billing-2.6.asyncapi.json"
PREFIX = "ocelot.test.asyncapi"


@pytest.fixture
def exchange(rabbit) -> str:
    """A topic exchange of this test's own, deleted after it (by the rabbit fixture)."""
    name = f"{PREFIX}.{uuid.uuid4().hex[:10]}"
    rabbit.channel.exchange_declare(name, "topic", durable=False, auto_delete=False)
    rabbit.exchanges.append(name)
    return name


def own_queue(rabbit, exchange: str, pattern: str = "#") -> str:
    """A queue of this test's own bound to ``exchange``, deleted after the test."""
    name = f"{PREFIX}.q.{uuid.uuid4().hex[:10]}"
    rabbit.channel.queue_declare(name)
    rabbit.channel.queue_bind(name, exchange, pattern)
    rabbit.queues.append(name)
    return name


def ok(result) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


@pytest.mark.parametrize("doc", [DOC, DOC_26], ids=["3.0 yaml", "2.6 json"])
def test_published_samples_of_the_documents_types_are_shown_valid_by_tail_validate(exchange, start_tail, doc):
    tail = start_tail("--exchange", exchange, "--count", "4", "--validate", "--catalog", str(doc),
                      "--format", "{routing_key} {type} {organizationId}")  # fmt: skip
    ok(run_ocelot("publish", "billing.invoice.issued", "billing.payment.failed", "--count", "2", "--org", "org-acme",
                  "--exchange", exchange, "--catalog", str(doc)))  # fmt: skip
    code, out = tail.finish()
    assert code == 0, tail.stderr
    assert sorted(out.decode().splitlines()) == [
        "billing.invoice.issued billing.invoice.issued org-acme",
        "billing.invoice.issued billing.invoice.issued org-acme",
        "billing.payment.failed billing.payment.failed org-acme",
        "billing.payment.failed billing.payment.failed org-acme",
    ]  # routed by the channel addresses of the document
    assert "received 4, shown 4" in tail.stderr and "invalid" not in tail.stderr


def test_tail_validate_with_the_document_marks_an_event_that_breaks_it(exchange, start_tail):
    tail = start_tail("--exchange", exchange, "--count", "2", "--validate", "--catalog", str(DOC), "--json")
    ok(run_ocelot("publish", "billing.invoice.paid", "--exchange", exchange, "--catalog", str(DOC)))
    ok(run_ocelot("publish", "billing.invoice.paid", "--set", "data.amount.currency=JPY", "--no-validate",
                  "--exchange", exchange, "--catalog", str(DOC)))  # fmt: skip
    code, out = tail.finish()
    assert code == 1  # an invalid event was seen
    events = [json.loads(line) for line in out.splitlines()]
    validator = EventValidator(load_catalog([DOC]))
    assert [validator.validate(e).ok for e in events] == [True, False]
    assert "'JPY' is not one of: USD, EUR, GBP" in tail.stderr and "invalid 1" in tail.stderr


def test_validate_names_the_one_bad_event_of_a_file_by_line_and_path(tmp_path):
    lines = ok(run_ocelot("catalog", "sample", "billing.invoice.paid", "billing.invoice.issued", "--count", "2",
                          "--catalog", str(DOC))).splitlines()  # fmt: skip
    broken = json.loads(lines[2])
    broken["data"]["line_items"][0]["quantity"] = 0
    events = tmp_path / "billing.jsonl"
    events.write_text("\n".join([lines[0], lines[1], json.dumps(broken), lines[3]]) + "\n")
    result = run_ocelot("validate", str(events), "--catalog", str(DOC))
    assert result.returncode == 1
    errors = [line for line in result.stdout.decode().splitlines() if ": error: " in line]
    assert errors == [f"{events}:3: error: billing.invoice.issued $.data.line_items[0].quantity: "
                      "0 is less than the minimum of 1"]  # fmt: skip
    without = run_ocelot("validate", str(events))  # the built-in catalog does not know the team's types
    assert without.returncode == 1 and b"unknown event type 'billing.invoice.paid'" in without.stdout


def test_a_recording_of_the_documents_events_replays_byte_for_byte_with_their_routing_keys(
        rabbit, exchange, start_tail, tmp_path):  # fmt: skip
    recording = tmp_path / "billing.jsonl"
    tail = start_tail("--exchange", exchange, "--count", "3", "--output", str(recording))
    ok(run_ocelot("publish", "billing.invoice.issued", "billing.invoice.paid", "billing.payment.failed",
                  "--exchange", exchange, "--catalog", str(DOC)))  # fmt: skip
    assert tail.finish()[0] == 0, tail.stderr
    records = [json.loads(line) for line in recording.read_text().splitlines()]
    target = f"{PREFIX}.{uuid.uuid4().hex[:10]}"
    rabbit.channel.exchange_declare(target, "topic", durable=False, auto_delete=False)
    rabbit.exchanges.append(target)
    queue = own_queue(rabbit, target, "billing.#")
    refused = run_ocelot("replay", str(recording), "--no-delay", "--exchange", target)  # no catalog: unknown types
    assert refused.returncode == 1 and b"unknown event type 'billing.invoice.issued'" in refused.stdout
    assert b"nothing was replayed" in refused.stderr
    assert rabbit.depth(queue) == 0
    ok(run_ocelot("replay", str(recording), "--no-delay", "--exchange", target, "--catalog", str(DOC)))
    got = rabbit.drain(queue)
    assert [body for _m, _p, body in got] == [body_of(r) for r in records]
    assert [m.routing_key for m, _p, _b in got] == ["billing.invoice.issued", "billing.invoice.paid",
                                                    "billing.payment.failed"]  # fmt: skip


def test_load_runs_the_documents_types_and_counts_every_message(exchange, tmp_path):
    report_file = tmp_path / "load.json"
    result = run_ocelot("load", "--exchange", exchange, "--rate", "40", "--duration", "1s", "--warmup", "0s",
                        "--mix", "billing.invoice.paid=3,billing.payment.failed=1", "--catalog", str(DOC),
                        "--report", str(report_file), "--assert", "lost==0")  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    report = json.loads(report_file.read_text())
    assert report["published"]["sent"] == report["published"]["acked"] == 40
    assert report["consumed"]["received"] == 40 and report["lost"] == 0
    assert "40 sent, 40 acked" in result.stdout.decode()


def test_ocelot_catalog_names_the_document_alongside_a_catalog_directory(rabbit, exchange, tmp_path):
    extra = tmp_path / "catalog"
    extra.mkdir()
    (extra / "acme.ticket.opened.yaml").write_text(
        "type: acme.ticket.opened\nenvelope: platform\ndescription: A support ticket was opened.\n"
        "routing_key: acme.ticket.opened\ndata_schema: {type: object, properties: {ticket_id: {type: string}}}\n"
    )
    queue = own_queue(rabbit, exchange)
    env = {"OCELOT_CATALOG": f"{extra}{os.pathsep}{DOC}"}
    ok(run_ocelot("publish", "billing.invoice.paid", "acme.ticket.opened", "--exchange", exchange, **env))
    got = rabbit.drain(queue)
    assert [(m.routing_key, json.loads(body)["type"]) for m, _p, body in got] == [
        ("billing.invoice.paid", "billing.invoice.paid"), ("acme.ticket.opened", "acme.ticket.opened")]
    listed = json.loads(ok(run_ocelot("catalog", "list", "--json", **env)))
    sources = {t["type"]: t["source"] for t in listed}
    assert sources["billing.invoice.paid"] == f"{DOC}#/components/messages/InvoicePaid"
    assert sources["acme.ticket.opened"] == str(extra / "acme.ticket.opened.yaml")


def test_a_real_time_type_goes_to_the_channels_of_its_document_and_tails_valid(start_ocelot):
    tenant, lead = f"{PREFIX}-t-{uuid.uuid4().hex[:8]}", f"{PREFIX}-l-{uuid.uuid4().hex[:8]}"
    channels = [f"tenant:{tenant}:events", f"lead:{lead}:timeline"]  # tenant:{tenant_id}..., lead:{data.lead_id}...
    tail = start_ocelot("tail", REDIS_URL, "--channel", channels[0], "--channel", channels[1], "--count", "2",
                        "--validate", "--catalog", str(DOC),
                        "--format", "{channel} {event} {data.lead_id}")  # fmt: skip
    tail.wait_for_stderr("tailing ")
    sent = run_ocelot("publish", "--to", REDIS_URL, "billing.balance.updated", "--tenant", tenant, "--lead", lead,
                      "--catalog", str(DOC))  # fmt: skip
    assert sent.returncode == 0 and b"published 2, received 2" in sent.stderr, sent.stderr
    code, out = tail.finish()
    assert code == 0, tail.stderr
    assert sorted(out.decode().splitlines()) == sorted(f"{c} billing.balance.updated {lead}" for c in channels)
    assert "invalid" not in tail.stderr


def test_a_broken_document_stops_publish_with_file_line_and_path_and_sends_nothing(rabbit, exchange, tmp_path):
    queue = own_queue(rabbit, exchange)
    broken = tmp_path / "billing.yaml"
    broken.write_text(DOC.read_text().replace("    address: billing.invoice.paid\n", ""))
    result = run_ocelot("publish", "billing.invoice.issued", "--exchange", exchange, "--catalog", str(broken))
    assert result.returncode == 4
    err = result.stderr.decode()
    assert f"{broken}:" in err and ": $.channels.invoicePaid: the channel of a platform message has no address" in err
    assert "Traceback" not in err and rabbit.depth(queue) == 0
