"""Discord's context menus (gmbot/chat/menus.py): what a user or message command was clicked on,
as the parts a `menus:` entry hands to its command's options."""

from __future__ import annotations

from typing import Any

import discord


def parts(target: Any) -> dict[str, Any]:
    """A user command's member, or a message command's author, text and link. A member is
    passed as py-cord gives it (the runtime checks it as a slash command's user option); a
    message's author comes as a mention, since Discord resolves a message's author as a user
    without its membership: the runtime looks the member up in the server, as for a typed mention."""
    if isinstance(target, discord.Message):
        author = target.author
        return {"author": author if isinstance(author, discord.Member) else f"<@{author.id}>",
                "text": target.content or None, "link": target.jump_url}
    return {"member": target}
