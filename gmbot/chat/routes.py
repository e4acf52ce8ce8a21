"""Where each backend operation lives: the table `gmbot generate` writes for the bot.

`generated/chat/routes.py` maps every operationId the bot calls (its commands,
its buttons and, when the spec has events, the event feed) to a `BackendRoute`, so a
deployed bot needs no copy of openapi.yaml: the generator reads the contract
once, the runtime only reads this table.
"""

from __future__ import annotations

from dataclasses import dataclass

# The operation the events consumer (and the playground) polls. The generator adds its
# route whenever the spec declares events, since no command or button names it.
EVENTS_OPERATION = "listEvents"
# The delivery lease and cursor of a partition of the feed (gmbot/chat/events.py), added beside
# the feed when the contract has them; without them the consumer keeps its cursor in a file.
LEASE_OPERATION = "takeDeliveryLease"
CURSOR_OPERATION = "advanceDeliveryCursor"
# Every partition's cursor and holder: a front end that splits its feed anew (re-sharding) reads them.
DELIVERIES_OPERATION = "listDeliveries"
FEED_OPERATIONS = (EVENTS_OPERATION, LEASE_OPERATION, CURSOR_OPERATION, DELIVERIES_OPERATION)


@dataclass(frozen=True)
class BackendRoute:
    method: str  # upper case, e.g. "POST"
    path: str  # with the API's base path and `{name}` placeholders, e.g. "/api/wars/{warId}"
    path_params: tuple[str, ...] = ()  # the placeholders of `path`, in order
    query_params: tuple[str, ...] = ()  # every query parameter the operation accepts
