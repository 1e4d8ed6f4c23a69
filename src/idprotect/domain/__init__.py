"""Risky users, their history and risk detections: plain Python, no web and no SQL."""
