"""tail --queue / --stream and record: what cannot go together is said before anything connects."""

import pytest


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["tail", "--queue", "q", "comms.#"], "binding patterns cannot go with them"),
        (["tail", "--queue", "q", "--exchange", "x"], "--exchange cannot go with them"),
        (["tail", "--stream", "s", "--durable-queue", "d"], "--durable-queue cannot go with them"),
        (["tail", "redis://127.0.0.1:6379", "--queue", "q"], "give an amqp:// or amqps:// URL"),
        (["tail", "--queue", "q", "--stream", "s"], "choose one of --queue"),
        (["tail", "--consume"], "--consume goes with --queue NAME"),
        (["tail", "--stream", "s", "--consume"], "a stream keeps its messages, nothing can be taken from it"),
        (["tail", "--queue", "q", "--yes"], "--yes confirms --consume"),
        (["tail", "--queue", "q", "--since", "10m"], "--since and --until read a stream from a point"),
        (["tail", "--until", "10m"], "they go with --stream NAME"),
        (["tail", "--stream", "s", "--since", "yesterday"], "--since 'yesterday' is neither a time ago nor a time"),
        (["tail", "--stream", "s", "--since", "10m", "--until", "20m"], "--until 20m is not after --since 10m"),
        (["tail", "--queue", "q", "--consume"], "--consume takes messages for good: confirm at the prompt of a "
                                                "terminal, or add --yes"),
        (["tail", "--queue", ""], "--queue '': give the name of the queue"),
        (["record", "--max-age", "7d"], "name the stream: --stream NAME"),
        (["record", "--stream", "s"], "give --max-age and/or --max-bytes"),
        (["record", "--stream", "s", "--max-age", "7 days"], "--max-age '7 days': give a whole number and a unit"),
        (["record", "--stream", "s", "--max-bytes", "lots"], "--max-bytes 'lots': give a size above zero"),
        (["record", "--stream", "s", "--max-age", "7d", "amqp://127.0.0.1/"], "takes binding patterns, not a URL"),
        (["record", "--stream", "s", "--max-age", "7d", "--exchange", ""], "the default exchange takes no bindings"),
    ],
)  # fmt: skip
def test_reads_of_queues_and_streams_refuse_what_cannot_go_together_before_connecting(cli, args, error):
    result = cli(*args, "--connect-timeout", "1s") if args[0] == "tail" else cli(*args)
    assert result.code == 2, result.err
    assert error in result.err
    assert "Traceback" not in result.err


def test_tail_help_shows_how_to_read_a_queue_and_a_stream(cli):
    text = " ".join(cli("tail", "--help").out.split())
    for example in ("ocelot tail --queue orders.dlq --consume --output dlq.jsonl",
                    "ocelot tail --stream ops.history --since 10m"):  # fmt: skip
        assert example in text
    record = " ".join(cli("record", "--help").out.split())
    assert "ocelot record --stream ops.history --max-age 7d --max-bytes 5GB" in record
    assert "RabbitMQ 3.9+" in record
