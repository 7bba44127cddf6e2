"""The publisher's own marshalling of basic.publish gives exactly pika's bytes, or pika's error."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pika import frame as amqp_frame
from pika import spec as amqp_spec

from ocelot_cli.transports.amqp.wire import MessageEncoder

SHORT_NAMES = ("content_type", "content_encoding", "correlation_id", "reply_to", "expiration", "message_id", "type",
               "user_id", "app_id", "cluster_id")  # fmt: skip
header_values = st.one_of(st.text(max_size=20), st.integers(-(2**40), 2**40), st.booleans(), st.none(),
                          st.binary(max_size=8), st.lists(st.text(max_size=5), max_size=3))  # fmt: skip


@st.composite
def properties(draw) -> dict:  # noqa: ANN001
    props: dict = {}
    for name in draw(st.lists(st.sampled_from(SHORT_NAMES), unique=True)):
        props[name] = draw(st.one_of(st.text(max_size=30), st.none(), st.text(min_size=250, max_size=300)))
    if draw(st.booleans()):
        props["delivery_mode"] = draw(st.sampled_from([1, 2, None, True]))
    if draw(st.booleans()):
        props["priority"] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        props["timestamp"] = draw(st.integers(0, 2**40))
    if draw(st.booleans()):
        props["headers"] = draw(st.dictionaries(st.text(min_size=1, max_size=10), header_values, max_size=4))
    keys = list(props)
    order = draw(st.permutations(keys))
    return {k: props[k] for k in order}


def pika_bytes(exchange: str, routing_key: str, body: bytes, props: dict, frame_max: int) -> bytes:
    method = amqp_frame.Method(1, amqp_spec.Basic.Publish(exchange=exchange, routing_key=routing_key, mandatory=True))
    frames = [method.marshal(), amqp_frame.Header(1, len(body), amqp_spec.BasicProperties(**props)).marshal()]
    for start in range(0, len(body), frame_max):
        frames.append(amqp_frame.Body(1, body[start : start + frame_max]).marshal())
    return b"".join(frames)


@settings(max_examples=400, deadline=None)
@given(props=properties(), body=st.binary(max_size=300), frame_max=st.sampled_from([7, 100, 131064]),
       repeat=st.integers(1, 3))  # fmt: skip
def test_every_message_is_marshalled_exactly_as_pika_does_or_refused_as_pika_refuses(props, body, frame_max, repeat):
    encoder = MessageEncoder(1, frame_max)
    for _ in range(repeat):  # the second time through, what the encoder kept is used
        try:
            expected: bytes | type[BaseException] = pika_bytes("ocelot.events", "comms.call.ended", body, props,
                                                               frame_max)  # fmt: skip
        except Exception as exc:  # noqa: BLE001
            expected = type(exc)
        if isinstance(expected, bytes):
            assert encoder.encode("ocelot.events", "comms.call.ended", body, props) == expected
        else:
            with pytest.raises(expected):
                encoder.encode("ocelot.events", "comms.call.ended", body, props)


def test_a_header_value_of_another_type_but_equal_is_never_taken_from_what_was_kept():
    encoder = MessageEncoder(1, 131064)
    as_text = encoder.encode("x", "k", b"{}", {"headers": {"n": "1"}})
    as_int = encoder.encode("x", "k", b"{}", {"headers": {"n": 1}})
    as_bool = encoder.encode("x", "k", b"{}", {"headers": {"n": True}})
    assert len({as_text, as_int, as_bool}) == 3
    assert as_int == pika_bytes("x", "k", b"{}", {"headers": {"n": 1}}, 131064)
    assert as_bool == pika_bytes("x", "k", b"{}", {"headers": {"n": True}}, 131064)


def test_an_unknown_property_name_is_refused_like_pika_refuses_it():
    with pytest.raises(TypeError):
        MessageEncoder(1, 131064).encode("x", "k", b"{}", {"colour": "red"})


def test_a_defect_while_building_a_message_ends_the_input_and_is_kept_for_after_what_was_sent():
    from ocelot_cli.transports.amqp.intake import Intake
    from ocelot_cli.transports.messages import OutgoingMessage, PublishReport

    def messages():
        yield OutgoingMessage("x", "k", b"{}", {}, seq=0)
        raise RuntimeError("a bug in a generator")

    intake = Intake(messages(), PublishReport())
    assert intake.next() is not None
    assert intake.next() is None and intake.done and intake.exhausted
    assert isinstance(intake.error, RuntimeError)  # raised by the publisher once the first is settled


def test_text_that_is_not_utf8_is_an_invalid_event_not_a_crash():
    from ocelot_cli.envelope.codec import dump_compact
    from ocelot_cli.errors import InvalidEvent

    with pytest.raises(InvalidEvent, match="not valid UTF-8"):
        dump_compact({"userId": "u\udce9"})


def test_an_event_time_before_1970_leaves_the_amqp_timestamp_out():
    from ocelot_cli.publishing.messages import amqp_properties

    props = amqp_properties({"id": "a", "type": "call.ended", "organizationId": "o",
                             "timestamp": "1969-12-31T23:59:59Z"})  # fmt: skip
    assert "timestamp" not in props and props["message_id"] == "a"
    later = amqp_properties({"id": "a", "type": "call.ended", "timestamp": "1970-01-01T00:00:05Z"})
    assert later["timestamp"] == 5
