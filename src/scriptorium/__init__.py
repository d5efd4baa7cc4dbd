"""Scriptorium: self-hosted LLM applications on one shared core."""

import os

# The `telemetry` extra installs logfire, which registers a pydantic plugin that costs ~16 MB in every process
# that builds a model. Tracing is configured explicitly in core/telemetry.py, so the plugin is never needed.
# It must be set before pydantic builds its first model, which is why it lives here.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
