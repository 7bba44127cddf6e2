"""The broker's topology as plain data, and what can be worked out from it without a network.

    model.py      exchanges, queues, bindings and where they were read from (management API or AMQP)
    routing.py    topic patterns matched as RabbitMQ matches them; which queues a routing key reaches
    selection.py  what a view shows: --vhost, --exchange, --queue and --name filters, unbound queues
    survey.py     ``ocelot info``'s use case: read the topology, select, check the catalog's routing keys

No typer, no rich, no broker driver: the transports read the topology, render/ shows it.
"""
