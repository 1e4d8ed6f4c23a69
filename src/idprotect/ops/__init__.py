"""Cross-cutting operations: throttling, fault injection, metrics, structured logs, health."""
