"""Binance USD-M request signing (spec/venues/binance_usdm.md, "Live edge", "Signing").

``TRADE`` and ``USER_DATA`` requests carry ``timestamp`` (and ``recvWindow``) and end with
``signature``: the lowercase hex HMAC-SHA256 of the query string concatenated with the
body, keyed by the secret. The API key travels in ``X-MBX-APIKEY``. Pure functions.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Final
from urllib.parse import quote

API_KEY_HEADER: Final = "X-MBX-APIKEY"
#: The venue's default ``recvWindow`` (ms); the docs recommend 5000 or less.
DEFAULT_RECV_WINDOW: Final = 5000


def encode_params(params: Sequence[tuple[str, str]]) -> str:
    """``k=v&k=v`` in the given order, values percent-encoded as a URL query needs."""
    return "&".join(f"{k}={quote(v, safe='-_.~')}" for k, v in params)


def signature(secret: str, total_params: str) -> str:
    """Hex HMAC-SHA256 of ``total_params`` (query string + body, exactly as sent)."""
    return hmac.new(secret.encode(), total_params.encode(), hashlib.sha256).hexdigest()


def signed_query(
    secret: str,
    params: Sequence[tuple[str, str]],
    timestamp_ms: int,
    recv_window_ms: int = DEFAULT_RECV_WINDOW,
) -> str:
    """The query string of a signed request: ``params``, ``recvWindow``, ``timestamp``, then
    ``signature`` last (the venue requires it at the end)."""
    body = encode_params(
        [*params, ("recvWindow", str(recv_window_ms)), ("timestamp", str(timestamp_ms))]
    )
    return f"{body}&signature={signature(secret, body)}"
