"""Publishing and replaying events: from samples or files to messages, through a transport.

    publish.py   targets, samples and files as messages (validated before anything is sent)
    messages.py  a message for one event: routing key, AMQP properties, body
    channels.py  one message per real-time channel of each event, with the 32 KB rule
    replay.py    recordings, event files and scenarios, with their timing and rewrites
"""
