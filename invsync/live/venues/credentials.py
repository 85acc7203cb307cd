"""API credentials that never show themselves: no field reaches a repr, str or log line."""

from __future__ import annotations

import attrs


@attrs.frozen(slots=True, repr=False)
class Credentials:
    """An API key, its secret and (OKX) passphrase; ``repr`` names none of them."""

    api_key: str
    api_secret: str
    passphrase: str | None = None

    def __repr__(self) -> str:
        return "Credentials(<redacted>)"

    def __str__(self) -> str:
        return "Credentials(<redacted>)"
