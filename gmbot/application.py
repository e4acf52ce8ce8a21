"""What the `gmbot` commands need of an application, and how they find it.

The library never imports an application: `gmbot serve`, `run`, `keys`, `bot`,
`slack` and `chat` load one by its import path (`module:attribute`, as uvicorn
finds an ASGI app), from `--app`, else `$GMBOT_APP`, else `[tool.gmbot] app` in
./pyproject.toml. `gmbot generate` writes Gmbot's as `generated/application.py`.

An `Application` holds import paths, not objects, so that naming it costs
nothing: `gmbot keys` never imports py-cord, `gmbot bot` never imports the
database layer.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from gmbot.chat.i18n import Locales
    from gmbot.chat.routes import BackendRoute
    from gmbot.spec.model import BotSpec

ENV = "GMBOT_APP"


class ApplicationError(Exception):
    """The application cannot be found or is incomplete; `str()` says what to set."""


class KeyRecord(Protocol):
    """Who an API key was issued to."""

    client: str
    platform: str


class Admin(Protocol):
    """The operator's side of a backend: its database and its API keys.

    Implemented by the application (Gmbot's: `backend_impl/admin.py`); used by
    `gmbot serve`, `run`, `keys` and the in-process backend of `gmbot chat`.
    """

    def database_url(self, given: str | None = None) -> str: ...

    async def upgrade(self, database_url: str) -> None: ...

    async def create_key(
        self, database_url: str, client: str, platform: str | None = None, *, shared_platform: bool = False,
        second_platform: bool = False,
    ) -> tuple[Any, str]:
        """Raises ValueError (saying why) when refused: another client already holds
        keys for the platform and `shared_platform` is not set, or this client holds keys
        for another platform and `second_platform` is not set."""
        ...

    async def verify_key(self, database_url: str, key: str) -> KeyRecord | None: ...

    async def list_keys(self, database_url: str, client: str | None = None) -> list[Any]: ...

    async def revoke_key(self, database_url: str, key_id: str) -> bool: ...


def load_object(path: str) -> Any:
    """`package.module:attribute` (or `package.module`) -> the object."""
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ApplicationError(f"cannot import {module_name!r} ({error}); run `gmbot generate`?") from error
    if not attribute:
        return module
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise ApplicationError(f"{module_name!r} has no attribute {attribute!r}") from None


@dataclass(frozen=True)
class Application:
    """Where an application's parts live, as import paths and files."""

    name: str
    spec_json: Path  # the validated chat spec (gmbot/spec/model.py BotSpec as JSON)
    routes: str  # operationId -> gmbot.chat.routes.BackendRoute, for every operation the bots call
    server: str  # the ASGI app, for uvicorn (`module:attribute`; workers import it themselves)
    server_factory: str  # a function returning a new ASGI app
    admin: str  # a module or object implementing `Admin`
    # generated/, and its import name: each platform's generated files are in generated/<platform>/
    generated: Path
    package: str

    def spec(self) -> BotSpec:
        from gmbot.spec.load import load_spec_json

        return load_spec_json(self.spec_json)

    def locales(self) -> Locales:
        """The compiled catalogs `gmbot generate` wrote beside spec.json (`locales/<locale>.json`):
        the languages the bots speak besides English."""
        from gmbot.chat.i18n import Locales

        return Locales.load(self.spec_json.parent / "locales")

    def route_table(self) -> Mapping[str, BackendRoute]:
        table: Mapping[str, BackendRoute] = load_object(self.routes)
        return table

    def admin_hooks(self) -> Admin:
        hooks: Admin = load_object(self.admin)
        return hooks

    def create_server(self) -> Any:
        factory: Callable[[], Any] = load_object(self.server_factory)
        return factory()

    def serves(self, platform: str) -> bool:
        """Whether `gmbot generate` wrote a front end for `platform` (generated/<platform>/)."""
        return (self.generated / platform).is_dir()

    def platform_file(self, platform: str, name: str) -> Path:
        """A file the platform's generator target wrote (generated/<platform>/<name>)."""
        return self.generated / platform / name

    def platform_object(self, platform: str, path: str) -> Any:
        """An object of the platform's generated code: `module:attribute` under generated/<platform>/."""
        if not self.serves(platform):
            raise ApplicationError(f"{self.name} has no {platform} front end (run `gmbot generate`)")
        return load_object(f"{self.package}.{platform}.{path}")


def configured_path(root: Path | None = None) -> str | None:
    """The application's import path: $GMBOT_APP, else [tool.gmbot] app in pyproject.toml."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    pyproject = (root or Path.cwd()) / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    value = data.get("tool", {}).get("gmbot", {}).get("app")
    return str(value) if value else None


def load_application(path: str | None = None) -> Application:
    """The application at `path`, else the configured one (see the module's docstring)."""
    path = path or configured_path()
    if not path:
        raise ApplicationError(
            f"no application configured: pass --app module:attribute, set {ENV}, "
            "or add `[tool.gmbot] app = \"...\"` to pyproject.toml"
        )
    application = load_object(path)
    if not isinstance(application, Application):
        raise ApplicationError(f"{path} is a {type(application).__name__}, not a gmbot Application")
    return application
