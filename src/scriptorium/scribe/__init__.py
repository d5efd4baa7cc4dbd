"""Scribe."""
