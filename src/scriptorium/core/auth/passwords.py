"""Password hashing for `local` accounts: Argon2id through argon2-cffi.

Parameters follow OWASP's Argon2id minimum (19 MiB, 2 passes, 1 lane): about 30-60 ms on a Raspberry Pi 4, and
19 MiB per concurrent login, which a 1 GB board can afford. Hashes carry their parameters, so raising them later
only needs `needs_rehash` at the next successful login. Callers run these in a thread: hashing is CPU-bound.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1, hash_len=32, salt_len=16)


def hash_password(password: str) -> str:
    """A salted Argon2id hash string (parameters included) for storing in `users.password_hash`."""
    return str(_HASHER.hash(password))


@cache
def _decoy_hash() -> str:
    return hash_password("decoy password for accounts that do not exist")


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches. With no stored hash, spends the same time on a decoy and returns False.

    Spending the time anyway keeps "no such account" and "wrong password" indistinguishable by timing.
    """
    try:
        return bool(_HASHER.verify(stored_hash or _decoy_hash(), password)) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    try:
        return bool(_HASHER.check_needs_rehash(stored_hash))
    except InvalidHashError:
        return True
