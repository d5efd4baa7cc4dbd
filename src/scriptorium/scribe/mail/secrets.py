"""Mail account passwords at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from SECRET_KEY by HKDF.

Why derived, not stored: the database alone (a backup, a leaked dump) does not reveal a password; the key lives
only in the process's settings. Why HKDF with its own `info`: the same SECRET_KEY also signs tokens and media URLs,
and a key for another purpose must not be the key that signs them. Changing SECRET_KEY makes stored passwords
unreadable: `decrypt_password` then says so in words and the user enters the password again.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from scriptorium.core.errors import ScriptoriumError
from scriptorium.core.settings import Settings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

_SALT = b"scriptorium.scribe.mail"
_INFO = b"mail-account-password-v1"


class PasswordUnreadable(ScriptoriumError):
    """The stored password was encrypted under another SECRET_KEY (or damaged)."""

    status_code = 409
    code = "password_unreadable"

    def __init__(self) -> None:
        super().__init__(
            "The stored mail password can no longer be read (the server's SECRET_KEY changed); enter it again."
        )


def _fernet(settings: Settings) -> Fernet:
    # Imported here: cryptography is loaded with the first mail account, not at every start-up (see
    # tests/test_startup_imports.py).
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        settings.secret_key.get_secret_value().encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_password(settings: Settings, password: str) -> str:
    """Ciphertext (URL-safe text) for the database; a fresh IV each time, so equal passwords look different."""
    return _fernet(settings).encrypt(password.encode()).decode("ascii")


def decrypt_password(settings: Settings, ciphertext: str) -> str:
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(settings).decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        raise PasswordUnreadable() from None
