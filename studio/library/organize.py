"""Favourites, boards and tags (mixed into :class:`Library`)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from studio.engine.errors import StudioError


class OrganizeMixin:
    """Marks on images that live only in the index: favourite flag, boards, tags."""

    def set_favourite(self, ids: Iterable[int], value: bool = True) -> None:
        ids = [int(i) for i in ids]
        with self._tx() as con:
            con.executemany("UPDATE images SET favourite = ? WHERE id = ?", [(1 if value else 0, i) for i in ids])

    def toggle_favourite(self, image_id: int) -> bool:
        with self._tx() as con:
            con.execute("UPDATE images SET favourite = 1 - favourite WHERE id = ?", (int(image_id),))
            row = con.execute("SELECT favourite FROM images WHERE id = ?", (int(image_id),)).fetchone()
        return bool(row and row[0])

    def set_rating(self, ids: Iterable[int], stars: int) -> None:
        """0 (no rating) to 5 stars."""
        stars = int(stars)
        if not 0 <= stars <= 5:
            raise StudioError(f"A rating is 0 to 5 stars, not {stars}.")
        with self._tx() as con:
            con.executemany("UPDATE images SET rating = ? WHERE id = ?", [(stars, int(i)) for i in ids])

    def boards(self) -> list[tuple[str, int]]:
        """(name, number of images not in the trash) for every board."""
        rows = self._con().execute(
            "SELECT b.name, COUNT(i.id) FROM boards b LEFT JOIN image_boards ib ON ib.board_id = b.id "
            "LEFT JOIN images i ON i.id = ib.image_id AND i.trashed IS NULL GROUP BY b.id ORDER BY b.name"
        )
        return [(r[0], r[1]) for r in rows]

    def create_board(self, name: str) -> None:
        name = name.strip()
        if not name:
            raise StudioError("A board needs a name.")
        with self._tx() as con:
            con.execute("INSERT OR IGNORE INTO boards(name, created) VALUES (?, ?)", (name, time.time()))

    def delete_board(self, name: str) -> None:
        """Remove the board; its images stay in the library."""
        with self._tx() as con:
            con.execute("DELETE FROM boards WHERE name = ?", (name,))

    def rename_board(self, old: str, new: str) -> None:
        new = new.strip()
        if not new:
            raise StudioError("A board needs a name.")
        with self._tx() as con:
            if con.execute("SELECT 1 FROM boards WHERE name = ?", (old,)).fetchone() is None:
                raise StudioError(f"There is no board {old!r}.")
            clash = con.execute("SELECT name FROM boards WHERE name = ?", (new,)).fetchone()
            if clash is not None and clash[0].lower() != old.lower():
                raise StudioError(f"A board named {clash[0]!r} already exists.")
            con.execute("UPDATE boards SET name = ? WHERE name = ?", (new, old))

    def move_to_board(self, ids: Iterable[int], source: str, target: str) -> None:
        """Add to ``target`` and take out of ``source`` (a copy is :meth:`add_to_board`)."""
        ids = [int(i) for i in ids]
        self.add_to_board(ids, target)
        if source.strip().lower() != target.strip().lower():
            self.remove_from_board(ids, source)

    def add_to_board(self, ids: Iterable[int], name: str) -> None:
        self.create_board(name)
        with self._tx() as con:
            board_id = con.execute("SELECT id FROM boards WHERE name = ?", (name.strip(),)).fetchone()[0]
            con.executemany(
                "INSERT OR IGNORE INTO image_boards(image_id, board_id) SELECT id, ? FROM images WHERE id = ?",
                [(board_id, int(i)) for i in ids],
            )

    def remove_from_board(self, ids: Iterable[int], name: str) -> None:
        with self._tx() as con:
            con.executemany(
                "DELETE FROM image_boards WHERE image_id = ? AND board_id = (SELECT id FROM boards WHERE name = ?)",
                [(int(i), name) for i in ids],
            )

    def add_tags(self, ids: Iterable[int], tags: Iterable[str]) -> None:
        tags = [t.strip() for t in tags if t.strip()]
        with self._tx() as con:
            con.executemany(
                "INSERT OR IGNORE INTO tags(image_id, tag) SELECT id, ? FROM images WHERE id = ?",
                [(t, int(i)) for i in ids for t in tags],
            )

    def remove_tags(self, ids: Iterable[int], tags: Iterable[str]) -> None:
        with self._tx() as con:
            con.executemany("DELETE FROM tags WHERE image_id = ? AND tag = ?", [(int(i), t) for i in ids for t in tags])
