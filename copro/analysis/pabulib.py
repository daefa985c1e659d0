"""Read and write participatory budgeting elections in the Pabulib ``.pb`` format.

A ``.pb`` file has three sections, each a title line (``META``, ``PROJECTS``, ``VOTES``) followed by a
``;``-separated header row and data rows (CSV conventions: a field holding ``;`` or ``"`` is quoted). See
pabulib.org/format. The VOTES section is most of the file (Łódź 2022: 90,494 of its 90,676 lines), so it is
read with numpy over the raw bytes: no per-line Python work and no per-ballot objects. Ballots are kept as a
CSR structure (``indptr``/``indices``, ``points`` for cumulative and scoring ballots) that the counting rules in
:mod:`copro.analysis.budgeting` use directly. Voter ids and extra vote columns (age, sex, ...) are decoded
from the raw bytes only when asked for. Files the fast path cannot read exactly (quoted vote fields,
spaces around ids, empty ids between commas, long ids) go through a plain Python path with the same results.

Money is whole currency units (``int``): every file on pabulib.org we ship has whole costs (Toulouse writes
``4000.0``, which is read as 4000). A cost or budget with a non-zero fractional part is refused with a
:class:`PbFormatError` instead of being rounded, because rounding could change which projects fit.

Nothing here imports Django.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

import numpy as np
import numpy.typing as npt

__all__ = [
    "VOTE_TYPES",
    "PbFormatError",
    "PbInstance",
    "PbProject",
    "PbVote",
    "PbVotes",
    "build_instance",
    "parse_pb",
    "read_pb",
    "write_pb",
]

IntArray = npt.NDArray[np.int64]

VOTE_TYPES = ("approval", "choose-1", "cumulative", "scoring", "ordinal")
_POINT_TYPES = ("cumulative", "scoring")
_SECTIONS = ("meta", "projects", "votes")
# A section title line: the word alone, possibly followed by empty fields (spreadsheet exports write "META;;").
# The pattern starts with a literal newline so that the regex engine can jump from line to line (16 ms -> 3 ms
# on the 3.7 MB Łódź file); the first line of the file is checked separately.
_TITLE = re.compile(rb"\n[ \t]*([MmPpVv][A-Za-z]{3,7})[ \t;]*\r?(?=\n|$)")
_FIRST_TITLE = re.compile(rb"[ \t]*([MmPpVv][A-Za-z]{3,7})[ \t;]*\r?(?=\n|$)")
_BOM = b"\xef\xbb\xbf"
# Masks keeping the first L bytes of a little-endian 8-byte word, indexed by L (0..8).
_KEY_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(8)] + [(1 << 64) - 1], dtype=np.uint64)


class PbFormatError(ValueError):
    """A malformed ``.pb`` file. ``line`` is the 1-based line number the problem was found on."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.line = line
        self.reason = message
        super().__init__(f"line {line}: {message}" if line is not None else message)


@dataclass(frozen=True)
class PbProject:
    """One row of PROJECTS. ``extra`` holds every other column (votes, score, category, ...) as written."""

    id: str
    cost: int
    name: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
    # Pabulib: 1 funded by the official rule, 0 not, 2 "ambiguous, see the comment"; None when absent.
    selected: int | None = None


@dataclass(frozen=True)
class PbVote:
    """One ballot, made on demand from :class:`PbVotes` (which stores none of these)."""

    voter_id: str
    projects: tuple[str, ...]  # in ballot order: the ranking for ordinal ballots
    points: tuple[int, ...] | None = None  # aligned with ``projects`` for cumulative and scoring ballots
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def approvals(self) -> frozenset[str]:
        """The projects this ballot supports: listed ones, or with points > 0 for point ballots."""
        if self.points is None:
            return frozenset(self.projects)
        return frozenset(p for p, v in zip(self.projects, self.points, strict=True) if v > 0)


class PbVotes(Sequence[PbVote]):
    """All ballots of an election, columnar.

    Ballot ``i`` lists the projects ``project_ids[indices[indptr[i]:indptr[i+1]]]`` in ballot order, with
    ``points[indptr[i]:indptr[i+1]]`` for cumulative and scoring ballots (``points`` is None otherwise).
    ``columns`` is the VOTES header as written; ``column(name)`` gives any other column as strings.
    """

    def __init__(
        self,
        *,
        columns: Sequence[str],
        project_ids: Sequence[str],
        indptr: IntArray,
        indices: npt.NDArray[np.int32],
        points: IntArray | None,
        text_columns: Mapping[str, Sequence[str]] | _LazyColumns,
    ) -> None:
        self.columns: tuple[str, ...] = tuple(columns)
        self.project_ids: tuple[str, ...] = tuple(project_ids)
        self.indptr = indptr
        self.indices = indices
        self.points = points
        for array in (indptr, indices, points):
            if array is not None:
                array.setflags(write=False)
        self._source = text_columns

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def column(self, name: str) -> list[str]:
        """Values of a text column (``voter_id`` or any column other than ``vote``/``points``)."""
        if name in ("vote", "points") or name not in self.columns:
            raise KeyError(name)
        if isinstance(self._source, _LazyColumns):
            return self._source.get(name)
        return list(self._source[name])

    @cached_property
    def voter_ids(self) -> list[str]:
        return self.column("voter_id")

    @cached_property
    def _extra_names(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in ("voter_id", "vote", "points"))

    def __getitem__(self, i: int) -> PbVote:  # type: ignore[override]
        if not isinstance(i, int | np.integer):
            raise TypeError("PbVotes is indexed by an int")
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(i)
        a, b = int(self.indptr[i]), int(self.indptr[i + 1])
        ids = tuple(self.project_ids[j] for j in self.indices[a:b])
        pts = None if self.points is None else tuple(int(v) for v in self.points[a:b])
        extra = {name: self._cached_column(name)[i] for name in self._extra_names}
        return PbVote(self.voter_ids[i], ids, pts, extra)

    def _cached_column(self, name: str) -> list[str]:
        cache: dict[str, list[str]] = self.__dict__.setdefault("_column_cache", {})
        if name not in cache:
            cache[name] = self.column(name)
        return cache[name]

    def __iter__(self) -> Iterator[PbVote]:
        for i in range(len(self)):
            yield self[i]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PbVotes):
            return NotImplemented
        if (self.columns, self.project_ids) != (other.columns, other.project_ids):
            return False
        if not (np.array_equal(self.indptr, other.indptr) and np.array_equal(self.indices, other.indices)):
            return False
        if (self.points is None) != (other.points is None):
            return False
        if self.points is not None and other.points is not None and not np.array_equal(self.points, other.points):
            return False
        names = [c for c in self.columns if c not in ("vote", "points")]
        return all(self.column(c) == other.column(c) for c in names)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<PbVotes {len(self)} ballots over {len(self.project_ids)} projects>"


class _LazyColumns:
    """Text columns of the VOTES section, decoded from the raw bytes on first use."""

    def __init__(self, data: bytes, starts: dict[str, IntArray], ends: dict[str, IntArray]) -> None:
        self._data = data
        self._starts = starts
        self._ends = ends

    def get(self, name: str) -> list[str]:
        data = self._data
        bounds = zip(self._starts[name].tolist(), self._ends[name].tolist(), strict=True)
        return [data[s:e].decode("utf-8").strip() for s, e in bounds]


@dataclass(frozen=True)
class PbInstance:
    """A whole ``.pb`` file. ``project_columns`` keeps the PROJECTS header order for writing back."""

    meta: Mapping[str, str]
    projects: tuple[PbProject, ...]
    votes: PbVotes
    project_columns: tuple[str, ...] = ("project_id", "cost", "name")

    @property
    def budget(self) -> int:
        return _whole_amount(self.meta["budget"], "budget")

    @property
    def vote_type(self) -> str:
        return self.meta["vote_type"].strip().lower()

    @property
    def rule(self) -> str:
        return self.meta.get("rule", "").strip()

    @property
    def threshold(self) -> int | None:
        """META ``min_project_score_threshold``: the votes (or points) a project needs to be eligible."""
        raw = self.meta.get("min_project_score_threshold", "").strip()
        return _whole_amount(raw, "min_project_score_threshold") if raw else None

    def project(self, project_id: str) -> PbProject:
        for p in self.projects:
            if p.id == project_id:
                return p
        raise KeyError(project_id)


# --- numbers ---------------------------------------------------------------------------------------------


def _whole_amount(text: str, what: str, line: int | None = None) -> int:
    """``"4000"``, ``"4000.0"`` and ``"4000,00"`` are 4000; anything else that is not whole is refused."""
    raw = text.strip()
    if re.fullmatch(r"-?\d{1,3},\d{3}", raw):
        # "1,000" is a thousand in English and one in Polish: refuse rather than guess.
        raise PbFormatError(f"{what} {raw!r} is ambiguous: write it without a thousands separator", line)
    try:
        value = Decimal(raw.replace(",", ".")) if raw.count(",") == 1 and "." not in raw else Decimal(raw)
    except InvalidOperation:
        raise PbFormatError(f"{what} {raw!r} is not a number", line) from None
    if not value.is_finite():
        raise PbFormatError(f"{what} {raw!r} is not a number", line)
    if value != value.to_integral_value():
        raise PbFormatError(f"{what} {raw!r} is not a whole number (Copro counts whole units)", line)
    return int(value)


# --- reading ---------------------------------------------------------------------------------------------


def read_pb(path: str | os.PathLike[str]) -> PbInstance:
    """Read a ``.pb`` file. Raises :class:`PbFormatError` (with the line number) if it is malformed."""
    with open(path, "rb") as f:
        return parse_pb(f.read())


def parse_pb(source: bytes | str) -> PbInstance:
    """Parse the text of a ``.pb`` file (bytes in UTF-8, or str)."""
    data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    titles: dict[str, tuple[int, int, int]] = {}  # section -> (title line number, title start, body start)
    first = _FIRST_TITLE.match(data)
    found = ([(first.group(1), 0, first.end())] if first else []) + [
        (m.group(1), m.start() + 1, m.end()) for m in _TITLE.finditer(data)
    ]
    for word, title_start, title_end in found:
        name = word.decode().lower()
        if name not in _SECTIONS:
            continue
        line = data.count(b"\n", 0, title_start) + 1
        if name in titles:
            raise PbFormatError(f"second {name.upper()} section (the first is on line {titles[name][0]})", line)
        body = title_end + 1 if title_end < len(data) else title_end
        titles[name] = (line, title_start, body)
    if not titles:
        opening = data.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        raise PbFormatError(f"expected a META section title, found {opening[:60]!r}", 1)
    order = sorted(titles, key=lambda s: titles[s][1])
    first_title = titles[order[0]]
    if data[: first_title[1]].strip():
        raise PbFormatError(f"text before the first section title ({order[0].upper()})", 1)
    bounds: dict[str, tuple[int, int, int]] = {}  # section -> (first body line number, body start, body end)
    for i, name in enumerate(order):
        line, _start, body = titles[name]
        end = titles[order[i + 1]][1] if i + 1 < len(order) else len(data)
        bounds[name] = (line + 1, min(body, end), end)

    def require(name: str, expected_before: str | None) -> None:
        # Checked just before the section is needed, so that errors come in file order.
        if name not in titles:
            where = titles[expected_before][0] if expected_before in titles else data.count(b"\n") + 1
            after = f"before {expected_before.upper()}" if expected_before in titles else "anywhere in the file"
            raise PbFormatError(f"no {name.upper()} section: expected a line '{name.upper()}' {after}", where)

    require("meta", "projects")
    meta = _parse_meta(data, *bounds["meta"])
    vote_type = meta.get("vote_type", "").strip().lower()
    if "budget" not in meta:
        raise PbFormatError("META has no 'budget'", bounds["meta"][0] - 1)
    if vote_type not in VOTE_TYPES:
        shown = repr(meta["vote_type"]) if "vote_type" in meta else "missing"
        raise PbFormatError(
            f"META vote_type is {shown}; expected one of {', '.join(VOTE_TYPES)}", _meta_line(data, bounds, "vote_type")
        )
    _whole_amount(meta["budget"], "budget", _meta_line(data, bounds, "budget"))
    if meta.get("min_project_score_threshold", "").strip():
        line = _meta_line(data, bounds, "min_project_score_threshold")
        _whole_amount(meta["min_project_score_threshold"], "min_project_score_threshold", line)
    require("projects", "votes")
    projects, project_columns = _parse_projects(data, *bounds["projects"])
    require("votes", None)
    votes = _parse_votes(data, *bounds["votes"], vote_type=vote_type, project_ids=[p.id for p in projects])
    return PbInstance(meta=meta, projects=tuple(projects), votes=votes, project_columns=project_columns)


def _meta_line(data: bytes, bounds: Mapping[str, tuple[int, int, int]], key: str) -> int:
    first, start, end = bounds["meta"]
    for offset, raw in enumerate(data[start:end].split(b"\n")):
        if raw.split(b";", 1)[0].strip().decode("utf-8", "replace") == key:
            return first + offset
    return first


def _rows(data: bytes, first_line: int, start: int, end: int) -> Iterator[tuple[int, list[str]]]:
    """CSV rows of one section with the line number each starts on; blank rows are skipped."""
    text = data[start:end].decode("utf-8")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    line = first_line
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PbFormatError(f"unreadable CSV ({exc})", first_line + reader.line_num - 1) from None
        row_line = line
        line = first_line + reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        yield row_line, row


def _header(rows: Iterator[tuple[int, list[str]]], section: str, required: Sequence[str], title_line: int) -> list[str]:
    try:
        line, header = next(rows)
    except StopIteration:
        raise PbFormatError(f"{section} has no header row", title_line) from None
    names = [h.strip().lstrip("\ufeff") for h in header]
    if len(names) == 1 and "," in names[0]:
        raise PbFormatError(
            f"{section} header {names[0]!r} has no ';': Pabulib separates columns with ';', not ','", line
        )
    for col in required:
        if col not in names:
            raise PbFormatError(f"{section} header has no '{col}' column (found: {';'.join(names)})", line)
    seen: set[str] = set()
    for n in names:
        if n in seen:
            raise PbFormatError(f"{section} header names the column '{n}' twice", line)
        seen.add(n)
    return names


def _check_width(row: list[str], width: int, section: str, line: int) -> None:
    if len(row) == width:
        return
    if len(row) == 1 and "," in row[0]:
        raise PbFormatError(
            f"{section} row has no ';' but has ',': Pabulib separates columns with ';' (expected {width} columns)",
            line,
        )
    raise PbFormatError(f"{section} row has {len(row)} fields separated by ';', the header has {width}", line)


def _parse_meta(data: bytes, first_line: int, start: int, end: int) -> dict[str, str]:
    rows = _rows(data, first_line, start, end)
    header = _header(rows, "META", (), first_line - 1)
    if len(header) < 2:
        raise PbFormatError("META header must be 'key;value'", first_line)
    meta: dict[str, str] = {}
    lines: dict[str, int] = {}
    for line, row in rows:
        if len(row) < 2:
            if "," in row[0] or ":" in row[0]:
                sep = "," if "," in row[0] else ":"
                raise PbFormatError(f"META row {row[0]!r} uses '{sep}': write key;value", line)
            raise PbFormatError(f"META row {row[0]!r} has no value: write key;value", line)
        key = row[0].strip()
        if key in meta:
            raise PbFormatError(f"META key '{key}' appears twice (first on line {lines[key]})", line)
        meta[key] = ";".join(row[1:]).strip() if len(header) == 2 else row[1].strip()
        lines[key] = line
    return meta


def _parse_projects(data: bytes, first_line: int, start: int, end: int) -> tuple[list[PbProject], tuple[str, ...]]:
    rows = _rows(data, first_line, start, end)
    header = _header(rows, "PROJECTS", ("project_id", "cost"), first_line - 1)
    width = len(header)
    i_id, i_cost = header.index("project_id"), header.index("cost")
    i_name = header.index("name") if "name" in header else None
    i_sel = header.index("selected") if "selected" in header else None
    extras = [(i, h) for i, h in enumerate(header) if h not in ("project_id", "cost", "name", "selected")]
    projects: list[PbProject] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        _check_width(row, width, "PROJECTS", line)
        pid = row[i_id].strip()
        if not pid:
            raise PbFormatError("project_id is empty", line)
        if any(c in pid for c in ',;"\n\r\0'):
            raise PbFormatError(f"project_id {pid!r} contains ',', ';', a quote or a line break", line)
        if pid in seen:
            raise PbFormatError(f"project_id '{pid}' appears twice (first on line {seen[pid]})", line)
        seen[pid] = line
        cost = _whole_amount(row[i_cost], f"cost of project '{pid}'", line)
        if cost < 0:
            raise PbFormatError(f"cost of project '{pid}' is negative ({cost})", line)
        selected: int | None = None
        if i_sel is not None:
            raw = row[i_sel].strip()
            if raw and raw.lower() != "none":
                try:
                    selected = int(raw)
                except ValueError:
                    raise PbFormatError(f"selected of project '{pid}' is {raw!r}, expected 0, 1 or 2", line) from None
        name = row[i_name].strip() if i_name is not None else ""
        extra = {h: row[i].strip() for i, h in extras}
        projects.append(PbProject(id=pid, cost=cost, name=name, extra=extra, selected=selected))
    return projects, tuple(header)


def _parse_votes(
    data: bytes, first_line: int, start: int, end: int, *, vote_type: str, project_ids: Sequence[str]
) -> PbVotes:
    # The header row: found with plain byte operations, so that its line number is known.
    header_line = first_line
    pos = start
    while pos < end:
        nl = data.find(b"\n", pos, end)
        stop = end if nl < 0 else nl
        if data[pos:stop].strip(b" \t\r;"):
            break
        pos = stop + 1
        header_line += 1
    else:
        raise PbFormatError("VOTES has no header row", first_line - 1)
    nl = data.find(b"\n", pos, end)
    header_end = end if nl < 0 else nl
    header_text = data[pos:header_end].decode("utf-8")
    header = _header(iter([(header_line, next(csv.reader([header_text], delimiter=";")))]), "VOTES", (), 0)
    required = ["voter_id", "vote"] + (["points"] if vote_type in _POINT_TYPES else [])
    for col in required:
        if col not in header:
            raise PbFormatError(f"VOTES header has no '{col}' column (found: {';'.join(header)})", header_line)
    body = min(header_end + 1, end)
    if data.find(b'"', body, end) < 0 and data.find(b"\0", body, end) < 0:
        votes = _votes_fast(data, body, end, header_line + 1, header, vote_type, project_ids)
        if votes is not None:
            return votes
    return _votes_slow(data, body, end, header_line + 1, header, vote_type, project_ids)


def _votes_fast(
    data: bytes,
    start: int,
    end: int,
    first_line: int,
    header: list[str],
    vote_type: str,
    project_ids: Sequence[str],
) -> PbVotes | None:
    """Vectorised reading of the VOTES body; None when the slow path must decide (it raises the errors)."""
    n_bytes = end - start
    if n_bytes == 0:
        return None  # no ballots at all: nothing to vectorise
    whole = np.frombuffer(data + b"\0" * 8, dtype=np.uint8)  # room to read 8 bytes from any token start
    arr = whole[start:end]
    newlines = np.flatnonzero(arr == 10)
    line_starts = np.concatenate((np.zeros(1, dtype=np.int64), newlines + 1))
    line_ends = np.concatenate((newlines, np.full(1, n_bytes, dtype=np.int64)))
    has_cr = (line_ends > line_starts) & (arr[np.maximum(line_ends - 1, 0)] == 13)
    line_ends -= has_cr
    keep = line_ends > line_starts
    line_starts, line_ends = line_starts[keep], line_ends[keep]
    width = len(header)
    n = len(line_starts)
    semis = np.flatnonzero(arr == 59)
    # Every line must hold exactly width - 1 semicolons. Rather than count them per line (a binary search per
    # line), deal them out in order, width - 1 to a line: if the total is right and each line's share lies
    # inside that line, no line can have more or fewer.
    if len(semis) != n * (width - 1):
        return None  # wrong separators, missing fields, blank-looking lines: the slow path says which, and where
    table = semis.reshape(n, width - 1)
    if width > 1 and (np.any(table[:, 0] < line_starts) or np.any(table[:, -1] >= line_ends)):
        return None

    def field_bounds(k: int) -> tuple[IntArray, IntArray]:
        s = line_starts if k == 0 else table[:, k - 1] + 1
        e = line_ends if k == width - 1 else table[:, k]
        return s, e

    vote_s, vote_e = field_bounds(header.index("vote"))
    commas = np.flatnonzero(arr == 44)
    tokens = _tokens(commas, vote_s, vote_e, n)
    if tokens is None:
        return None
    indptr, tok_s, tok_e = tokens
    lengths = tok_e - tok_s
    if len(lengths) and (lengths.min() == 0 or lengths.max() > 8):
        return None  # empty ids between commas, or ids longer than one 8-byte key
    if len(lengths) and (np.any(arr[tok_s] <= 32) or np.any(arr[tok_e - 1] <= 32)):
        return None  # spaces around ids
    keys = _keys(whole, tok_s + start, lengths)
    found = _lookup(project_ids, keys)
    if found is None:
        return None  # an unknown project id: the slow path names it and its line
    indices = found

    points: IntArray | None = None
    if vote_type in _POINT_TYPES:
        pts_s, pts_e = field_bounds(header.index("points"))
        ptokens = _tokens(commas, pts_s, pts_e, n)
        if ptokens is None or not np.array_equal(ptokens[0], indptr):
            return None
        points = _digits(whole, ptokens[1] + start, ptokens[2] - ptokens[1])
        if points is None:
            return None
    if _has_repeats(indptr, indices, len(project_ids)):
        return None

    text_starts: dict[str, IntArray] = {}
    text_ends: dict[str, IntArray] = {}
    for k, name in enumerate(header):
        if name not in ("vote", "points"):
            s, e = field_bounds(k)
            text_starts[name], text_ends[name] = s + start, e + start
    return PbVotes(
        columns=header,
        project_ids=project_ids,
        indptr=indptr,
        indices=indices,
        points=points,
        text_columns=_LazyColumns(data, text_starts, text_ends),
    )


def _tokens(commas: IntArray, s: IntArray, e: IntArray, n: int) -> tuple[IntArray, IntArray, IntArray] | None:
    """Split fields [s, e) at commas: CSR row pointers and token bounds, without a Python loop."""
    # One search for the interleaved (sorted) starts and ends instead of two: fewer passes over `commas`.
    bounds = np.empty(2 * n, dtype=np.int64)
    bounds[0::2] = s
    bounds[1::2] = e
    found = np.searchsorted(commas, bounds)
    c_lo, c_hi = found[0::2], found[1::2]
    empty = s == e
    counts = np.where(empty, 0, c_hi - c_lo + 1)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    total = int(indptr[-1])
    # Commas inside the fields: the ranges [c_lo, c_hi) are disjoint and increasing, so a difference array
    # over comma positions marks them in one pass.
    if int((c_hi - c_lo).sum()) == len(commas):
        inside = commas  # the usual case: no other column holds a comma
    else:
        diff = np.bincount(c_lo, minlength=len(commas) + 1) - np.bincount(c_hi, minlength=len(commas) + 1)
        inside = commas[np.cumsum(diff[: len(commas)]) > 0]
    if len(inside) != total - int(np.count_nonzero(~empty)):
        return None
    full = ~empty
    first = np.ones(total, dtype=bool)  # True: the token opens its field
    first[indptr[:-1][full]] = False
    tok_s = np.empty(total, dtype=np.int64)
    tok_s[first] = inside + 1
    first_pos = indptr[:-1][full]
    tok_s[first_pos] = s[full]
    # A token ends at the comma before the next token, or at the end of its field.
    tok_e = np.empty(total, dtype=np.int64)
    tok_e[:-1] = tok_s[1:] - 1
    tok_e[indptr[1:][full] - 1] = e[full]
    return indptr, tok_s, tok_e


def _keys(whole: npt.NDArray[np.uint8], starts: IntArray, lengths: IntArray) -> npt.NDArray[np.uint64]:
    """Each token (at most 8 bytes) as a little-endian uint64 with the bytes past its end zeroed."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.uint64)
    # An unaligned little-endian uint64 at every byte offset (a view, no copy): one gather reads each key.
    words = np.ndarray(shape=(len(whole) - 7,), dtype="<u8", buffer=whole, strides=(1,))
    keys: npt.NDArray[np.uint64] = words[starts] & _KEY_MASKS[lengths]
    return keys


def _lookup(project_ids: Sequence[str], keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.int32] | None:
    """Project index of each 8-byte token key, or None if any token is not a project id.

    A binary search per token costs 14 ms for Łódź's 325,964 tokens (unsorted keys defeat branch
    prediction), so this builds a collision-free multiplicative hash of the project keys instead: a table of
    at least 2·m² slots, where a random odd multiplier is collision-free with probability about e^-1/4, tried
    with a fixed sequence of multipliers. Lookup is then one multiply, shift and gather per token (~2 ms).
    """
    short = [(i, p.encode("utf-8")) for i, p in enumerate(project_ids)]
    short = [(i, b) for i, b in short if len(b) <= 8]
    m = len(short)
    if m == 0:
        return None if len(keys) else np.zeros(0, dtype=np.int32)
    proj_keys = np.array([int.from_bytes(b.ljust(8, b"\0"), "little") for _, b in short], dtype=np.uint64)
    proj_index = np.array([i for i, _ in short], dtype=np.int32)
    bits = max(8, (2 * m * m).bit_length())
    if bits <= 26:  # up to ~5,000 projects: a table of at most 64 Mi int32 slots
        shift = np.uint64(64 - bits)
        state = 0x9E3779B97F4A7C15
        for _ in range(64):
            state = (state * 6364136223846793005 + 1442695040888963407) % (1 << 64)
            multiplier = np.array([state | 1], dtype=np.uint64)
            slots = (proj_keys * multiplier) >> shift
            if len(np.unique(slots)) == m:
                table = np.full(1 << bits, -1, dtype=np.int32)
                table[slots] = np.arange(m, dtype=np.int32)
                found = table[(keys * multiplier) >> shift]
                if np.any(found < 0) or not np.array_equal(proj_keys[found], keys):
                    return None
                return proj_index[found]
    order = np.argsort(proj_keys)
    sorted_keys = proj_keys[order]
    pos = np.minimum(np.searchsorted(sorted_keys, keys), m - 1)
    if not np.array_equal(sorted_keys[pos], keys):
        return None
    return proj_index[order[pos]]


def _digits(whole: npt.NDArray[np.uint8], starts: IntArray, lengths: IntArray) -> IntArray | None:
    """Non-negative integers written with at most 8 digits; None if any token is anything else."""
    if len(starts) == 0:
        return np.zeros(0, dtype=np.int64)
    if lengths.min() == 0 or lengths.max() > 8:
        return None
    windows = np.lib.stride_tricks.as_strided(whole, shape=(len(whole) - 7, 8), strides=(1, 1))
    digits = windows[starts].astype(np.int64) - 48
    place = lengths[:, None] - 1 - np.arange(8)[None, :]  # power of ten of each byte; negative = past the end
    inside = place >= 0
    if np.any(inside & ((digits < 0) | (digits > 9))):
        return None
    weights = np.where(inside, 10 ** np.clip(place, 0, 7), 0)
    return np.asarray((digits * weights).sum(axis=1), dtype=np.int64)


def _has_repeats(indptr: IntArray, indices: npt.NDArray[np.int32], m: int) -> bool:
    """Does any ballot list the same project twice?"""
    if len(indices) == 0:
        return False
    rows = np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), np.diff(indptr))
    keys = np.sort(rows * max(m, 1) + indices)
    return bool(np.any(keys[1:] == keys[:-1]))


def _votes_slow(
    data: bytes,
    start: int,
    end: int,
    first_line: int,
    header: list[str],
    vote_type: str,
    project_ids: Sequence[str],
) -> PbVotes:
    """Row-by-row reading with the csv module; raises the precise error for anything malformed."""
    width = len(header)
    i_vote = header.index("vote")
    i_points = header.index("points") if "points" in header else None
    with_points = vote_type in _POINT_TYPES
    index = {p: i for i, p in enumerate(project_ids)}
    text_names = [h for h in header if h not in ("vote", "points")]
    text: dict[str, list[str]] = {h: [] for h in text_names}
    text_pos = [header.index(h) for h in text_names]
    counts: list[int] = []
    flat: list[int] = []
    flat_points: list[int] = []
    for line, row in _rows(data, first_line, start, end):
        _check_width(row, width, "VOTES", line)
        ids = [t.strip() for t in row[i_vote].split(",")]
        ids = [t for t in ids if t]
        seen: set[int] = set()
        for t in ids:
            j = index.get(t)
            if j is None:
                raise PbFormatError(f"vote for unknown project '{t}' (not in PROJECTS)", line)
            if j in seen:
                raise PbFormatError(f"this ballot lists project '{t}' twice", line)
            seen.add(j)
            flat.append(j)
        if with_points:
            assert i_points is not None
            raw = [t.strip() for t in row[i_points].split(",")]
            raw = [t for t in raw if t]
            if len(raw) != len(ids):
                raise PbFormatError(f"{len(ids)} projects in 'vote' but {len(raw)} values in 'points'", line)
            for t in raw:
                flat_points.append(_whole_amount(t, "points", line))
        counts.append(len(ids))
        for h, k in zip(text_names, text_pos, strict=True):
            text[h].append(row[k].strip())
    indptr = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(np.array(counts, dtype=np.int64), out=indptr[1:])
    return PbVotes(
        columns=header,
        project_ids=project_ids,
        indptr=indptr,
        indices=np.array(flat, dtype=np.int32),
        points=np.array(flat_points, dtype=np.int64) if with_points else None,
        text_columns=text,
    )


# --- building and writing --------------------------------------------------------------------------------


def build_instance(
    *,
    budget: int,
    projects: Sequence[PbProject | tuple[str, int] | tuple[str, int, str]],
    ballots: Sequence[Collection[str] | Mapping[str, int]],
    vote_type: str = "approval",
    voter_ids: Sequence[str] | None = None,
    meta: Mapping[str, str] | None = None,
    rule: str = "unknown",
) -> PbInstance:
    """An instance from plain data, e.g. a finished Copro vote, ready for :func:`write_pb`.

    ``ballots`` are collections of project ids (approval, ordinal: in ranking order) or ``{id: points}``
    mappings (cumulative, scoring). META gets ``budget``, ``vote_type``, ``rule``, ``num_projects`` and
    ``num_votes`` filled in; pass description, country, unit, instance, date_begin and date_end in ``meta``
    for a file that meets every Pabulib requirement.
    """
    if vote_type not in VOTE_TYPES:
        raise ValueError(f"vote_type must be one of {VOTE_TYPES}")
    items: list[PbProject] = []
    for p in projects:
        if isinstance(p, PbProject):
            items.append(p)
        else:
            items.append(PbProject(id=str(p[0]), cost=int(p[1]), name=str(p[2]) if len(p) > 2 else ""))
    for p in items:
        if not p.id or p.id != p.id.strip() or any(c in p.id for c in ',;"\n\r\0'):
            raise ValueError(f"project id {p.id!r} cannot be written to a .pb file")
    ids = [p.id for p in items]
    if len(set(ids)) != len(ids):
        raise ValueError("project ids must be unique")
    index = {p: i for i, p in enumerate(ids)}
    with_points = vote_type in _POINT_TYPES
    counts: list[int] = []
    flat: list[int] = []
    flat_points: list[int] = []
    for ballot in ballots:
        if with_points:
            if not isinstance(ballot, Mapping):
                raise ValueError(f"{vote_type} ballots are mappings of project id to points")
            entries = list(ballot.items())
        else:
            entries = [(pid, 1) for pid in ballot]
        for pid, pts in entries:
            flat.append(index[pid])
            flat_points.append(int(pts))
        counts.append(len(entries))
    n = len(counts)
    vids = [str(v).strip() for v in voter_ids] if voter_ids is not None else [str(i + 1) for i in range(n)]
    if len(vids) != n:
        raise ValueError("one voter id per ballot")
    full_meta = {str(k).strip(): str(v).strip() for k, v in (meta or {}).items()}
    full_meta.update(
        {
            "num_projects": str(len(items)),
            "num_votes": str(n),
            "budget": str(int(budget)),
            "vote_type": vote_type,
        }
    )
    full_meta.setdefault("rule", rule)
    columns = ["project_id", "cost", "name"]
    if any(p.selected is not None for p in items):
        columns.append("selected")
    for p in items:
        for key in p.extra:
            if key not in columns:
                columns.append(key)
    # What parsing gives back: every project has every extra column, and values have no surrounding spaces.
    extra_columns = columns[4 if "selected" in columns else 3 :]
    items = [
        PbProject(p.id, p.cost, p.name.strip(), {k: str(p.extra.get(k, "")).strip() for k in extra_columns}, p.selected)
        for p in items
    ]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.array(counts, dtype=np.int64), out=indptr[1:])
    votes = PbVotes(
        columns=["voter_id", "vote", "points"] if with_points else ["voter_id", "vote"],
        project_ids=ids,
        indptr=indptr,
        indices=np.array(flat, dtype=np.int32),
        points=np.array(flat_points, dtype=np.int64) if with_points else None,
        text_columns={"voter_id": vids},
    )
    return PbInstance(meta=full_meta, projects=tuple(items), votes=votes, project_columns=tuple(columns))


def _csv_field(value: str) -> str:
    if any(c in value for c in ';"\n\r') or value != value.strip():
        return '"' + value.replace('"', '""') + '"'
    return value


def write_pb(instance: PbInstance) -> str:
    """The ``.pb`` text of an instance; ``parse_pb(write_pb(x)) == x``."""
    out: list[str] = ["META", "key;value"]
    for key, value in instance.meta.items():
        out.append(f"{_csv_field(key)};{_csv_field(value)}")
    out.append("PROJECTS")
    out.append(";".join(_csv_field(c) for c in instance.project_columns))
    for p in instance.projects:
        values = []
        for col in instance.project_columns:
            if col == "project_id":
                values.append(p.id)
            elif col == "cost":
                values.append(str(p.cost))
            elif col == "name":
                values.append(_csv_field(p.name))
            elif col == "selected":
                values.append("" if p.selected is None else str(p.selected))
            else:
                values.append(_csv_field(p.extra.get(col, "")))
        out.append(";".join(values))
    votes = instance.votes
    out.append("VOTES")
    out.append(";".join(_csv_field(c) for c in votes.columns))
    ids = votes.project_ids
    indptr = votes.indptr.tolist()
    indices = votes.indices.tolist()
    points = votes.points.tolist() if votes.points is not None else None
    text = {c: votes.column(c) for c in votes.columns if c not in ("vote", "points")}
    for i in range(len(votes)):
        a, b = indptr[i], indptr[i + 1]
        values = []
        for col in votes.columns:
            if col == "vote":
                values.append(",".join(ids[j] for j in indices[a:b]))
            elif col == "points":
                assert points is not None
                values.append(",".join(str(v) for v in points[a:b]))
            else:
                values.append(_csv_field(text[col][i]))
        out.append(";".join(values))
    return "\n".join(out) + "\n"
