"""The API-key check: `backend_impl.app_hooks.verify_api_key`, then the `client` header."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from connexion.exceptions import OAuthProblem

from gmbot.server.types import ApiClient

VerifyApiKey = Callable[[str], Awaitable[ApiClient | None]]

# the `client` header's schema in the API; a value outside it is never echoed or logged
CLIENT_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def describe_client_header(sent: str | None) -> str:
    """The `client` header for a message: quoted when well-formed, else only its length."""
    if sent is None:
        return "missing"
    if CLIENT_NAME.fullmatch(sent):
        return repr(sent)
    return f"malformed ({len(sent)} characters; expected 1-64 of A-Z a-z 0-9 _ . -)"


def make_api_key_check(
    verify: VerifyApiKey | None, missing_hook: str
) -> Callable[..., Awaitable[dict[str, Any] | None]]:
    """The `x-apikeyInfoFunc` Connexion calls with the key; None (or raising) means 401."""

    async def check(apikey: str, required_scopes: Any = None, request: Any = None) -> dict[str, Any] | None:
        if verify is None:
            raise OAuthProblem(detail=f"API keys cannot be checked: {missing_hook}")
        api_client = await verify(apikey)
        if api_client is None:
            raise OAuthProblem(detail="Unknown or revoked API key.")
        sent = request.headers.get("client") if request is not None else None
        if sent != api_client.client:
            raise OAuthProblem(
                detail=f"This API key is issued to client '{api_client.client}', "
                f"but the 'client' header is {describe_client_header(sent)}."
            )
        return {"sub": api_client.client, "client": api_client.client, "platform": api_client.platform}

    return check
