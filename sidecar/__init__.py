"""The HTTP sidecar for dashboards (Litestar), built from the toolkit's one container."""
