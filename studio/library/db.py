"""The library's SQLite database: WAL mode, a versioned schema and its migrations.

``PRAGMA user_version`` holds the schema version. :func:`migrate` applies the
missing steps of :data:`MIGRATIONS` in one transaction each, so a database from
any older release opens (and a newer one is refused rather than damaged).
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path

from studio.fsutil import StorageError

MIGRATIONS: list[str] = [
    # 1: images + full-text index over prompt and negative prompt
    """
    CREATE TABLE images (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: an id always means one image
        path TEXT NOT NULL UNIQUE,          -- relative to the library root, '/'-separated
        created REAL NOT NULL,              -- seconds since the epoch
        file_size INTEGER NOT NULL DEFAULT 0,
        file_mtime_ns INTEGER NOT NULL DEFAULT 0,
        width INTEGER, height INTEGER,
        prompt TEXT NOT NULL DEFAULT '',
        negative_prompt TEXT NOT NULL DEFAULT '',
        seed INTEGER, steps INTEGER, cfg_scale REAL, sampler TEXT,
        model TEXT, model_hash TEXT,
        params TEXT NOT NULL DEFAULT '{}',  -- GenerationRequest.to_params() style JSON
        source TEXT NOT NULL DEFAULT 'studio',
        favourite INTEGER NOT NULL DEFAULT 0,
        trashed REAL,                       -- when it went to the trash, NULL when not
        trash_path TEXT
    );
    CREATE INDEX images_created ON images(trashed, created);
    CREATE INDEX images_model ON images(model);
    CREATE VIRTUAL TABLE images_fts USING fts5(
        prompt, negative_prompt, content='images', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER images_ai AFTER INSERT ON images BEGIN
        INSERT INTO images_fts(rowid, prompt, negative_prompt) VALUES (new.id, new.prompt, new.negative_prompt);
    END;
    CREATE TRIGGER images_ad AFTER DELETE ON images BEGIN
        INSERT INTO images_fts(images_fts, rowid, prompt, negative_prompt)
        VALUES ('delete', old.id, old.prompt, old.negative_prompt);
    END;
    CREATE TRIGGER images_au AFTER UPDATE OF prompt, negative_prompt ON images BEGIN
        INSERT INTO images_fts(images_fts, rowid, prompt, negative_prompt)
        VALUES ('delete', old.id, old.prompt, old.negative_prompt);
        INSERT INTO images_fts(rowid, prompt, negative_prompt) VALUES (new.id, new.prompt, new.negative_prompt);
    END;
    """,
    # 2: boards, tags, masks kept beside inpainted images, files that stopped decoding
    """
    CREATE TABLE boards (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE, created REAL NOT NULL);
    CREATE TABLE image_boards (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        board_id INTEGER NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
        PRIMARY KEY (image_id, board_id)
    ) WITHOUT ROWID;
    CREATE INDEX image_boards_board ON image_boards(board_id);
    CREATE TABLE tags (
        image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
        tag TEXT NOT NULL COLLATE NOCASE,
        PRIMARY KEY (image_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX tags_tag ON tags(tag);
    ALTER TABLE images ADD COLUMN mask_path TEXT;
    ALTER TABLE images ADD COLUMN broken INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX images_favourite ON images(favourite) WHERE favourite = 1;
    """,
    # 3: the content hash, so an import finds duplicates without comparing every same-size file
    """
    ALTER TABLE images ADD COLUMN content_hash TEXT;
    CREATE INDEX images_content_hash ON images(content_hash);
    CREATE INDEX images_unhashed ON images(file_size) WHERE content_hash IS NULL;
    """,
    # 4: a 0-5 star rating (the gallery sorts by it)
    """
    ALTER TABLE images ADD COLUMN rating INTEGER NOT NULL DEFAULT 0;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)


def _free_space(folder: Path) -> str:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return ""
    return f" ({free / 1e6:.1f} MB free)"


def storage_error(exc: BaseException, path: Path) -> StorageError:
    """What a failed SQLite call means for a user: read-only, full, busy or really damaged."""
    text = str(exc).lower()
    folder = Path(path).parent
    code = getattr(exc, "errno", None)
    if "readonly" in text or "read-only" in text or code == errno.EROFS:
        return StorageError(
            errno.EROFS,
            f"The gallery under {folder} is read-only (a read-only disk or folder): it can be browsed but not changed.",
        )
    if "disk is full" in text or code == errno.ENOSPC:
        return StorageError(
            errno.ENOSPC,
            f"The disk is full{_free_space(folder)}: the gallery database {path} could not be written. "
            "Free a few MB and try again.",
        )
    if "locked" in text or "busy" in text:
        return StorageError(errno.EBUSY, f"The gallery database {path} is busy (another Studio is writing to it); try again.")
    if "unable to open" in text or "disk i/o" in text or isinstance(exc, OSError):
        if not folder.is_dir():
            return StorageError(errno.ENOENT, f"Could not open the gallery database {path}: the folder {folder} is missing.")
        if not os.access(folder, os.W_OK):
            return StorageError(errno.EACCES, f"Could not open the gallery database {path}: no permission to write in {folder}.")
        return StorageError(errno.EIO, f"Could not read or write the gallery database {path} (a disk error: {exc}).")
    if isinstance(exc, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text or "corrupt" in text):
        return StorageError(
            errno.EIO,
            f"The gallery database {path} is damaged ({exc}). Move it aside and restart: Studio rebuilds the index from the image files.",
        )
    return StorageError(errno.EIO, f"The gallery database {path} could not be used: {exc}")


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """A connection in WAL mode with foreign keys on; one per thread.

    ``read_only`` opens the database of a read-only disk or folder for browsing
    (``immutable`` when SQLite cannot even create its shared-memory file there).
    """
    try:
        if read_only:
            uri = Path(path).resolve().as_uri()
            try:
                con = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30.0, isolation_level=None)
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            except sqlite3.OperationalError:
                con = sqlite3.connect(f"{uri}?immutable=1", uri=True, timeout=30.0, isolation_level=None)
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        else:
            con = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=True)
    except sqlite3.Error as exc:
        raise storage_error(exc, path) from exc
    con.row_factory = sqlite3.Row
    try:
        if not read_only:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
        con.execute("PRAGMA foreign_keys=ON")
        con.execute("PRAGMA busy_timeout=30000")
    except sqlite3.DatabaseError as exc:
        con.close()
        raise storage_error(exc, path) from exc
    return con


def schema_version(con: sqlite3.Connection) -> int:
    return int(con.execute("PRAGMA user_version").fetchone()[0])


def migrate(con: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema up to ``target``; returns the version found before."""
    found = schema_version(con)
    if found > SCHEMA_VERSION:
        raise StorageError(
            f"The gallery database was written by a newer Studio (schema {found}, this one knows {SCHEMA_VERSION}). "
            "Update Studio to open it."
        )
    for version in range(found, target):
        con.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated meanwhile.
            if schema_version(con) > version:
                con.execute("COMMIT")
                continue
            for statement in _split(MIGRATIONS[version]):
                con.execute(statement)
            con.execute(f"PRAGMA user_version={version + 1}")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return found


def _split(script: str) -> list[str]:
    """Split a migration script into statements (triggers contain ';' inside BEGIN...END)."""
    statements: list[str] = []
    buf = ""
    for line in script.splitlines():
        if line.strip().startswith("--") or not line.strip():
            continue
        buf += line + "\n"
        if sqlite3.complete_statement(buf):
            statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements
