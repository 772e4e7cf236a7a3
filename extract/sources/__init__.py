"""Sources: each a module with `fetch` (an interval in, raw payloads out, landed unchanged)
and `parse` (a landed payload in, normalised paper records or rejections out)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Payload:
    """What a source returned for one request, byte-exact, and the file name it lands under."""

    name: str
    body: bytes


@dataclass(frozen=True)
class Rejected:
    """A part of a payload that is not a usable paper record; it goes to raw.quarantine."""

    reason: str
    payload: str


def get(name: str) -> ModuleType:
    from extract.sources import trending_page

    sources = {trending_page.NAME: trending_page}
    try:
        return sources[name]
    except KeyError:
        raise ValueError(f"unknown source {name!r}; choose one of: {', '.join(sorted(sources))}") from None
