"""Token verification cost (issue 15): a full RS256/ES256 verification against the remembered-token path.

``.venv/bin/python bench/token_bench.py``: prints microseconds per token; a few seconds.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from api.jwks import KeySet

CLAIMS = {"iss": "https://idp", "aud": "uppfoljning", "sub": "x", "exp": 9_999_999_999, "iat": 1, "roles": ["a"]}


def per_call(f: Callable[[], Any], n: int) -> float:
    f()
    start = time.perf_counter()
    for _ in range(n):
        f()
    return (time.perf_counter() - start) / n * 1e6


def main() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_jwk = {**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key())), "kid": "r", "alg": "RS256"}
    ec_jwk = {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key())), "kid": "e", "alg": "ES256"}
    for name, key, jwk, alg in (("RS256", rsa_key, rsa_jwk, "RS256"), ("ES256", ec_key, ec_jwk, "ES256")):
        token = jwt.encode(CLAIMS, key, algorithm=alg, headers={"kid": jwk["kid"], "typ": "at+jwt"})
        public = jwt.PyJWK(jwk)
        cost = per_call(lambda t=token, k=public, a=alg: jwt.decode(t, k, algorithms=[a], audience="uppfoljning"), 3000)
        print(f"{name} full verification: {cost:.1f} µs per token")

    def get(url: str, timeout: float = 10) -> httpx.Response:
        body = {"issuer": "https://idp", "jwks_uri": "https://idp/k"} if "well-known" in url else {"keys": [rsa_jwk]}
        return httpx.Response(200, json=body, request=httpx.Request("GET", url))

    keys = KeySet("https://idp", lambda: datetime.now(UTC).timestamp(), get=get)
    print(f"remembered token, its key still published: {per_call(lambda: keys.holds('r'), 100_000):.2f} µs per token")


if __name__ == "__main__":
    main()
