"""Test helpers: an in-process idprotect that code calling graph.microsoft.com reaches unchanged."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from idprotect.testing.credentials import AppCredentials, CertificateCredentials
    from idprotect.testing.graph import (
        ADMIN_ROLE,
        DEFAULT_APP_ROLES,
        GRAPH_HOSTS,
        MockGraph,
        SeedingError,
        current_graph,
        detection,
        mock_graph,
    )

__all__ = [
    "ADMIN_ROLE",
    "DEFAULT_APP_ROLES",
    "GRAPH_HOSTS",
    "AppCredentials",
    "CertificateCredentials",
    "MockGraph",
    "SeedingError",
    "current_graph",
    "detection",
    "mock_graph",
]


def __getattr__(name: str) -> Any:
    # Imported on first use: pytest loads this package's plugin in every run, and a run that
    # uses none of its fixtures should not pay for importing the whole service.
    if name in __all__:
        return getattr(importlib.import_module("idprotect.testing.graph"), name)
    raise AttributeError(f"module 'idprotect.testing' has no attribute {name!r}")
