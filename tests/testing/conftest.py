"""The kit's tests run the kit's own profiles: no INVSYNC_KIT_* setting leaks in from outside."""

from __future__ import annotations

import pytest

_VARIABLES = (
    "INVSYNC_KIT_PROFILE",
    "INVSYNC_KIT_DB",
    "INVSYNC_KIT_MAX_EXAMPLES",
    "INVSYNC_KIT_STEPS",
)


@pytest.fixture(autouse=True)
def kit_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The kit's ci profile, as a user's CI gets it by default."""
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
