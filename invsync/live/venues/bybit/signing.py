"""Bybit v5 request and WebSocket-auth signing (spec/venues/bybit.md, "Live edge").

REST: ``X-BAPI-SIGN`` = hex HMAC-SHA256(secret, timestamp + apiKey + recvWindow + payload),
where the payload is the query string (GET) or the JSON body exactly as sent (POST).
Private WebSocket: ``{"op": "auth", "args": [apiKey, expires, hex HMAC(secret,
"GET/realtime" + expires)]}``. Pure functions.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

DEFAULT_RECV_WINDOW: Final = 5000
KEY_HEADER: Final = "X-BAPI-API-KEY"
TIMESTAMP_HEADER: Final = "X-BAPI-TIMESTAMP"
SIGN_HEADER: Final = "X-BAPI-SIGN"
RECV_WINDOW_HEADER: Final = "X-BAPI-RECV-WINDOW"


def rest_prehash(timestamp_ms: int, api_key: str, recv_window_ms: int, payload: str) -> str:
    """The string Bybit signs: timestamp + apiKey + recvWindow + query string or JSON body."""
    return f"{timestamp_ms}{api_key}{recv_window_ms}{payload}"


def hex_hmac(secret: str, message: str) -> str:
    """Lowercase hex HMAC-SHA256 of ``message`` keyed by ``secret``."""
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def rest_headers(
    api_key: str,
    secret: str,
    timestamp_ms: int,
    payload: str,
    recv_window_ms: int = DEFAULT_RECV_WINDOW,
) -> dict[str, str]:
    """The authentication headers of one REST request (``payload`` as it will be sent)."""
    sign = hex_hmac(secret, rest_prehash(timestamp_ms, api_key, recv_window_ms, payload))
    return {
        KEY_HEADER: api_key,
        TIMESTAMP_HEADER: str(timestamp_ms),
        SIGN_HEADER: sign,
        RECV_WINDOW_HEADER: str(recv_window_ms),
    }


def ws_auth_prehash(expires_ms: int) -> str:
    """What the private WebSocket's auth signs: ``"GET/realtime" + expires``."""
    return f"GET/realtime{expires_ms}"


def ws_auth(api_key: str, secret: str, expires_ms: int) -> dict[str, Any]:
    """The ``auth`` request; ``expires_ms`` must be later than the server's clock."""
    return {
        "op": "auth",
        "args": [api_key, expires_ms, hex_hmac(secret, ws_auth_prehash(expires_ms))],
    }
