"""Load benchmarks of the HTTP sidecar against a bare ASGI reference app (`python -m benchmarks.http`)."""
