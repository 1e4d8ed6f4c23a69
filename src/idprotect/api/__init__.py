"""The HTTP layer: routers, the wire format, and the one mapping of errors to responses."""
