"""Risk signals out and in: Security Event Tokens (SSF 1.0, CAEP, RISC) and Graph-style change
notifications, written to an outbox in the transaction of each change and delivered from it.

Layers: events.py, subjects.py and sets.py are plain (stdlib, PyJWT, the domain); streams.py
holds the stream rules; delivery.py, receiver.py and service.py put them to work on a Database.
"""
