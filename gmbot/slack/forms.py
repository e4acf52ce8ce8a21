"""Forms on Slack: a modal opened with `views.open` (input blocks), whose `view_submission` is
answered with `response_action: errors` (a message under each wrong field) or closes it.
Limits from Slack's Block Kit reference (title, submit and close 24 characters; at most 100
blocks; input label 2000, placeholder 150, plain_text_input max_length 3000;
callback_id 255, private_metadata 3000)."""

from __future__ import annotations

TITLE_MAX = 24
SUBMIT_MAX = 24
BLOCKS_MAX = 100
LABEL_MAX = 2000
PLACEHOLDER_MAX = 150
VALUE_MAX = 3000
CALLBACK_ID_MAX = 255
METADATA_MAX = 3000
