"""The deploy image built and booted: tests that need a Docker engine."""
