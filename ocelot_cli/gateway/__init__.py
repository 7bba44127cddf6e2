"""The reference real-time gateway: WebSocket server, hub rules, tokens, and the exchange bridge.

    server.py  the WebSocket server and its sources (transports' tail sources, in threads)
    hub.py     subscriptions, access, limits and delivery, without any network
    outbox.py  a connection's outgoing events: one frame for all, written at once or buffered (bounded)
    heartbeat.py  pings, stale closes and token expiry of every connection, in one task
    auth.py    tokens: mint, and verify (HS256 with the secret, RS256/ES256 with a key set)
    keys.py    JWKS key sets from a file or URL (rotation by kid), signing keys and their JWKS
    bridge.py  platform events from the exchange onto real-time channels
"""
