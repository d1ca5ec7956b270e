"""The full-text structures of each database, created by the search app's migrations.

PostgreSQL: GIN indexes on the stored vector of each message and each ticket subject, and on
the exact expressions the PostgreSQL backend queries for customers.
SQLite: an FTS5 table with tickets_message as external content, kept in sync by triggers.
A later migration that rebuilds tickets_message on SQLite (Django copies the table to change
it) drops the triggers with the old table, so `ensure_sqlite_fts` runs after every migrate and
recreates and refills what is missing.
"""

from __future__ import annotations

from typing import Any

from . import stemming

POSTGRES_INDEXES = {
    "search_message_body_fts": (
        "CREATE INDEX IF NOT EXISTS search_message_body_fts ON tickets_message "
        "USING gin (to_tsvector('dutch'::regconfig, body_text))"
    ),
    "search_ticket_subject_fts": (
        "CREATE INDEX IF NOT EXISTS search_ticket_subject_fts ON tickets_ticket "
        "USING gin (to_tsvector('dutch'::regconfig, subject))"
    ),
    "search_customer_name_fts": (
        "CREATE INDEX IF NOT EXISTS search_customer_name_fts ON customers_customer "
        "USING gin (to_tsvector('simple'::regconfig, name))"
    ),
    "search_customer_contracts": (
        "CREATE INDEX IF NOT EXISTS search_customer_contracts ON customers_customer "
        "USING gin (contract_numbers jsonb_path_ops)"
    ),
}

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_message_fts USING fts5("
    "body_text, subject, content='tickets_message', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
# The FTS5 index holds the Dutch stems of the words (`balie.search.stemming`), one token per
# word in place; snippet() reads the original text from tickets_message.
SQLITE_TRIGGERS = {
    "search_message_fts_insert": (
        "CREATE TRIGGER IF NOT EXISTS search_message_fts_insert AFTER INSERT ON tickets_message "
        "BEGIN INSERT INTO search_message_fts(rowid, body_text, subject) "
        "VALUES (new.id, balie_stem(new.body_text), balie_stem(new.subject)); END"
    ),
    "search_message_fts_delete": (
        "CREATE TRIGGER IF NOT EXISTS search_message_fts_delete AFTER DELETE ON tickets_message "
        "BEGIN INSERT INTO search_message_fts(search_message_fts, rowid, body_text, subject) "
        "VALUES ('delete', old.id, balie_stem(old.body_text), balie_stem(old.subject)); END"
    ),
    "search_message_fts_update": (
        "CREATE TRIGGER IF NOT EXISTS search_message_fts_update "
        "AFTER UPDATE OF body_text, subject ON tickets_message "
        "BEGIN INSERT INTO search_message_fts(search_message_fts, rowid, body_text, subject) "
        "VALUES ('delete', old.id, balie_stem(old.body_text), balie_stem(old.subject)); "
        "INSERT INTO search_message_fts(rowid, body_text, subject) "
        "VALUES (new.id, balie_stem(new.body_text), balie_stem(new.subject)); END"
    ),
}
# The version of what the index holds (2: stems); a database indexed by an older Balie
# (unstemmed words) is refilled once by `ensure_sqlite_fts`.
SQLITE_INDEX_VERSION = 2
SQLITE_STATE_TABLE = (
    "CREATE TABLE IF NOT EXISTS search_fts_state (k TEXT PRIMARY KEY, v INTEGER NOT NULL)"
)


# Search migration 0002: messages are searched through their stored vector
# (tickets_message.search_vector, kept by a trigger; tickets migration 0005), which replaces the
# expression index on body_text. GIN's pending list of not yet merged entries (which every
# search scans) is kept to 256 kB instead of 4 MB: a full 4 MB list cost a customer search 5 ms,
# 256 kB costs a message search 0.05 ms; inserting a message costs 58 µs (37 µs with 4 MB,
# 118 µs without a pending list), measured at 100k tickets.
MESSAGE_VECTOR_INDEX = (
    "CREATE INDEX IF NOT EXISTS search_message_vector ON tickets_message "
    "USING gin (search_vector) WITH (gin_pending_list_limit = 256)"
)


# Search migration 0003: the other GIN indexes keep the same small pending list. Every new or
# updated ticket adds to the subject index's list (the SLA recomputation updates 100k tickets),
# and a full 4 MB list (449 pages at 1M) cost every subject search 4-5 ms.
SMALL_PENDING_LIST = (
    "search_ticket_subject_fts",
    "search_customer_name_fts",
    "search_customer_contracts",
)
PENDING_LIST_KB = 256


# Search migrations 0004 and 0005: ticket subjects get a stored vector too, `tickets_ticket.search_vector`,
# kept by a trigger that runs only when the subject is written (the SLA recomputation updates
# 100k tickets without it), with its GIN index; it replaces the expression index on subject.
# Like the messages' vector it is not a Django field: nothing in Django reads or writes it.
SUBJECT_VECTOR = (
    "ALTER TABLE tickets_ticket ADD COLUMN IF NOT EXISTS search_vector tsvector",
    """
    CREATE OR REPLACE FUNCTION tickets_ticket_search_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := to_tsvector('dutch'::regconfig, COALESCE(NEW.subject, ''));
        RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS tickets_ticket_search_vector ON tickets_ticket",
    """
    CREATE TRIGGER tickets_ticket_search_vector
    BEFORE INSERT OR UPDATE OF subject ON tickets_ticket
    FOR EACH ROW EXECUTE FUNCTION tickets_ticket_search_vector()
    """,
    # Existing tickets: filled by rewriting the table (about half a minute per million; the
    # table is locked meanwhile) rather than by an UPDATE, which would leave a dead copy of
    # every row, and an index built while those are not yet vacuumed is not used by any query
    # until every transaction older than it has ended (PostgreSQL's `indcheckxmin`).
    "ALTER TABLE tickets_ticket ALTER COLUMN search_vector TYPE tsvector "
    "USING to_tsvector('dutch'::regconfig, COALESCE(subject, ''))",
)
# Built by the next migration.
SUBJECT_VECTOR_INDEX = (
    "CREATE INDEX IF NOT EXISTS search_ticket_vector ON tickets_ticket "
    f"USING gin (search_vector) WITH (gin_pending_list_limit = {PENDING_LIST_KB})"
)
SUBJECT_VECTOR_DROP = (
    "DROP INDEX IF EXISTS search_ticket_vector",
    "DROP TRIGGER IF EXISTS tickets_ticket_search_vector ON tickets_ticket",
    "DROP FUNCTION IF EXISTS tickets_ticket_search_vector()",
    "ALTER TABLE tickets_ticket DROP COLUMN IF EXISTS search_vector",
)


# Search migration 0006: each message row carries its ticket's team, `tickets_message.team_id`
# (PostgreSQL only, not a Django field, no foreign key: a copy kept by triggers), so that every
# plan skips the messages of the teams an agent may not see on the row it reads, instead of
# looking up the ticket of each hit. A new message (or one moved to another ticket) takes its
# ticket's team; a ticket that changes team (also to none, when its team is deleted) takes its
# messages along. The message trigger locks the ticket row as an UPDATE would (FOR NO KEY
# UPDATE): a team change in flight then waits for the new message's transaction, or the new
# message waits for the team change and reads the team it committed; without the lock a
# message written while its ticket moved would keep the old team.
MESSAGE_TEAM = (
    "ALTER TABLE tickets_message ADD COLUMN IF NOT EXISTS team_id bigint",
    """
    CREATE OR REPLACE FUNCTION tickets_message_team() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        SELECT team_id INTO NEW.team_id FROM tickets_ticket WHERE id = NEW.ticket_id
            FOR NO KEY UPDATE;
        RETURN NEW;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS tickets_message_team ON tickets_message",
    """
    CREATE TRIGGER tickets_message_team
    BEFORE INSERT OR UPDATE OF ticket_id ON tickets_message
    FOR EACH ROW EXECUTE FUNCTION tickets_message_team()
    """,
    """
    CREATE OR REPLACE FUNCTION tickets_ticket_message_team() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE tickets_message SET team_id = NEW.team_id
            WHERE ticket_id = NEW.id AND team_id IS DISTINCT FROM NEW.team_id;
        RETURN NULL;
    END
    $$
    """,
    "DROP TRIGGER IF EXISTS tickets_ticket_message_team ON tickets_ticket",
    """
    CREATE TRIGGER tickets_ticket_message_team
    AFTER UPDATE OF team_id ON tickets_ticket
    FOR EACH ROW WHEN (OLD.team_id IS DISTINCT FROM NEW.team_id)
    EXECUTE FUNCTION tickets_ticket_message_team()
    """,
    # Existing messages: filled by rewriting the table, as the subjects' vectors were (an
    # UPDATE would leave a dead copy of every row and add each to every index, the GIN index
    # too). A transform cannot hold a subquery, so a function looks up each row's ticket.
    """
    CREATE OR REPLACE FUNCTION balie_ticket_team(ticket bigint) RETURNS bigint
    LANGUAGE sql STABLE AS 'SELECT team_id FROM tickets_ticket WHERE id = ticket'
    """,
    "ALTER TABLE tickets_message ALTER COLUMN team_id TYPE bigint USING balie_ticket_team(ticket_id)",
    "DROP FUNCTION balie_ticket_team(bigint)",
)
MESSAGE_TEAM_DROP = (
    "DROP TRIGGER IF EXISTS tickets_ticket_message_team ON tickets_ticket",
    "DROP FUNCTION IF EXISTS tickets_ticket_message_team()",
    "DROP TRIGGER IF EXISTS tickets_message_team ON tickets_message",
    "DROP FUNCTION IF EXISTS tickets_message_team()",
    "ALTER TABLE tickets_message DROP COLUMN IF EXISTS team_id",
)


def create_postgres_indexes(cursor: Any) -> None:
    for sql in POSTGRES_INDEXES.values():
        cursor.execute(sql)


def drop_postgres_indexes(cursor: Any) -> None:
    for name in POSTGRES_INDEXES:
        cursor.execute(f"DROP INDEX IF EXISTS {name}")


def ensure_sqlite_fts(cursor: Any) -> bool:
    """Create what is missing of the FTS5 table and its triggers; refill the index when
    anything was missing. True when something was (re)created."""
    cursor.execute(
        "SELECT name FROM sqlite_master WHERE name = 'search_message_fts' "
        "OR (type = 'trigger' AND name LIKE 'search_message_fts_%')"
    )
    present = {row[0] for row in cursor.fetchall()}
    missing = ({"search_message_fts"} | set(SQLITE_TRIGGERS)) - present
    if not missing and _sqlite_index_version(cursor) == SQLITE_INDEX_VERSION:
        return False
    stemming.register(cursor.db.connection)
    for name in SQLITE_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    cursor.execute(SQLITE_TABLE)
    for sql in SQLITE_TRIGGERS.values():
        cursor.execute(sql)
    # Not FTS5's 'rebuild', which would index the unstemmed text of tickets_message.
    cursor.execute("INSERT INTO search_message_fts(search_message_fts) VALUES ('delete-all')")
    cursor.execute(
        "INSERT INTO search_message_fts(rowid, body_text, subject) "
        "SELECT id, balie_stem(body_text), balie_stem(subject) FROM tickets_message"
    )
    cursor.execute(SQLITE_STATE_TABLE)
    cursor.execute(
        "INSERT OR REPLACE INTO search_fts_state(k, v) VALUES ('index_version', %s)",
        [SQLITE_INDEX_VERSION],
    )
    return True


def _sqlite_index_version(cursor: Any) -> int:
    cursor.execute(SQLITE_STATE_TABLE)
    cursor.execute("SELECT v FROM search_fts_state WHERE k = 'index_version'")
    row = cursor.fetchone()
    return int(row[0]) if row else 1


def drop_sqlite_fts(cursor: Any) -> None:
    for name in SQLITE_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
    cursor.execute("DROP TABLE IF EXISTS search_message_fts")
    cursor.execute("DROP TABLE IF EXISTS search_fts_state")
