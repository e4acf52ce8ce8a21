"""Conditional reads: an `ETag` on a reply, and 304 for an `If-None-Match` that names it.

The tag is a digest of the reply's JSON, so it changes exactly when the reply would: a
result, a rollover, a renamed clan. The reply is still computed (the tag is derived from
it); what a 304 saves is sending and rendering it again.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from gmbot.server.types import Reply, RequestContext


def etag(body: Any) -> str:
    data = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return '"' + hashlib.sha256(data.encode()).hexdigest()[:32] + '"'


def matches(if_none_match: str, tag: str) -> bool:
    """RFC 9110's weak comparison against a list of tags (or `*`)."""
    wanted = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in wanted or tag in wanted


def reply(ctx: RequestContext, body: Any) -> Reply:
    """200 with the body and its ETag, or 304 (no body) when the caller holds that ETag."""
    tag = etag(body)
    held = ctx.headers.get("if-none-match")
    if held and matches(held, tag):
        return Reply(304, None, {"ETag": tag})
    return Reply(200, body, {"ETag": tag})
