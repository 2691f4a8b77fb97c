"""Who is calling: bearer tokens (static API keys or JWTs) turned into a company-scoped Principal.

The Principal and the one tenancy check live in `gateway/tenancy.py`; this module only
recognises callers and says when a credential ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from jwt import PyJWK, PyJWKClient, PyJWKSet
from jwt.exceptions import PyJWKClientConnectionError, PyJWKClientError

from gateway.tenancy import Principal

log = logging.getLogger("gateway.edge.auth")

SUPPORTED_ALGORITHMS = frozenset({"HS256", "RS256"})


class AuthenticationError(Exception):
    """The request carries no usable credentials; the message is safe to show the client."""


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A static client key, kept only as the sha256 hex of the key itself."""

    name: str
    sha256: str
    companies: frozenset[str] | None


def _companies(raw: object, where: str) -> frozenset[str] | None:
    if raw == "*":
        return None
    if isinstance(raw, list) and all(isinstance(item, str) and item for item in raw):
        return frozenset(raw)
    raise ValueError(f'{where}: companies must be a list of company ids or "*"')


def parse_api_keys(raw: str) -> tuple[ApiKey, ...]:
    """`GATEWAY_API_KEYS`: inline JSON or a path to a JSON file, a list of
    `{"name": ..., "sha256": <hex of the key>, "companies": [...] | "*"}`."""
    text = raw.strip()
    if not text.startswith(("[", "{")):
        path = Path(text)
        if not path.is_file():
            raise ValueError("must be inline JSON or the path of an existing JSON file")
        text = path.read_text(encoding="utf-8")
    try:
        entries = json.loads(text)
    except json.JSONDecodeError:
        raise ValueError("is not valid JSON") from None
    if not isinstance(entries, list):
        raise ValueError("must be a JSON list of {name, sha256, companies}")
    keys: list[ApiKey] = []
    for index, entry in enumerate(entries):
        where = f"entry {index}"
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: must be an object")
        name, digest = entry.get("name"), entry.get("sha256")
        if not isinstance(name, str) or not name:
            raise ValueError(f"{where}: name must be a non-empty string")
        if not isinstance(digest, str) or len(digest) != 64:
            raise ValueError(f"{where}: sha256 must be the 64-character hex digest of the key")
        try:
            bytes.fromhex(digest)
        except ValueError:
            raise ValueError(f"{where}: sha256 must be hex") from None
        keys.append(ApiKey(name, digest.lower(), _companies(entry.get("companies"), where)))
    if len({key.name for key in keys}) != len(keys):
        raise ValueError("key names must be unique")
    return tuple(keys)


class JwksSource:
    """The signing keys of RS256 tokens: PyJWT's `PyJWKClient` for a URL (the set cached for
    `ttl_seconds`; an unknown kid forces at most one refetch a second, so a stream of forged kids
    is not a stream of fetches), or a JWKS file read once."""

    def __init__(self, location: str, *, ttl_seconds: float = 300.0, timeout: float = 5.0) -> None:
        self.location = location
        self._client = (
            PyJWKClient(location, lifespan=ttl_seconds, timeout=timeout, cooldown_duration=1.0)
            if self.remote
            else None
        )
        self._file_keys: list[PyJWK] | None = None

    @property
    def remote(self) -> bool:
        return self.location.startswith(("http://", "https://"))

    async def key(self, kid: str | None) -> PyJWK:
        try:
            if self._client is not None and kid is not None:
                return await asyncio.to_thread(self._client.get_signing_key, kid)
            keys = await self._keys()
        except (PyJWKClientConnectionError, OSError, ValueError) as exc:
            log.error("could not load the JWKS from %s: %s", self.location, type(exc).__name__)
            raise AuthenticationError("the token's signing keys are unavailable") from None
        except (PyJWKClientError, jwt.PyJWTError):
            # No key with this kid, even after the (rate-limited) refetch.
            raise AuthenticationError("the token was signed with an unknown key") from None
        if kid is None:
            if len(keys) != 1:
                raise AuthenticationError("the token names no key (kid)")
            return keys[0]
        found = next((key for key in keys if key.key_id == kid), None)
        if found is None:
            raise AuthenticationError("the token was signed with an unknown key")
        return found

    async def _keys(self) -> list[PyJWK]:
        if self._client is not None:
            return await asyncio.to_thread(self._client.get_signing_keys)
        if self._file_keys is None:
            text = await asyncio.to_thread(Path(self.location).read_text, encoding="utf-8")
            keyset = PyJWKSet.from_dict(json.loads(text))
            self._file_keys = [key for key in keyset.keys if key.algorithm_name == "RS256"]
        return self._file_keys


@dataclass(frozen=True, kw_only=True)
class JwtConfig:
    algorithms: tuple[str, ...]
    secret: str | None = None
    jwks: JwksSource | None = None
    issuer: str | None = None
    audience: str | None = None
    companies_claim: str = "codat_companies"
    leeway_seconds: float = 30.0


class Authenticator:
    """Turns the bearer token of a request into a Principal, or raises AuthenticationError.

    The static keys can be replaced while the gateway runs (`reload`); whatever was opened with
    a key that is gone, or with a token that expired, ends (`credential_ends`).
    """

    def __init__(self, *, api_keys: Sequence[ApiKey] = (), jwt: JwtConfig | None = None) -> None:
        self.jwt = jwt
        self._by_digest: Mapping[str, ApiKey] = {}
        self._changed: asyncio.Event | None = None
        self.revision = 0
        self.reload(api_keys)

    @property
    def api_keys(self) -> tuple[ApiKey, ...]:
        return tuple(self._by_digest.values())

    @property
    def configured(self) -> bool:
        return bool(self._by_digest) or self.jwt is not None

    def reload(self, api_keys: Sequence[ApiKey]) -> None:
        """Replace the static keys; credentials no longer valid end at once."""
        self._by_digest = {key.sha256: key for key in api_keys}
        self.revision += 1
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def still_valid(self, principal: Principal, now: float | None = None) -> bool:
        """Whether `principal` would still be let in with the same companies."""
        if principal.expired(now):
            return False
        if principal.kind != "api-key":
            return True
        key = self._by_digest.get(principal.credential)
        return (
            key is not None
            and key.name == principal.subject
            and (key.companies == principal.companies)
        )

    async def credential_ends(self, principal: Principal) -> str:
        """Wait until `principal`'s credential ends (expiry, or a reload that drops or narrows
        its key); answers the reason. Never returns for a credential without either."""
        while True:
            if principal.expired():
                return "the token has expired"
            if not self.still_valid(principal):
                return "the credential was revoked or its companies changed"
            if self._changed is None:
                self._changed = asyncio.Event()
            changed = self._changed
            wait = None if principal.expires_at is None else principal.expires_at - time.time()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(None if wait is None else max(0.0, wait) + 0.01):
                    await changed.wait()

    async def authenticate(self, authorization: str | None) -> Principal:
        token = bearer_token(authorization)
        if token.count(".") == 2:
            if self.jwt is None:
                raise AuthenticationError("JSON Web Tokens are not accepted here")
            return await self._jwt(token, self.jwt)
        return self._api_key(token)

    def _api_key(self, token: str) -> Principal:
        digest = hashlib.sha256(token.encode()).hexdigest()
        # Every configured digest is compared in constant time, whichever matches.
        match = None
        for known, key in self._by_digest.items():
            if hmac.compare_digest(known, digest):
                match = key
        if match is None:
            raise AuthenticationError("invalid API key")
        return Principal(
            subject=match.name, kind="api-key", companies=match.companies, credential=match.sha256
        )

    async def _jwt(self, token: str, config: JwtConfig) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthenticationError("malformed token") from None
        algorithm = header.get("alg")
        if algorithm not in config.algorithms:
            raise AuthenticationError(f"tokens signed with {algorithm!r} are not accepted")
        key: Any
        if algorithm == "HS256":
            key = config.secret
        elif config.jwks is not None:
            key = (await config.jwks.key(header.get("kid"))).key
        else:
            key = None
        if key is None:
            raise AuthenticationError(f"tokens signed with {algorithm!r} are not accepted")
        required = ["exp", "sub"]
        if config.issuer is not None:
            required.append("iss")
        if config.audience is not None:
            required.append("aud")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=config.issuer,
                audience=config.audience,
                leeway=config.leeway_seconds,
                options={"require": required, "verify_aud": config.audience is not None},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("the token has expired") from None
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"invalid token: {type(exc).__name__}") from None
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject:
            raise AuthenticationError("invalid token: no subject")
        try:
            companies = _companies(claims.get(config.companies_claim), "token")
        except ValueError:
            raise AuthenticationError(
                f'invalid token: the {config.companies_claim} claim must list company ids or be "*"'
            ) from None
        expires = claims.get("exp")
        issuer = claims.get("iss")
        return Principal(
            subject=subject,
            kind="jwt",
            companies=companies,
            issuer=issuer if isinstance(issuer, str) else "",
            # The token's life as HTTP counts it (with the clock-skew leeway), so a WebSocket
            # opened with it ends exactly when the token stops opening requests.
            expires_at=(
                float(expires) + config.leeway_seconds if isinstance(expires, int | float) else None
            ),
        )


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError("missing bearer token")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def connection_authorization(payload: Mapping[str, Any]) -> str | None:
    """The credentials of a WebSocket `connection_init` payload, as an Authorization value."""
    for name in ("Authorization", "authorization"):
        value = payload.get(name)
        if isinstance(value, str):
            return value
    token = payload.get("token")
    return f"Bearer {token}" if isinstance(token, str) else None
