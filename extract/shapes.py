"""Token shapes of model names: a known base name plus version, size and variant parts (`LLaMA-7B`,
`Qwen2.5-72B-Instruct`, `Pythia 410M`, `ViT-B/16`), and how such a name is canonicalised."""

from __future__ import annotations

import re

_SIZE = r"\d+(?:\.\d+)?[BMKT](?!\w|\.\w)"
_MOE_SIZE = r"\d+x\d+(?:\.\d+)?[BM](?!\w|\.\w)"
_VERSION = r"[vV]?\d+(?:\.\d+)*(?-i:[a-z])?(?!\w|\.\w)"
# A version after a space ("Qwen 2.5", "Grok 3."), unless the number counts something ("BERT 3 times") or
# starts a range ("layers 3 and 4").
_SPACED_VERSION = (
    r"\d(?:\.\d)?(?![\w%]|\.\w)(?!\s*(?:times|x\b|layers|%|percent|points|(?:and|or|to)\s+\d)|-\d)"
)
_VARIANT = (
    r"(?:base|large|small|tiny|mini|nano|medium|xl|xxl|xxxl|huge|giant|turbo|instruct|chat|it|hf|pro|max|plus"
    r"|ultra|flash|lite|coder|math|vision|sft|preview|distill|uncased|cased|ti|s|b|l|h|g"
    r"|reasoning|thinking)"
    r"(?:/\d+)?(?!\w|\.\w)"
)
_PART = rf"(?:{_MOE_SIZE}|{_SIZE}|{_VERSION}|{_VARIANT})"
# Separated parts: "-7B", "_v2", " 410M" (a space only before a size), "/V2" (a second version).
_SEPARATED_PART = (
    rf"(?:[-_]{_PART}|\s{_SIZE}|\s(?-i:Pro|Ultra|Flash|Turbo|Instruct|Chat|Mini|Nano|mini|nano|Sonnet|Opus|Haiku)(?![\w-])|/{_VERSION}"
    rf"|\s{_SPACED_VERSION}|\s(?-i:v)\d+(?:\.\d+)*(?!\w|\.\w))"
)

# Applied right after a known base name; may be empty.
TAIL = re.compile(rf"(?i:{_SEPARATED_PART})*")
# What may follow a base name glued to it, as in `LLaMA2/3` or `Qwen2.5-7B`.
GLUED_TAIL = re.compile(rf"(?i:(?:{_MOE_SIZE}|{_SIZE}|{_VERSION})(?:{_SEPARATED_PART})*)")
# Inside one hyphenated word, a known name may also take capitalised parts: `ResNet50-IBN`, `Conformer-CTC`.
CHUNK_TAIL = re.compile(rf"(?:(?i:{_SEPARATED_PART})|[-_][A-Z0-9][A-Za-z0-9.]*)*")
GLUED_CHUNK_TAIL = re.compile(
    rf"(?i:(?:{_MOE_SIZE}|{_SIZE}|{_VERSION}))(?:(?i:{_SEPARATED_PART})|[-_][A-Z0-9][A-Za-z0-9.]*)*"
)
SIZE = re.compile(rf"(?i:{_MOE_SIZE}|{_SIZE})")

# Word-like chunks that may hold a glued or hyphenated model name: letters first, then word characters,
# hyphens, slashes, dots and plus signs inside (never a trailing dot).
CHUNK = re.compile(r"(?<![\w@/.\-])[A-Za-z](?:[\w+]|[.\-/](?=\w))*")
_SPLIT_POINT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?=[-_/])")
# An unknown name followed by a size: `Foo-13B`, `Bar7B`.
UNKNOWN_SIZED = re.compile(
    r"(?P<name>[A-Z][A-Za-z]*(?:[-.][A-Za-z0-9]+)*?)[-_]?(?P<size>\d+(?:\.\d+)?[BM])(?P<rest>(?:[-_][A-Za-z0-9.]+)*)"
)

_PART_SPLIT = re.compile(r"([-_\s/])")


def split_points(chunk: str) -> list[int]:
    """Where a chunk may divide into a base name and its tail, rightmost first."""
    points = {m.start() for m in _SPLIT_POINT.finditer(chunk) if m.start() > 0}
    return sorted(points, reverse=True)


def size_of(tail: str) -> str | None:
    sizes = SIZE.findall(tail)
    return sizes[-1].upper() if sizes else None


def _normalise_part(part: str) -> str:
    if SIZE.fullmatch(part):
        return part.upper()
    if len(part) <= 2 or "/" in part:
        return part.upper()
    return part.lower()


def canonical_with_tail(base_canonical: str, tail: str) -> str:
    """`LLaMA` + ` 7b` -> `LLaMA-7B`; the same name however its tail is spelled."""
    if not tail:
        return base_canonical
    name = base_canonical.replace(" ", "-")
    pieces = _PART_SPLIT.split(tail)
    separator = "-"
    for piece in pieces:
        if not piece:
            continue
        if piece in "-_ \t\n/":
            separator = "/" if piece == "/" else "-"
            continue
        name += separator + _normalise_part(piece)
        separator = "-"
    return name
