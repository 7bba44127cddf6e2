"""The README's commands are run, so they cannot drift from what ocelot does."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pika
import pytest

from ocelot_cli.config.settings import SETTINGS
from ocelot_cli.errors import EXIT_STATUS_HELP
from tests.integration.conftest import AMQP_URL

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
BIN = Path(sys.executable).parent


def marked_block(marker: str) -> str:
    match = re.search(rf"<!-- ci:{marker} -->\n```\w*\n(.*?)```", README, re.S)
    assert match, f"README lacks the <!-- ci:{marker} --> block"
    return match.group(1).strip()


def console_examples() -> list[tuple[str, int]]:
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README, re.S):
        for line in block.splitlines():
            if not line.startswith("$ "):
                continue
            command = line[2:]
            expected = 0
            exit_note = re.search(r"#\s*exit (\d+)", command)
            if exit_note:
                expected = int(exit_note.group(1))
            command = command.split("  #")[0].strip()
            program = re.sub(r"^(?:[A-Z_]+=\S+\s+)+", "", command)  # VAR=value prefixes
            if program.startswith(("ocelot", ".venv/bin/ocelot")):
                examples.append((command, expected))
    return examples


def test_setup_command_installs_the_dev_extra_that_holds_the_test_tools():
    setup = marked_block("setup")
    assert "pip install -e '.[dev]'" in setup and "python3 -m venv .venv" in setup
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith("pytest") for dep in extras["dev"])


def test_test_command_runs_pytest_and_ci_runs_the_readme_blocks():
    assert marked_block("test") == ".venv/bin/python -m pytest"
    ci = (REPO / ".ci" / "run").read_text()
    assert "readme_block setup" in ci and "readme_block test" in ci


def test_readme_has_examples_of_every_command():
    commands = {re.sub(r"^(?:[A-Z_]+=\S+\s+)+", "", command).split()[1] for command, _ in console_examples()}
    assert {
        "catalog",
        "validate",
        "config",
        "completions",
        "publish",
        "tail",
        "replay",
        "token",
        "load",
        "smoke",
        "doctor",
    } <= commands


@pytest.fixture
def platform_bus(broker):
    """The default exchange with a queue bound to everything, as after 'publish --declare';
    the exchange is removed again if this test created it."""
    connection = pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    channel = connection.channel()
    probe = connection.channel()
    try:
        probe.exchange_declare("ocelot.events", passive=True)
        existed = True
    except pika.exceptions.ChannelClosedByBroker:
        existed = False
    channel.exchange_declare("ocelot.events", "topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "ocelot.events", "#")
    yield
    channel.queue_delete(queue)
    if not existed:
        channel.exchange_delete("ocelot.events")
    connection.close()


@pytest.mark.integration
@pytest.mark.parametrize(("command", "expected"), console_examples(), ids=lambda v: str(v))
def test_readme_example_runs_as_documented(command, expected, tmp_path, platform_bus):
    command = command.replace(".venv/bin/ocelot", "ocelot")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCELOT_")}
    env.update(PATH=f"{BIN}:{env['PATH']}", OCELOT_CONFIG=str(tmp_path / "none.yaml"), OCELOT_AMQP_URL=AMQP_URL)
    result = subprocess.run(command, shell=True, cwd=REPO, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == expected, result.stderr
    assert "Traceback" not in result.stderr


def test_exit_code_table_matches_the_code():
    rows = dict(re.findall(r"^\| (\d+) \| (.+?) \|$", README, re.M))
    assert {int(k) for k in rows} == {int(k) for k in EXIT_STATUS_HELP}


def test_environment_table_names_every_setting():
    for setting in SETTINGS.values():
        assert f"`{setting.env}`" in README, setting.env


def test_catalog_example_in_readme_is_a_valid_catalog_file(tmp_path):
    from ocelot_cli.envelope.catalog import load_catalog

    block = re.search(r"```yaml\n(type: planning\.task\.created.*?)```", README, re.S).group(1)
    (tmp_path / "planning.task.created.yaml").write_text(block)
    assert "planning.task.created" in load_catalog([tmp_path])


def workflow() -> dict:
    import yaml

    match = re.search(r"<!-- ci:workflow -->\n```yaml\n(.*?)```", README, re.S)
    assert match, "README lacks the <!-- ci:workflow --> block"
    return yaml.safe_load(match.group(1))


def test_ci_workflow_has_a_broker_an_install_and_the_three_gates():
    job = workflow()["jobs"]["bus"]
    assert job["services"]["rabbitmq"]["image"].startswith("rabbitmq:")
    assert "5672:5672" in job["services"]["rabbitmq"]["ports"]
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(run.startswith("pip install") for run in runs)
    assert any(run.startswith("ocelot validate fixtures/") and "--format junit" in run for run in runs)
    assert any(run.startswith("ocelot smoke") and "--format junit" in run for run in runs)
    assert any(run.startswith("ocelot load") and "--assert" in run for run in runs)


@pytest.mark.integration
def test_ci_workflow_ocelot_steps_pass_against_the_local_broker(tmp_path, platform_bus):
    """Each `ocelot` step of the README's workflow, run as the job would (shell, its env, its cwd)."""
    import json
    import xml.etree.ElementTree as ET

    job = workflow()["jobs"]["bus"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OCELOT_")}
    env.update(PATH=f"{BIN}:{env['PATH']}", OCELOT_CONFIG=str(tmp_path / "none.yaml"), **job["env"])
    (tmp_path / "fixtures").symlink_to(REPO / "fixtures")
    ran = 0
    for step in job["steps"]:
        run = step.get("run", "")
        if run.startswith("ocelot"):
            result = subprocess.run(run, shell=True, cwd=tmp_path, capture_output=True, text=True, env=env,
                                    timeout=120)  # fmt: skip
            assert result.returncode == 0, (run, result.stdout[-3000:], result.stderr[-3000:])
            ran += 1
    assert ran == 3
    validate = ET.parse(tmp_path / "validate.xml").getroot()
    assert int(validate.get("tests")) > 10 and validate.get("failures") == "0"
    smoke = ET.parse(tmp_path / "smoke.xml").getroot()
    assert smoke.get("tests") == "4" and smoke.get("failures") == "0"
    load = json.loads((tmp_path / "load.json").read_text())
    assert load["assertions"] and all(a["ok"] for a in load["assertions"])
    assert (tmp_path / "load.html").read_text().startswith("<!DOCTYPE html>")


def test_contract_job_checks_the_configured_catalog_against_main_with_the_whole_history():
    import yaml

    match = re.search(r"<!-- ci:contract -->\n```yaml\n(.*?)```", README, re.S)
    assert match, "README lacks the <!-- ci:contract --> block"
    job = yaml.safe_load(match.group(1))["jobs"]["catalog-diff"]
    assert job["env"]["OCELOT_CATALOG"]
    checkout = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    runs = [step.get("run", "") for step in job["steps"]]
    assert any(run.startswith("ocelot catalog diff git:origin/main .") for run in runs)
