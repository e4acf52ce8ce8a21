"""Forms on Discord: a modal (interaction callback 9) of text inputs, submitted as a
MODAL_SUBMIT interaction (type 5). Limits from Discord's documentation (modal title 45,
custom_id 100, at most 5 text inputs; label 45, placeholder 100, value 4000)."""

from __future__ import annotations

TITLE_MAX = 45
CUSTOM_ID_MAX = 100
INPUTS_MAX = 5
LABEL_MAX = 45
PLACEHOLDER_MAX = 100
VALUE_MAX = 4000
