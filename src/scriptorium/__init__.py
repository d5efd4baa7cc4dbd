"""Scriptorium: self-hosted LLM applications on one shared core."""
