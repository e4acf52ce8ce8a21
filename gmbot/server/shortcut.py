"""Calling an operation without parsing the request a second time.

For every request Connexion 3.3's operation decorator builds a `ConnexionRequest`, reads
and parses the JSON body again (the validation middleware parsed it already), resolves
the body schema and the parameter definitions again and converts every parameter by its
schema: about 0.1 ms of CPU per createWar (docs/benchmarks.md#backend). `Shortcut`
builds the same keyword arguments from what is already known, for the requests where
that takes no conversion at all:

- the body is the object the validation middleware parsed and checked
  (`validation.PARSED_BODY`; only for UTF-8 bodies, where the second parse gives the
  same object);
- path parameters whose schema is a plain, non-nullable string (Connexion passes the
  matched text unchanged);
- no query string: query parameters get their spec defaults, as Connexion gives them.

Anything else (a query string, an integer path parameter, a form body) goes through
Connexion's decorator as before. The reply is converted by Connexion's own function.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from copy import deepcopy
from typing import Any

from connexion import context as connexion_context
from connexion.decorators.parameter import pythonic, sanitized
from connexion.frameworks.starlette import Starlette as StarletteFramework
from connexion.lifecycle import ConnexionResponse
from starlette.types import Receive, Scope, Send

from gmbot.server.connexion_internals import empty_query_arguments
from gmbot.server.validation import PARSED_BODY


class Shortcut:
    def __init__(self, path: dict[str, str], query_defaults: dict[str, Any], body_name: str | None) -> None:
        self.path = path  # path parameter (as routed) -> keyword
        self.query_defaults = query_defaults  # keyword -> default, converted as Connexion does
        self.body_name = body_name  # the body's keyword, None when the operation takes no body
        # a handler may change what it is given: mutable defaults are copied per request
        self.copy_defaults = any(isinstance(v, dict | list) for v in query_defaults.values())

    @classmethod
    def of(cls, operation: Any, pythonic_params: bool) -> Shortcut | None:
        """The shortcut for an OpenAPI operation, or None when its parameters need converting."""
        sanitize = pythonic if pythonic_params else sanitized
        path: dict[str, str] = {}
        for parameter in operation.parameters:
            where, schema = parameter["in"], parameter.get("schema", {})
            if where == "path":
                if schema.get("type") != "string" or schema.get("nullable") or "-" in parameter["name"]:
                    return None
                path[parameter["name"]] = sanitize(parameter["name"])
            elif where not in ("query", "header"):  # cookies: left to Connexion
                return None
        # what Connexion passes for an empty query string (connexion==3.3.0 is pinned)
        defaults = empty_query_arguments(operation, sanitize)
        body_name = None
        if operation.is_request_body_defined:
            schema = operation.body_schema("application/json")
            if not schema or schema.get("nullable"):
                return None
            body_name = sanitize(operation.body_name("application/json"))
        return cls(path, defaults, body_name)

    async def __call__(
        self, function: Callable[..., Awaitable[Any]], scope: Scope, receive: Receive, send: Send
    ) -> bool:
        """Call `function` and send its reply; False (nothing done) when this request needs
        Connexion's own argument handling."""
        if scope.get("query_string"):
            return False
        kwargs = deepcopy(self.query_defaults) if self.copy_defaults else dict(self.query_defaults)
        if self.body_name is not None:
            body = scope.get(PARSED_BODY)
            if body is None:
                return False
            kwargs[self.body_name] = body
        path_params = scope.get("path_params") or {}
        if path_params.keys() != self.path.keys():
            return False
        for name, keyword in self.path.items():
            kwargs[keyword] = path_params[name]
        kwargs.update(connexion_context.context.items())  # token_info, user: as Connexion passes them
        reply = await function(**kwargs)
        if isinstance(reply, ConnexionResponse):
            response = StarletteFramework.connexion_to_framework_response(reply)
        elif StarletteFramework.is_framework_response(reply):
            response = reply
        else:
            raise TypeError(f"{function.__name__} returned {type(reply).__name__}, not a response")
        await response(scope, receive, send)
        return True
