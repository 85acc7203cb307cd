"""OKX v5 request and WebSocket-login signing (spec/venues/okx.md, "Live edge").

REST: ``OK-ACCESS-SIGN`` = base64(HMAC-SHA256(secret, timestamp + METHOD + requestPath +
body)) with an ISO 8601 millisecond UTC timestamp; GET parameters are part of
requestPath. WebSocket login signs ``timestamp + "GET" + "/users/self/verify"`` with the
timestamp in Unix seconds. Pure functions.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any, Final

KEY_HEADER: Final = "OK-ACCESS-KEY"
SIGN_HEADER: Final = "OK-ACCESS-SIGN"
TIMESTAMP_HEADER: Final = "OK-ACCESS-TIMESTAMP"
PASSPHRASE_HEADER: Final = "OK-ACCESS-PASSPHRASE"
LOGIN_PATH: Final = "/users/self/verify"


def iso_timestamp(ms: int) -> str:
    """``2020-12-08T09:08:57.715Z``: the REST timestamp format, from Unix milliseconds."""
    seconds, millis = divmod(ms, 1000)
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


def prehash(timestamp: str, method: str, request_path: str, body: str = "") -> str:
    """The string OKX signs; ``request_path`` includes the GET query (``?ccy=BTC``)."""
    return f"{timestamp}{method.upper()}{request_path}{body}"


def b64_hmac(secret: str, message: str) -> str:
    """Base64 of the HMAC-SHA256 digest of ``message`` keyed by ``secret``."""
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def rest_headers(
    api_key: str,
    secret: str,
    passphrase: str,
    timestamp_ms: int,
    method: str,
    request_path: str,
    body: str = "",
) -> dict[str, str]:
    """The authentication headers of one REST request (``body`` exactly as sent)."""
    ts = iso_timestamp(timestamp_ms)
    return {
        KEY_HEADER: api_key,
        SIGN_HEADER: b64_hmac(secret, prehash(ts, method, request_path, body)),
        TIMESTAMP_HEADER: ts,
        PASSPHRASE_HEADER: passphrase,
    }


def ws_login(api_key: str, secret: str, passphrase: str, timestamp_s: int) -> dict[str, Any]:
    """The private WebSocket's ``login`` request (expires 30 s after ``timestamp_s``)."""
    ts = str(timestamp_s)
    return {
        "op": "login",
        "args": [
            {
                "apiKey": api_key,
                "passphrase": passphrase,
                "timestamp": ts,
                "sign": b64_hmac(secret, prehash(ts, "GET", LOGIN_PATH)),
            }
        ],
    }
