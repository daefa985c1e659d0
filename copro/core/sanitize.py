"""User-written rich text is cleaned with nh3 (the Ammonia sanitiser) before it is shown."""

from __future__ import annotations

import nh3
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "h2", "h3", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}


def clean_html(value: str) -> str:
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def rich_text(value: str) -> SafeString:
    """Text that may hold a little HTML: plain paragraphs become <p>, everything else is sanitised."""
    if "<" not in value:
        return mark_safe(linebreaks(escape(value)))  # noqa: S308 - escaped just before
    return mark_safe(clean_html(value))  # noqa: S308 - sanitised by nh3


def plain_text(value: str) -> str:
    """All tags stripped: for email bodies and CSV exports."""
    return nh3.clean(value, tags=set())
