"""CSV downloads: cells a spreadsheet cannot be tricked by, streamed row by row under WSGI and ASGI alike.

Every CSV export (a project's exports, consultation responses, open data) is written through here.

- `safe(value)`: text that a spreadsheet would run as a formula (=, +, -, @, a tab or a carriage return first)
  gets an apostrophe in front (OWASP's advice), and control characters no cell may hold are dropped.
- `Echo`: a file-like object whose `write` returns the line, so `csv.writer` can be used in a generator.
- `csv_response(request, lines, filename)`: a streaming download. Under WSGI (Gunicorn) Django sends a
  generator's lines as they come. Under ASGI (Daphne) Django would first read a plain generator whole into
  memory, so there the lines are pulled in batches by an async generator, each batch in the request's own
  thread (the database connection lives there), and memory stays bounded by a batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, StreamingHttpResponse

from copro.core.sanitize import without_control

# A cell starting with one of these is read as a formula by spreadsheets: CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BATCH = 500  # lines pulled per hop to the request's thread under ASGI
BOM = "\ufeff"  # a byte order mark: spreadsheet programs then read the file as UTF-8 (Welsh letters)


def safe(value: Any) -> Any:
    """Text made safe for a spreadsheet cell; anything else as it is."""
    if not isinstance(value, str):
        return value
    value = without_control(value)  # no spreadsheet cell may hold them (XLSX refuses the whole file)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


class Echo:
    """A file-like object whose write returns the line, for csv.writer inside a generator."""

    def write(self, value: str) -> str:
        return value


def _batch(lines: Iterator[str]) -> list[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= BATCH:
            break
    return batch


class _Pulled:
    """The lines as an async iterable, pulled in batches in the request's thread. Django calls close() (in
    that thread too) when the response is closed, after the last line or when the client goes away, so the
    lines' generator, and any database cursor it holds, is closed where it was opened."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)

    def __aiter__(self) -> AsyncIterator[str]:
        return self._batches()

    async def _batches(self) -> AsyncIterator[str]:
        pull = sync_to_async(_batch, thread_sensitive=True)
        while batch := await pull(self._lines):
            yield "".join(batch)

    def close(self) -> None:
        close = getattr(self._lines, "close", None)
        if close is not None:
            close()


def csv_response(request: HttpRequest, lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    """A CSV download of `lines` (each already written by csv.writer), streamed whichever way it is served."""
    content: Iterable[str] | _Pulled = _Pulled(lines) if isinstance(request, ASGIRequest) else lines
    response = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
