"""Whatever comes from the wire or a file, no view writes a terminal control byte (ESC, C1, DEL):
values, keys, types, routing keys, channels, warnings and errors, in every view of tail and in the
reports of validate, smoke and publish."""

from __future__ import annotations

import io
import json
import re
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ocelot_cli.envelope.validate import Violation
from ocelot_cli.render.output import Output
from ocelot_cli.tail.template import parse_template
from ocelot_cli.transports.messages import PublishReport, ReceivedMessage

# Text with a good share of what attacks a terminal: ESC sequences (CSI, OSC 8 links), C1, DEL, bidi.
HOSTILE = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["\x1b[31mred", "\x1b]8;;http://evil\x07link\x1b]8;;\x07", "\x9b2J", "\x7f", "\u202eevil",
                     "[bold]markup[/]", "\x1bc", "\r\x1b[2K", "a\x00b", "\udc9b", "lone \ud800"]),  # fmt: skip
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x9F), max_size=12),
)
UNSAFE = re.compile("[\x1b\x7f\x80-\x9f\ud800-\udfff]")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def hostile_event() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries({
        "type": HOSTILE, "event": HOSTILE, "organizationId": HOSTILE, "tenant_id": HOSTILE,
        "data": st.dictionaries(HOSTILE, st.one_of(HOSTILE, st.integers(), st.none()), max_size=4),
    })  # fmt: skip


def run_views(monkeypatch, event: dict, where: str, text: str) -> str:
    from ocelot_cli.render import smoke as render_smoke
    from ocelot_cli.render import validation as render_validation
    from ocelot_cli.render.publish import print_summary
    from ocelot_cli.render.tail import NdjsonRenderer, PrettyRenderer, TemplateRenderer
    from ocelot_cli.smoke.checks import FAILED, CheckResult, Report
    from ocelot_cli.validation.report import Problem

    out_stream, err_stream = Terminal(), Terminal()
    monkeypatch.setattr(sys, "stdout", out_stream)
    monkeypatch.setattr(sys, "stderr", err_stream)
    output = Output(no_color=True)
    body = json.dumps(event).encode()
    message = ReceivedMessage(body, 0.0, exchange=where, routing_key=where, channel=where,
                              properties={"headers": {"h": text, text: text}, "message_id": text})  # fmt: skip
    violations = [Violation(f"$.{text}", text)]
    binary = io.BytesIO()
    ndjson = NdjsonRenderer(output, stream=binary)
    template = parse_template("{type} {event} {routing_key} {channel} {exchange} {data} {body} {headers.h} "
                              "{headers} {properties.message_id}")  # fmt: skip
    for renderer in (PrettyRenderer(output), PrettyRenderer(output, expand=True), ndjson,
                     TemplateRenderer(output, template)):
        renderer.message(message, event, violations)
        renderer.message(ReceivedMessage(text.encode("utf-8", "surrogatepass"), 0.0, routing_key=where), None, None)
        renderer.flush()  # the JSON lines view gathers its lines until flushed
    output.warn(text)
    output.error(text)
    output.status(text)
    output.raw(render_validation.text_line(Problem(where, 1, 1, text, event_type=text, path=text), color=False))
    render_smoke.print_report(output, Report(text, [CheckResult(text, FAILED, text, hint=text)]), "text")
    report = PublishReport(total=1, published=1, unroutable=1, unroutable_examples=[f"{where} ({text})"])
    print_summary(output, report, where)
    return out_stream.getvalue() + err_stream.getvalue() + binary.getvalue().decode("utf-8", "replace")


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(event=hostile_event(), where=HOSTILE, text=HOSTILE)
def test_no_view_writes_a_terminal_control_byte(monkeypatch, event, where, text):
    shown = run_views(monkeypatch, event, where, text)
    assert UNSAFE.findall(shown) == []
    shown.encode("utf-8")  # a lone surrogate could not even be written to the terminal


def test_an_osc8_link_in_a_data_key_is_shown_escaped_in_the_pretty_view(monkeypatch):
    link = "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07"
    shown = run_views(monkeypatch, {"type": "call.ended", "data": {link: "x"}}, "comms.call.ended", "ok")
    assert "\\e]8;;http://evil.example\\x07click" in shown and "\x1b" not in shown
