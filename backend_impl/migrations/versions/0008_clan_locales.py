"""A clan's language becomes a locale code (en, es, pt_BR); events carry the clan's language

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-12 09:00:00

Until now `clans.language` held whatever the Leader typed at setup ("English", "es",
"Español", "brazilian portuguese"...). Cards are now posted in the clan's language, so it
becomes the code of a locale: a code is kept (normalized: `pt-br` -> `pt_BR`), a language's
name in English or in itself ("Spanish", "Español", "Português") becomes its code, anything
else becomes `en` (the Leader can choose again with `gmbot update -language`). The
downgrade writes each code back as its English name.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op
from babel import Locale, UnknownLocaleError

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

DEFAULT = "en"
# languages spoken in one country above all: the bare language means that country's locale
_PREFERRED = {"pt": "pt_BR"}
_CODE = re.compile(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2}))?$")
_NAMES = {  # names people type that are not a locale's display name
    "brazilian": "pt_BR", "brazilian portuguese": "pt_BR", "portuguese (brazil)": "pt_BR",
    "português brasileiro": "pt_BR", "portugues": "pt_BR", "espanol": "es", "castellano": "es",
    "castilian": "es", "latam": "es", "english (us)": "en", "english (uk)": "en",
}
_SHIPPED_NAMES = ("en", "es", "pt_BR", "pt", "fr", "de", "it", "ru", "pl", "tr", "ja", "ko", "zh", "ar", "hi", "id", "nl")


def locale_code(text: str | None) -> str:
    """Free text typed at setup -> a locale code (see the module's docstring)."""
    value = (text or "").strip()
    if not value:
        return DEFAULT
    match = _CODE.match(value)
    if match:
        language, region = match.group(1).lower(), (match.group(2) or "").upper()
        code = f"{language}_{region}" if region else _PREFERRED.get(language, language)
        try:
            Locale.parse(code)
            return code
        except (ValueError, UnknownLocaleError):
            pass
    lowered = value.lower()
    if lowered in _NAMES:
        return _NAMES[lowered]
    for code in _SHIPPED_NAMES:
        locale = Locale.parse(code)
        names = {(locale.get_display_name("en") or "").lower(), (locale.get_display_name(code) or "").lower(),
                 (locale.get_language_name("en") or "").lower(), (locale.get_language_name(code) or "").lower()}
        if lowered in names:
            return _PREFERRED.get(code, code)
    return DEFAULT


def _rewrite(change: dict[str, str]) -> None:
    clans = sa.table("clans", sa.column("language", sa.String))
    for old, new in change.items():
        if old != new:
            op.execute(clans.update().where(clans.c.language == old).values(language=new))


def upgrade() -> None:
    values = [row[0] for row in op.get_bind().execute(sa.text("SELECT DISTINCT language FROM clans"))]
    _rewrite({value: locale_code(value) for value in values})
    op.add_column("events", sa.Column("language", sa.String(length=16), nullable=True))


def downgrade() -> None:
    op.drop_column("events", "language")
    values = [row[0] for row in op.get_bind().execute(sa.text("SELECT DISTINCT language FROM clans"))]
    names = {}
    for value in values:
        try:
            names[value] = Locale.parse(value).get_language_name("en") or value
        except (ValueError, UnknownLocaleError):
            names[value] = value
    _rewrite(names)
