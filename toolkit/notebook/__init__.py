"""The analysts' face: `toolkit.connect()` (sync), `toolkit.connect_async()`, and the IPython magics."""
