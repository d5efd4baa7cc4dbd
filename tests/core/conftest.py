"""Core fixtures: the loopback model and embedding twins (see tests/twins/llm.py and tests/twins/embeddings.py)."""

from tests.twins.embeddings import _ollama_twin_server, _voyage_twin_server, ollama_twin, voyage_twin
from tests.twins.llm import _anthropic_twin_server, _openai_twin_server, anthropic_twin, openai_twin

__all__ = [
    "_anthropic_twin_server",
    "_ollama_twin_server",
    "_openai_twin_server",
    "_voyage_twin_server",
    "anthropic_twin",
    "ollama_twin",
    "openai_twin",
    "voyage_twin",
]
