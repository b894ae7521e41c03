"""PostgreSQL tells the page workers when the log state changes (LISTEN/NOTIFY).

The public pages hold the log state in each worker (trace/store/page_reads.py).
On PostgreSQL, these triggers send a notification on the channel
``trace_log_state`` whenever it changes, from any process: the log grows, a key
is revoked, a checkpoint is signed or cosigned. A notification is delivered when
its transaction commits. SQLite needs nothing: its ``PRAGMA data_version`` tells
a connection that another one committed.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

CHANNEL = "trace_log_state"
# (trigger, table, event)
TRIGGERS = (
    ("log_head_notify", "log_head", "UPDATE"),
    ("agency_keys_revoked_notify", "agency_keys", "UPDATE OF revoked_at_us"),
    ("checkpoints_notify", "checkpoints", "INSERT"),
    ("cosignatures_notify", "cosignatures", "INSERT"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION trace_log_state_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', ''); RETURN NULL; END $$"
    )
    for name, table, event in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION trace_log_state_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION trace_log_state_changed()")
