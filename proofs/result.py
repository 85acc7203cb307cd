"""One proof's outcome, printed as one line (plus its counterexample, if any)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """What a proof did: its name, its bound, how much it explored, and whether it held."""

    name: str
    bound: str
    states: int
    seconds: float
    ok: bool
    detail: str = ""

    def line(self) -> str:
        verdict = "PASS" if self.ok else "FAIL"
        return (
            f"{verdict}  {self.name:<34} bound: {self.bound:<58} states: {self.states:>8}  "
            f"time: {self.seconds:7.2f}s"
        )

    def render(self) -> str:
        if self.ok:
            return self.line() + (f"\n      {self.detail}" if self.detail else "")
        return self.line() + "\n      " + self.detail.replace("\n", "\n      ")
