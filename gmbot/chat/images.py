"""Pictures from the backend: a card's `image: {operation, request}` (docs/spec.md, Images).

When the core renders a card it builds each such picture's request from what the card has
(`Pictures.want`: the reply, or the event, and who asked where); then it fetches the bytes
(`Pictures.fetch`) through the backend client, so with the bot's `client` and `x-api-key`
headers and the reader named in the request, as every call. The front end uploads them with
the card (`RenderedCard.pictures`). A picture that cannot be had (the backend refuses or is
slow, answers something else than an image, or more bytes than the platform takes with a
message) leaves the card without it, and the log says why: the reader never sees an error.

The pictures lately fetched are kept with their ETag (Gmbot's chart changes only with a
war): asked again with `If-None-Match`, the backend answers 304 and the bytes are reused.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import httpx

from gmbot.chat.backend import BackendClient
from gmbot.chat.request import HttpRequest, MisconfiguredSpec, build_request
from gmbot.chat.vocabulary import Picture, RenderedCard
from gmbot.platforms import UPLOAD_MAX, PlatformError
from gmbot.platforms import platform as registered
from gmbot.spec.model import Card, CardImage

log = logging.getLogger("gmbot.chat.images")

PARTS = ("image", "thumbnail")
PATIENCE = 5.0  # seconds a picture may take: the card waits for it
KEPT = 32  # pictures kept with their ETag
KEPT_BYTES = 32 * 1024 * 1024
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


class Pictures:
    def __init__(self, backend: BackendClient, most: int, patience: float = PATIENCE) -> None:
        self.backend = backend
        self.most = most  # bytes: the platform's upload limit
        self.patience = patience
        self._kept: OrderedDict[str, tuple[str, Picture]] = OrderedDict()  # request -> (ETag, picture)
        self.fetched = 0  # pictures drawn by the backend (200), and reused after a 304: for tests, logs
        self.reused = 0

    @classmethod
    def for_platform(cls, backend: BackendClient, platform: str) -> Pictures:
        """Within what `platform` uploads with a message (its `upload_max`)."""
        try:
            most = registered(platform).upload_max
        except PlatformError:
            most = UPLOAD_MAX
        return cls(backend, most)

    async def attach(self, rendered: RenderedCard, card: Card, scope: Mapping[str, Any], platform: str | None) -> None:
        """`want` and `fetch` at once: a reply's card, shown as soon as its pictures are there."""
        self.want(rendered, card, scope, platform)
        await self.fetch(rendered)

    def want(self, rendered: RenderedCard, card: Card, scope: Mapping[str, Any], platform: str | None) -> None:
        """The requests of `card`'s pictures on `platform`, from `scope` (what the card renders with)."""
        shown = card.on(platform)
        for part in PARTS:
            picture = getattr(shown, part)
            if not isinstance(picture, CardImage):
                continue
            try:
                rendered.wanted[part] = build_request(picture.operation, self.backend.route(picture.operation),
                                                      picture.request, scope)
            except MisconfiguredSpec as error:
                log.error("the %s of a card cannot be asked for: %s", part, error)

    async def fetch(self, rendered: RenderedCard) -> None:
        """The bytes of the card's wanted pictures (at once); a failure leaves that one out."""
        wanted, rendered.wanted = rendered.wanted, {}
        if not wanted:
            return
        found = await asyncio.gather(*(self.one(request) for request in wanted.values()))
        rendered.pictures.update({part: picture for part, picture in zip(wanted, found, strict=True) if picture})

    async def one(self, request: HttpRequest) -> Picture | None:
        key = _key(request)
        kept = self._kept.get(key)
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id, "accept": "image/*", **request.headers}
        if kept is not None:
            headers["If-None-Match"] = kept[0]
        started, status = time.perf_counter(), "unavailable"
        try:
            async with asyncio.timeout(self.patience):
                picture, status, tag = await self._get(request, headers, request_id)
        except (httpx.HTTPError, TimeoutError, ValueError) as error:  # ValueError: a garbled header
            log.warning("%s: no picture (%s) request_id=%s", request.operation_id,
                        "timeout" if isinstance(error, TimeoutError) else type(error).__name__, request_id)
            return None
        finally:
            for observe in self.backend.observers:
                observe(request.operation_id, status, time.perf_counter() - started)
        if status == "304" and kept is not None:
            log.info("%s %s -> 304: the %d bytes kept request_id=%s", request.method, request.path,
                     len(kept[1].data), request_id)
            self.reused += 1
            self._kept.move_to_end(key)
            return kept[1]
        if picture is not None:
            self.fetched += 1
            if tag:
                self._keep(key, tag, picture)
        return picture

    async def _get(self, request: HttpRequest, headers: dict[str, str],
                   request_id: str) -> tuple[Picture | None, str, str | None]:
        """(the picture or None, the status, its ETag)."""
        async with self.backend.http.stream(request.method, request.path, params=request.query or None,
                                            headers=headers, timeout=self.patience) as response:
            status = str(response.status_code)
            kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
            if response.status_code == 304:
                return None, status, None
            why = None
            if response.status_code != 200:
                why = f"HTTP {response.status_code}"
            elif not kind.startswith("image/"):
                why = f"a {kind or 'reply without a Content-Type'}, not an image"
            elif int(response.headers.get("content-length") or 0) > self.most:
                why = f"{response.headers['content-length']} bytes, more than the {self.most} the platform takes"
            if why is None:
                data = bytearray()
                async for chunk in response.aiter_bytes():
                    data += chunk
                    if len(data) > self.most:
                        why = f"more than the {self.most} bytes the platform takes"
                        break
            if why is not None:
                log.warning("%s: no picture (%s) request_id=%s", request.operation_id, why, request_id)
                return None, status, None
        name = f"{request.operation_id}.{EXTENSIONS.get(kind, kind.removeprefix('image/') or 'img')}"
        log.info("%s %s -> %s, %d bytes request_id=%s", request.method, request.path, status, len(data), request_id)
        return Picture(bytes(data), kind, name), status, response.headers.get("etag")

    def _keep(self, key: str, tag: str, picture: Picture) -> None:
        self._kept[key] = (tag, picture)
        self._kept.move_to_end(key)
        while len(self._kept) > KEPT or sum(len(p.data) for _, p in self._kept.values()) > KEPT_BYTES:
            self._kept.popitem(last=False)


def _key(request: HttpRequest) -> str:
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query.items()))
    headers = "&".join(f"{k}={v}" for k, v in sorted(request.headers.items()))
    return f"{request.method} {request.path}?{query}#{headers}"
