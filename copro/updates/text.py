"""An update's sanitised HTML body as plain text, for the text part of emails and for exports."""

from __future__ import annotations

import html
import re

from copro.core.sanitize import plain_text

# Paragraphs end in a blank line, line breaks and list items in a new line, and list items get a dash,
# so the text part of an email reads like the HTML part.
_BLOCK_ENDS = re.compile(r"</(?:p|h2|h3|blockquote|ul|ol)\s*>", re.IGNORECASE)
_LINE_ENDS = re.compile(r"<br\s*/?>|</li\s*>", re.IGNORECASE)
_LIST_ITEMS = re.compile(r"<li(?:\s[^>]*)?>", re.IGNORECASE)
_BLANK_LINES = re.compile(r"[ \t]*\n(?:[ \t]*\n)+[ \t]*")


def body_as_text(body: str) -> str:
    """Tags removed and entities decoded: "Tom &amp; Jerry" reads "Tom & Jerry", not "&amp;amp;".

    The result is text, not HTML: never mark it safe or put it in a page unescaped.
    """
    text = _LIST_ITEMS.sub("- ", _LINE_ENDS.sub("\n", _BLOCK_ENDS.sub("\n\n", body)))
    # nh3 with no tags allowed strips every tag (and the content of <script>/<style>) but returns
    # HTML-escaped text; unescape once to get what a person would read.
    text = html.unescape(plain_text(text))
    return _BLANK_LINES.sub("\n\n", text).strip()
