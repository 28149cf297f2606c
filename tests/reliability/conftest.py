"""Reliability tests reuse the sidecar's in-process client and key fixtures."""

from tests.e2e.test_serve import server
from tests.integration.http.conftest import client, read_key, write_key

__all__ = ["client", "read_key", "server", "write_key"]
