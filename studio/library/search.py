"""Finding images: the FTS5 query language, the filters and the sort orders (mixed into :class:`Library`).

Words in scripts written without spaces (Chinese, Japanese, Korean, Thai) are
matched as substrings: the unicode61 tokenizer keeps a whole unspaced run as
one token, so "星星" would never match "一颗红色的星星" through FTS5. Such words
go to a LIKE scan instead (a few milliseconds over 20,000 prompts).
"""

from __future__ import annotations

import datetime as _dt
import re
import sqlite3
from pathlib import Path
from typing import Any

from studio.engine.errors import StudioError
from studio.library.entry import GalleryEntry

SORTS = ("newest", "oldest", "random", "seed", "model", "rating")
_ORDERS = {
    "newest": "created DESC, id DESC",
    "oldest": "created ASC, id ASC",
    "seed": "seed IS NULL, seed ASC, id DESC",
    "model": "model IS NULL OR model = '', model COLLATE NOCASE ASC, created DESC, id DESC",
    "rating": "rating DESC, favourite DESC, created DESC, id DESC",
}
# Han, Hiragana, Katakana, Hangul, Thai, Lao, Khmer, Myanmar, Tibetan, fullwidth forms
_UNSPACED_RE = re.compile(
    "[\u0e00-\u0eff\u0f00-\u0fff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0003134f]"
)
_SIZE_RE = re.compile(r"^\s*(\d+)\s*[x×*]\s*(\d+)\s*$")


def _like_pattern(piece: str) -> str:
    return "%" + piece.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def parse_size(value: Any) -> tuple[int, int] | None:
    """``"512x768"`` (or a (w, h) pair) as (width, height); None when empty; StudioError when malformed."""
    if value in (None, ""):
        return None
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return int(value[0]), int(value[1])
    m = _SIZE_RE.match(str(value))
    if not m:
        raise StudioError(f"Size {value!r} is not like 512x768.")
    return int(m.group(1)), int(m.group(2))


def _to_ts(value: Any, end_of_day: bool = False) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            value = _dt.date.fromisoformat(value) if len(value) == 10 else _dt.datetime.fromisoformat(value)
        except ValueError:
            raise StudioError(f"Not a date: {value!r}; use YYYY-MM-DD (or YYYY-MM-DDTHH:MM).") from None
    if isinstance(value, _dt.datetime):
        return value.timestamp()
    if isinstance(value, _dt.date):
        day = _dt.datetime.combine(value, _dt.time.max if end_of_day else _dt.time.min)
        return day.timestamp()
    raise StudioError(f"Not a date: {value!r}; use YYYY-MM-DD.")


_TOKEN_RE = re.compile(r'(-?)"([^"]+)"|(-?)(\S+)')


def fts_query(text: str) -> tuple[str | None, str | None, list[str]]:
    """Turn what a user typed into an FTS5 query (prefix match on every word, AND).

    ``"a phrase"`` matches the phrase, ``-word`` excludes. Returns the MATCH
    expression to include, the one to exclude (None when empty) and the
    leftover pieces (emoji, symbols, CJK words) to match as substrings with LIKE.
    """
    include, exclude, like, _unlike = _parse_query(text)
    return include, exclude, like


def _parse_query(text: str) -> tuple[str | None, str | None, list[str], list[str]]:
    include: list[str] = []
    exclude: list[str] = []
    like: list[str] = []
    unlike: list[str] = []
    for m in _TOKEN_RE.finditer(text or ""):
        neg = bool(m.group(1) or m.group(3))
        raw = m.group(2) if m.group(2) is not None else m.group(4)
        if _UNSPACED_RE.search(raw):  # substring match: no word boundaries in these scripts
            (unlike if neg else like).append(raw.strip())
            continue
        words = re.findall(r"\w+", raw)
        if not words:
            if not neg and raw.strip():
                like.append(raw.strip())
            continue
        term = '"' + " ".join(words) + '"'
        if m.group(2) is None:
            term += "*"  # prefix match while typing
        (exclude if neg else include).append(term)
        # symbols next to words (e.g. "cat🐱") are matched with LIKE too
        rest = re.sub(r"\w+", "", raw).strip('-"\' ')
        if rest and not neg:
            like.append(rest)
    return (" AND ".join(include) or None), (" OR ".join(exclude) or None), like, unlike


class SearchMixin:
    """Queries over the index: ids, counts, full-text search, models, lookup by path."""

    def _where(
        self,
        query: str = "",
        *,
        model: str | None = None,
        date_from: Any = None,
        date_to: Any = None,
        favourite: bool | None = None,
        board: str | None = None,
        tag: str | None = None,
        trashed: bool = False,
        source: str | None = None,
        seed: int | str | None = None,
        lora: str | None = None,
        size: Any = None,
        has_mask: bool | None = None,
    ) -> tuple[str, list[Any]]:
        clauses = ["trashed IS NOT NULL" if trashed else "trashed IS NULL"]
        args: list[Any] = []
        expr, exclude, like, unlike = _parse_query(query)
        if expr:
            clauses.append("id IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)")
            args.append(expr)
        if exclude:
            clauses.append("id NOT IN (SELECT rowid FROM images_fts WHERE images_fts MATCH ?)")
            args.append(exclude)
        for piece in like:
            clauses.append("(prompt LIKE ? ESCAPE '\\' OR negative_prompt LIKE ? ESCAPE '\\')")
            args += [_like_pattern(piece)] * 2
        for piece in unlike:
            clauses.append("NOT (prompt LIKE ? ESCAPE '\\' OR negative_prompt LIKE ? ESCAPE '\\')")
            args += [_like_pattern(piece)] * 2
        if seed not in (None, ""):
            try:
                clauses.append("seed = ?")
                args.append(int(str(seed).strip()))
            except ValueError:
                raise StudioError(f"Seed {seed!r} is not a whole number.") from None
        if lora:
            # LoRAs live in the prompt as <lora:NAME> / <lora:NAME:WEIGHT> tags (AUTOMATIC1111 syntax)
            name = _like_pattern(f"<lora:{lora.strip()}")[:-1]
            clauses.append("(prompt LIKE ? ESCAPE '\\' OR prompt LIKE ? ESCAPE '\\')")
            args += [name + ":%", name + ">%"]
        wh = parse_size(size)
        if wh is not None:
            clauses.append("width = ? AND height = ?")
            args += list(wh)
        if has_mask is not None:
            clauses.append("mask_path IS NOT NULL" if has_mask else "mask_path IS NULL")
        if model:
            clauses.append("model = ?")
            args.append(model)
        lo, hi = _to_ts(date_from), _to_ts(date_to, end_of_day=True)
        if lo is not None:
            clauses.append("created >= ?")
            args.append(lo)
        if hi is not None:
            clauses.append("created <= ?")
            args.append(hi)
        if favourite is not None:
            clauses.append("favourite = ?")
            args.append(1 if favourite else 0)
        if board:
            clauses.append(
                "id IN (SELECT ib.image_id FROM image_boards ib JOIN boards b ON b.id = ib.board_id WHERE b.name = ?)"
            )
            args.append(board)
        if tag:
            clauses.append("id IN (SELECT image_id FROM tags WHERE tag = ?)")
            args.append(tag)
        if source:
            clauses.append("source = ?")
            args.append(source)
        return " AND ".join(clauses), args

    def query_ids(
        self,
        query: str = "",
        *,
        sort: str = "newest",
        random_seed: int = 0,
        limit: int | None = None,
        offset: int = 0,
        **filters: Any,
    ) -> list[int]:
        """Ids of matching images, sorted; the fast path the gallery grid uses."""
        if sort not in SORTS:
            raise StudioError(f"Unknown sort {sort!r}; use one of {', '.join(SORTS)}.")
        where, args = self._where(query, **filters)
        if sort == "random":
            order = f"((id * 2654435761 + {int(random_seed) & 0xFFFFFFFF}) % 4294967296), id"
        else:
            order = _ORDERS[sort]
        sql = f"SELECT id FROM images WHERE {where} ORDER BY {order}"
        if limit is not None:
            sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
        try:
            return [r[0] for r in self._con().execute(sql, args)]
        except sqlite3.OperationalError as exc:  # a query FTS5 cannot parse
            if "fts5" in str(exc).lower() or "syntax" in str(exc).lower():
                return []
            raise

    def count(self, query: str = "", **filters: Any) -> int:
        where, args = self._where(query, **filters)
        return int(self._con().execute(f"SELECT COUNT(*) FROM images WHERE {where}", args).fetchone()[0])

    def search(self, query: str = "", **filters: Any) -> list[GalleryEntry]:
        """Full-text search over prompt and negative prompt, with filters:

        ``model``, ``date_from``/``date_to`` (date, datetime, ISO string or
        timestamp; the end day is inclusive), ``favourite``, ``board``, ``tag``,
        ``trashed``, ``source``, ``seed``, ``lora`` (a ``<lora:NAME>`` tag in the
        prompt), ``size`` ("512x768"), ``has_mask``, ``sort`` (one of :data:`SORTS`),
        ``limit``/``offset``.
        """
        return self.get_many(self.query_ids(query, **filters))

    def list(self, **filters: Any) -> list[GalleryEntry]:
        return self.search("", **filters)

    def models(self) -> list[str]:
        rows = self._con().execute(
            "SELECT DISTINCT model FROM images WHERE model IS NOT NULL AND model != '' AND trashed IS NULL ORDER BY model"
        )
        return [r[0] for r in rows]

    def sizes(self) -> list[tuple[int, int]]:
        """Every width x height in the library (for the size filter), most common first."""
        rows = self._con().execute(
            "SELECT width, height FROM images WHERE trashed IS NULL AND width IS NOT NULL AND height IS NOT NULL "
            "GROUP BY width, height ORDER BY COUNT(*) DESC, width, height"
        )
        return [(r[0], r[1]) for r in rows]

    def find_by_path(self, path: Path | str) -> GalleryEntry | None:
        try:
            rel = self._rel(Path(path))
        except ValueError:
            return None
        row = self._con().execute("SELECT id FROM images WHERE path = ? OR trash_path = ?", (rel, rel)).fetchone()
        return self.get(row[0]) if row else None
