"""The open risk engine: detectors that decide risk from sign-in events.

Each detector (engine/detectors/) is a pure function of a sign-in and what came before it in
event time, read through the ports of engine/ports.py; the store keeps that history. Event
time, never the wall clock: replaying a day of sign-ins in seconds finds what living through
it would. engine/ingest.py runs them over a batch and hands their findings to the risk core.
"""
