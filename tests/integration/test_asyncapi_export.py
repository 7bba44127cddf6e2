"""The exported AsyncAPI document, checked by the official AsyncAPI tooling: ``@asyncapi/parser``
(the parser the AsyncAPI CLI's ``validate`` runs), installed from the npm registry for this run.

Node.js is on every machine that runs the suite; without node or npm the fixture fails, saying so,
and never skips. The parser reports diagnostics of severity error, warning, info and hint; an
exported document must have no error and no warning. The one info accepted is the parser's note
that AsyncAPI 3.1.0 exists: the issue asks for 3.0.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.extra_catalog import USER_TYPES, write_user_catalog

SCRIPT = Path(__file__).resolve().parents[1] / "node" / "asyncapi_validate.js"
ACCEPTED = {"asyncapi-latest-version"}  # info: "3.1.0 exists"
PARSER = "@asyncapi/parser@3"


@pytest.fixture(scope="session")
def asyncapi_parser(tmp_path_factory):
    """node_modules holding @asyncapi/parser 3.x, installed from the npm registry for this run."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found on PATH: the AsyncAPI export is checked with the official "
                    f"parser ({PARSER}, from npm); install Node.js 18 or later with npm", pytrace=False)  # fmt: skip
    prefix = tmp_path_factory.mktemp("asyncapi-parser")
    result = subprocess.run(["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(prefix), PARSER],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, f"npm install {PARSER} failed: {result.stderr}"
    return prefix / "node_modules"


def parse(parser: Path, path: Path) -> dict:
    """What the official parser says of the document at ``path``: version, diagnostics, what it found."""
    result = subprocess.run(["node", str(SCRIPT), str(path)], env={**os.environ, "NODE_PATH": str(parser)},
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["parser"].startswith("3."), report["parser"]
    return report


def problems(report: dict) -> list[dict]:
    return [d for d in report["diagnostics"] if d["code"] not in ACCEPTED]


def export(cli, tmp_path: Path, name: str, *args: str) -> Path:
    path = tmp_path / name
    result = cli("catalog", "export", "-o", str(path), *args)
    assert result.code == 0, result.err
    return path


@pytest.mark.parametrize("name", ["asyncapi.yaml", "asyncapi.json"])
def test_the_builtin_catalog_exports_a_document_the_official_parser_accepts(cli, tmp_path, asyncapi_parser, name):
    report = parse(asyncapi_parser, export(cli, tmp_path, name))
    assert problems(report) == []
    found = report["document"]
    assert found["asyncapi"] == "3.0.0"
    assert found["servers"] == {"amqp": "amqp", "ws": "ws", "redis": "redis"}
    assert {found["channels"][f"comms.{t}"] for t in ("call.started", "call.ended", "call.transcribed",
                                                      "campaign.completed", "sentiment.analyzed")} \
        == {"comms.call.started", "comms.call.ended", "comms.call.transcribed", "comms.campaign.completed",
            "comms.sentiment.analyzed"}  # fmt: skip
    assert (found["channels"]["tenantEvents"], found["channels"]["userTasks"], found["channels"]["leadTimeline"]) \
        == ("tenant:{tenant_id}:events", "user:{user_id}:tasks", "lead:{lead_id}:timeline")  # fmt: skip
    assert found["channels"]["connection"] is None
    assert found["operations"]["comms.call.ended.publish"] == "send"
    assert found["operations"]["comms.call.ended.consume"] == "receive"
    assert found["operations"]["tenantEvents.receive"] == "receive"
    assert len(found["messages"]) == 19 + 5 + 8  # the types, the bridged platform types, the control messages


def test_a_users_catalog_directory_exports_a_document_the_official_parser_accepts(cli, tmp_path, asyncapi_parser):
    directory = write_user_catalog(tmp_path / "events")
    path = export(cli, tmp_path, "asyncapi.yaml", "--catalog", str(directory))
    report = parse(asyncapi_parser, path)
    assert problems(report) == []
    found = report["document"]
    assert set(found["messages"]) >= USER_TYPES
    assert found["channels"]["comms.billing.invoice.paid"] == "comms.billing.invoice.paid"
    assert found["channels"]["teamAlerts"] == "team:{team_id}:alerts"


@pytest.mark.parametrize(("bus", "servers"), [("platform", {"amqp": "amqp"}),
                                              ("realtime", {"ws": "ws", "redis": "redis"})])  # fmt: skip
def test_one_sides_document_is_accepted_by_the_official_parser(cli, tmp_path, asyncapi_parser, bus, servers):
    directory = write_user_catalog(tmp_path / "events")
    report = parse(asyncapi_parser, export(cli, tmp_path, "asyncapi.json", "--bus", bus, "--catalog", str(directory)))
    assert problems(report) == []
    assert report["document"]["servers"] == servers


def test_a_cluster_with_passwords_and_tls_everywhere_exports_no_secret_and_is_accepted(cli, tmp_path, monkeypatch,
                                                                                       asyncapi_parser):  # fmt: skip
    monkeypatch.setenv("OCELOT_AMQP_URL", "amqps://user:secret@rabbit-1:5671/vhost,amqps://user:secret@rabbit-2:5671/vhost")
    monkeypatch.setenv("OCELOT_REDIS_URL", "rediss://:redis-secret@redis.internal:6380/1")
    monkeypatch.setenv("OCELOT_WS_URL", "wss://gw.example.com/ws?access_token=ws-secret")
    path = export(cli, tmp_path, "asyncapi.yaml")
    assert "secret" not in path.read_text()
    report = parse(asyncapi_parser, path)
    assert problems(report) == []
    assert report["document"]["servers"] == {"amqp-1": "amqps", "amqp-2": "amqps", "ws": "wss", "redis": "redis"}


BREAKAGES = {
    "a channel parameter misnamed": (
        lambda doc: doc["channels"]["tenantEvents"].update(parameters={"tenant": {"description": "the tenant"}}),
        "asyncapi3-channel-parameters"),
    "an operation's message its channel does not carry": (
        lambda doc: doc["operations"]["comms.call.ended.publish"]["messages"].append(
            {"$ref": "#/channels/tenantEvents/messages/task.updated"}),
        "asyncapi3-operation-messages-from-referred-channel"),
    "a payload type that is no JSON type": (
        lambda doc: doc["components"]["messages"]["call.ended"]["payload"]["properties"]["data"].update(type="obj"),
        "asyncapi-document-resolved"),
    "an AMQP binding with an unknown exchange type": (
        lambda doc: doc["channels"]["comms.call.ended"]["bindings"]["amqp"]["exchange"].update(type="fan"),
        "asyncapi-document-resolved"),
}  # fmt: skip


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_the_parser_reports_a_broken_document_so_these_checks_can_fail(cli, tmp_path, asyncapi_parser, breakage):
    path = export(cli, tmp_path, "asyncapi.yaml")
    document = yaml.safe_load(path.read_text())
    spoil, code = BREAKAGES[breakage]
    spoil(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    report = parse(asyncapi_parser, path)
    assert code in {d["code"] for d in report["diagnostics"] if d["severity"] == "error"}, report["diagnostics"]
