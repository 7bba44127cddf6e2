"""``ocelot load``: constant-rate load tests of the bus with HdrHistogram latencies.

    plan.py         the run: rate, schedule, mix, routing keys, the timing marker
    pool.py         the messages (valid samples, built once, a fresh id each)
    ledger.py       what each worker records per message (sent, settled, received)
    stats.py        per-second buckets of HdrHistograms; report.py: the report, merging
    assertions.py   --assert thresholds
    coordinator.py  runs the worker processes of one machine; workers.py, link.py: their side
    drivers/        the transport side: RabbitMQ (amqp.py) and Redis -> gateway (ws.py)
    run.py          one machine's run and the verdict on a report; outputs.py: the files
    multi.py        runs across machines (--workers, --join) over control.py's exchange
    plots.py        the pictures
"""
