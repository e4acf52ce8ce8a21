"""Every use of Connexion beyond its documented API, in one place (connexion==3.3.0 is
pinned in pyproject.toml).

Each function says what it relies on; tests/service/test_library_internals.py pins that
behaviour, so an upgrade that changes it fails there, by name, rather than as a server that
is slower (the fast paths silently skipped) or refuses every key.

validation.py also subclasses Connexion's validators and overrides their `_parse` /
`_validate` hooks; that test pins those hooks too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import connexion
from connexion.decorators.parameter import _get_query_arguments
from connexion.security import ApiKeySecurityHandler


def use_api_class(app: connexion.AsyncApp, api_cls: type[Any]) -> None:
    """Make `app` build its APIs (and so their operations) with `api_cls`, a subclass of
    `connexion.apps.asynchronous.AsyncApi`. `AsyncApp` takes no argument for it: the class
    is the `api_cls` attribute of its private `_middleware_app`, read by `add_api`, so this
    must run before `add_api`."""
    app._middleware_app.api_cls = api_cls


def operation_function(operation: Any) -> Any:
    """The handler an `AsyncOperation` calls (its private `_fn`, the resolved function)."""
    return operation._fn


def api_key_handler(check: Callable[..., Any]) -> type[ApiKeySecurityHandler]:
    """An API-key security handler (for `security_map`) that verifies keys with `check`, a
    function of this process, instead of one named by import path in the spec
    (`x-apikeyInfoFunc`). Connexion finds the function with the private `_resolve_func`
    and inspects its signature on every call with `_accepts_kwarg`; `check` takes
    `required_scopes` and `request`, so that inspection is skipped."""

    class ApiKeyHandler(ApiKeySecurityHandler):
        def _resolve_func(self, security_scheme: Any) -> Any:
            return check

        @staticmethod
        def _accepts_kwarg(func: Any, keyword: str) -> bool:
            return True

    return ApiKeyHandler


def empty_query_arguments(operation: Any, sanitize: Callable[[str], str]) -> dict[str, Any]:
    """The keyword arguments Connexion passes an operation for an empty query string: each
    query parameter's default, converted by its schema (the private
    `connexion.decorators.parameter._get_query_arguments`)."""
    defaults: dict[str, Any] = _get_query_arguments({}, operation=operation, arguments=[], has_kwargs=True,
                                                    sanitize=sanitize)
    return defaults
