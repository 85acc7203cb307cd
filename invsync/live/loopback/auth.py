"""Binance request signing as the server checks it (HMAC-SHA256 keys only).

REST: the payload is the query string followed, without separator, by the request body,
both as sent, with the ``signature`` parameter left out. WebSocket API: every parameter
but ``signature``, sorted by name, as ``name=value`` joined by ``&``. HMAC signatures are
compared without regard to case (the docs say they are not case-sensitive).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any


def _without_signature(raw: str) -> tuple[str, str | None]:
    kept: list[str] = []
    signature: str | None = None
    for part in raw.split("&") if raw else []:
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


def rest_payload(query: str, body: str) -> tuple[str, str | None]:
    """The signed payload of a REST request and the signature it carries (None: unsigned)."""
    q, sig_q = _without_signature(query)
    b, sig_b = _without_signature(body)
    return q + b, sig_q if sig_q is not None else sig_b


def _ws_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def ws_payload(params: Mapping[str, Any]) -> str:
    """The signed payload of a WebSocket API request."""
    return "&".join(f"{k}={_ws_value(params[k])}" for k in sorted(params) if k != "signature")


def sign(secret: str, payload: str) -> str:
    """HMAC-SHA256 of ``payload`` as lowercase hex (what a client sends)."""
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, payload: str, signature: str) -> bool:
    """Whether ``signature`` signs ``payload`` with ``secret`` (constant-time, case-blind)."""
    return hmac.compare_digest(sign(secret, payload), signature.lower())
