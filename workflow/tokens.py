"""Development tokens (utvecklingstoken): the HS256 signing key and minting a demo user's token.

In production the organisation's OpenID Connect provider issues tokens and the API
checks them against its JWKS; this module serves development and tests only. The
development key is random per installation, kept outside the repository.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import jwt

from workflow.clock import utcnow
from workflow.settings import _DEV_SECRET, Settings

DEV_KEY_FILE = Path(os.environ.get("UPPF_DEV_KEY_FILE", Path.home() / ".config" / "uppfoljning" / "dev-jwt-key"))


def signing_key(settings: Settings) -> str:
    """The HS256 key: ``UPPF_JWT_SECRET`` if set, else (development only) a per-install random key."""
    if settings.jwt_secret != _DEV_SECRET:
        return settings.jwt_secret
    if settings.environment != "development":
        raise RuntimeError("UPPF_JWT_SECRET or UPPF_OIDC_ISSUER must be set outside development")
    if not DEV_KEY_FILE.exists():
        DEV_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(DEV_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    return DEV_KEY_FILE.read_text().strip()


def mint(
    settings: Settings,
    username: str,
    organisation_code: str,
    roles: list[str],
    *,
    ttl: timedelta = timedelta(hours=8),
    now: datetime | None = None,
) -> str:
    """A signed token with the claims the API reads: ``sub``, ``org`` and ``roles``."""
    issued = now or utcnow()
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": username,
        "org": organisation_code,
        "roles": list(roles),
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    return jwt.encode(claims, signing_key(settings), algorithm="HS256")
