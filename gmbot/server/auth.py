"""The API-key check: `backend_impl.app_hooks.verify_api_key`, then the `client` header."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from connexion.exceptions import OAuthProblem

from gmbot.server.types import ApiClient

VerifyApiKey = Callable[[str], Awaitable[ApiClient | None]]


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
                f"but the 'client' header is {sent!r}."
            )
        return {"sub": api_client.client, "client": api_client.client, "platform": api_client.platform}

    return check
