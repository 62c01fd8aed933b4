"""Content negotiation: the offered media types a request's Accept header admits, best first."""

from __future__ import annotations

import math


def _parse(accept: str) -> list[tuple[str, float, int]]:
    ranges = []
    for index, part in enumerate(accept.split(",")):
        fields = [field.strip() for field in part.split(";")]
        if not fields[0]:
            continue
        quality = 1.0
        for field in fields[1:]:
            name, _, value = field.partition("=")
            if name.strip().lower() == "q":
                try:
                    number = float(value)
                except ValueError:
                    number = 0.0
                # not a number (also "nan", "inf", which float() reads) admits nothing; others are clamped
                quality = max(0.0, min(1.0, number)) if math.isfinite(number) else 0.0
        ranges.append((fields[0].lower(), quality, index))
    return ranges


def _matches(media_range: str, media: str) -> bool:
    if media_range in ("*/*", media):
        return True
    kind, _, sub = media_range.partition("/")
    return sub == "*" and media.startswith(kind + "/")


def _specificity(media_range: str) -> int:
    return 0 if media_range == "*/*" else 1 if media_range.endswith("/*") else 2


def acceptable(accept: str | None, offered: list[str]) -> list[str]:
    """The offered types the Accept header admits (q > 0), by q, then by the order offered.

    A type's quality comes from the most specific range that matches it; no header means all.
    """
    if not accept:
        return list(offered)
    ranges = _parse(accept)
    scored = []
    for order, media in enumerate(offered):
        matching = [r for r in ranges if _matches(r[0], media)]
        if not matching:
            continue
        best = max(matching, key=lambda r: (_specificity(r[0]), r[1]))
        if best[1] > 0:
            scored.append((-best[1], order, media))
    return [media for _, _, media in sorted(scored)]
