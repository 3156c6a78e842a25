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
        with self._tx() as con:
            con.execute("DELETE FROM boards WHERE name = ?", (name,))

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
