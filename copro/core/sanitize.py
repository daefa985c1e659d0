"""User-written rich text is cleaned with nh3 (the Ammonia sanitiser) before it is shown."""

from __future__ import annotations

import html
import re

import nh3
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "h2", "h3", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}
# Control characters (NUL among them: PostgreSQL refuses it in text) that no text people type needs; tabs and
# line breaks are kept.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def without_control(text: str) -> str:
    """Text with control characters taken out (see CONTROL)."""
    return CONTROL.sub("", text)


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
        # Stored text has been through nh3, which writes "&" as "&amp;": decode once, then escape once.
        return mark_safe(linebreaks(escape(html.unescape(value))))  # noqa: S308 - escaped just before
    return mark_safe(clean_html(value))  # noqa: S308 - sanitised by nh3


# Paragraphs end in a blank line, line breaks and list items in a new line, and list items get a dash,
# so the text part of an email reads like the HTML part.
_BLOCK_ENDS = re.compile(r"</(?:p|h2|h3|blockquote|ul|ol)\s*>", re.IGNORECASE)
_LINE_ENDS = re.compile(r"<br\s*/?>|</li\s*>", re.IGNORECASE)
_LIST_ITEMS = re.compile(r"<li(?:\s[^>]*)?>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"[ \t]*\n(?:[ \t]*\n)+[ \t]*")


def plain_text(value: str) -> str:
    """Rich text as what a person reads: tags removed, entities decoded ("Tom &amp; Jerry" -> "Tom & Jerry").

    For the text part of emails and for exports. The result is text, not HTML: never mark it safe or
    put it in a page unescaped.
    """
    text = _LIST_ITEMS.sub("- ", _LINE_ENDS.sub("\n", _BLOCK_ENDS.sub("\n\n", value)))
    # nh3 with no tags allowed strips every tag (and the content of <script>/<style>) but returns
    # HTML-escaped text; unescape once.
    text = html.unescape(nh3.clean(text, tags=set()))
    return _BLANK_LINES.sub("\n\n", text).strip()
