"""idprotect: a self-hosted, Microsoft Graph-compatible Identity Protection service."""

__version__ = "0.1.0"
