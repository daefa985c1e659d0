"""Webcasts: a stream from a known provider is embedded in the meeting page; any other is a plain link.

Only these players may be framed (the Content-Security-Policy's frame-src lists exactly their origins, in
the meetings block of copro/settings.py): YouTube through its privacy-enhanced youtube-nocookie.com domain
(no cookies until the viewer presses play) and Vimeo's player.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

YOUTUBE_EMBED = "https://www.youtube-nocookie.com/embed/"
VIMEO_EMBED = "https://player.vimeo.com/video/"
FRAME_ORIGINS = ["https://www.youtube-nocookie.com", "https://player.vimeo.com"]

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^[0-9]{1,12}$")
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com"}
_NOCOOKIE_HOSTS = {"youtube-nocookie.com", "www.youtube-nocookie.com"}


def webcast_embed_url(url: str) -> str | None:
    """The address of the player to embed for a webcast link, or None when it is not from a known provider
    (then the page shows a plain link)."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    video = None
    if host in _YOUTUBE_HOSTS:
        if segments[:1] == ["watch"]:
            video = (parse_qs(parts.query).get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in ("live", "embed", "shorts"):
            video = segments[1]
    elif host == "youtu.be" and segments:
        video = segments[0]
    elif host in _NOCOOKIE_HOSTS and len(segments) >= 2 and segments[0] == "embed":
        video = segments[1]
    if video is not None:
        return YOUTUBE_EMBED + video if _YOUTUBE_ID.match(video) else None
    if host in ("vimeo.com", "www.vimeo.com") and segments and _VIMEO_ID.match(segments[-1]):
        if segments[0] in ("event",):
            return None  # a Vimeo event page has its own player address: link to it
        return VIMEO_EMBED + segments[-1]
    if host == "player.vimeo.com" and len(segments) >= 2 and segments[0] == "video" and _VIMEO_ID.match(segments[1]):
        return VIMEO_EMBED + segments[1]
    return None
