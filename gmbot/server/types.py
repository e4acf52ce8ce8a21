"""Types shared by the generated server and the hand-written `backend_impl/`.

`backend_impl` functions receive a `RequestContext`, raise `Problem` for any
error the caller should see, and return a pydantic model (sent with the
operation's first 2xx status) or a `Reply` to choose status and headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ApiClient:
    """Who an API key was issued to."""

    client: str  # the `client` header value the key is valid for, e.g. "DISCORD-BFF"
    platform: str  # namespace for server and user ids, e.g. "discord"


@dataclass(frozen=True)
class RequestContext:
    client: str
    platform: str
    request_id: str
    idempotency_key: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None  # a pydantic model, a JSON-able value, or None for no body
    headers: Mapping[str, str] = field(default_factory=dict)


class Problem(Exception):
    """An RFC 7807 problem: raised by business logic, answered as problem+json."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        type: str = "about:blank",
        **extra: Any,
    ) -> None:
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.extra = extra

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail is not None:
            body["detail"] = self.detail
        body.update(self.extra)
        return body
