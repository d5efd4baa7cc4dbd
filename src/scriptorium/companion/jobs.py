"""Companion registers no queued jobs, on purpose.

Everything a reader waits for is answered inline: a chat answer streams over SSE from the request that asked for
it (a queue would only add latency before the first token), and pages, the world graph and retrieval are plain
reads. Ingestion runs from the CLI (`scriptorium companion ingest | load-sample | reindex`) and takes effect in a
running server through the series' content version. `scriptorium.apps` imports this module like every app's, so
a future handler (e.g. ingest from an uploaded archive) has one obvious home.
"""
