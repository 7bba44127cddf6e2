"""The reference real-time gateway: WebSocket server, hub rules, tokens, and the exchange bridge.

    server.py  the WebSocket server and its sources (transports' tail sources, in threads)
    hub.py     subscriptions, access, limits and delivery, without any network
    auth.py    development tokens (HS256): mint and verify
    bridge.py  platform events from the exchange onto real-time channels
"""
