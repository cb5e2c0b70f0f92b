"""An identity provider for tests: an RS256 key pair and its JWKS, served over real HTTP."""

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, HTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

KEY_ID = "k1"
AUDIENCE = "training-platform"
ISSUER = "https://idp.example.org/realms/training"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class IdentityProvider:
    """The JWKS URL to configure a service with, and the private key behind it."""

    jwks_url: str
    key: rsa.RSAPrivateKey

    def token(self, claims: dict[str, object], *, key: rsa.RSAPrivateKey | None = None) -> str:
        """An RS256 token of `claims` (with a `sub` and an `exp` unless given) under our key id,
        signed with our key or with `key`."""
        payload = {"sub": "u2", "exp": int(time.time()) + 60, **claims}
        return jwt.encode(payload, key or self.key, algorithm="RS256", headers={"kid": KEY_ID})


@contextmanager
def serving_jwks() -> Iterator[IdentityProvider]:
    key = new_key()
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield IdentityProvider(f"http://127.0.0.1:{server.server_address[1]}/jwks.json", key)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
