"""Encryption of the SSO client secrets an organisation admin types into the web UI.

Fernet (AES-128-CBC + HMAC-SHA256) from ``cryptography``; the key comes from
``ENGAGE_ENCRYPTION_KEY`` (comma-separated keys rotate: the first encrypts, every one
decrypts), never from the database it protects.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

from engage.config import ConfigError


def _fernet() -> MultiFernet:
    keys = current_app.config.get("ENGAGE_ENCRYPTION_KEY")
    if not keys:
        raise ConfigError(
            "ENGAGE_ENCRYPTION_KEY is not set: client secrets cannot be stored encrypted. "
            "Set it (python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())') or name an environment variable "
            "that holds the secret instead."
        )
    try:
        return MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])
    except ValueError as exc:
        raise ConfigError(f"ENGAGE_ENCRYPTION_KEY is not a valid Fernet key: {exc}") from exc


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ConfigError(
            "a stored client secret cannot be decrypted with ENGAGE_ENCRYPTION_KEY "
            "(was the key changed without keeping the old one?)"
        ) from exc
