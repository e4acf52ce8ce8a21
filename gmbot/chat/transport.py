"""An httpx transport that sends through aiohttp's connection pool.

The bot keeps httpx's client API (and `httpx.MockTransport` / respx in tests)
but on the wire aiohttp (already installed: py-cord uses it) is about 0.7 ms
cheaper per call than httpcore on loopback (bench/bench_bff.py), which is most
of the BFF hop's budget. `GMBOT_HTTP_TRANSPORT=httpx` switches back to httpcore.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, *, max_connections: int = 100, keepalive_expiry: float = 4.0) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._max_connections = max_connections
        self._keepalive = keepalive_expiry

    def _get(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=self._keepalive)
            # httpx decodes bodies itself; aiohttp must not add or decode anything
            self._session = aiohttp.ClientSession(
                connector=connector, auto_decompress=False, skip_auto_headers=("User-Agent", "Accept-Encoding")
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        limits: dict[str, Any] = request.extensions.get("timeout") or {}
        total = max((v for v in limits.values() if isinstance(v, int | float)), default=None)
        try:
            async with self._get().request(
                request.method,
                str(request.url),
                headers=list(request.headers.multi_items()),
                data=await request.aread() or None,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=total),
            ) as response:
                content = await response.read()
                headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.raw_headers]
                return httpx.Response(response.status, headers=headers, content=content, request=request)
        except TimeoutError as error:
            raise httpx.TimeoutException(str(error) or "timed out", request=request) from error
        except aiohttp.ServerDisconnectedError as error:
            # what httpcore says too: the connection closed before an answer (maybe after the request)
            raise httpx.RemoteProtocolError(str(error), request=request) from error
        except aiohttp.ClientConnectorError as error:  # no connection at all
            raise httpx.ConnectError(str(error), request=request) from error
        except aiohttp.ClientOSError as error:  # reset on an open connection
            raise httpx.ReadError(str(error), request=request) from error
        except aiohttp.ClientConnectionError as error:
            raise httpx.ConnectError(str(error), request=request) from error
        except aiohttp.ClientError as error:
            raise httpx.TransportError(str(error)) from error

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
