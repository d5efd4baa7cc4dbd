"""Core fixtures: the loopback model and embedding twins (see tests/twins/llm.py and tests/twins/embeddings.py)."""

from tests.twins.embeddings import ollama_twin, voyage_twin
from tests.twins.llm import anthropic_twin, openai_twin

__all__ = ["anthropic_twin", "ollama_twin", "openai_twin", "voyage_twin"]
