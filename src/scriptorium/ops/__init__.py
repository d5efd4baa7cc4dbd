"""Operating a deployment: health verification (`doctor`), backups, first-boot `bootstrap`, CORS sanity.

Nothing in `core` or the apps imports this package; it sits on top of them, the way an operator does.
"""
