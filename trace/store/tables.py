"""SQLAlchemy Core tables. Migrations in ``migrations/`` create exactly these.

Times are stored as integer microseconds since the Unix epoch (UTC): the same
fixed-width value that goes into record hashes, identical on both databases.
"""

from __future__ import annotations

# Registers PostgreSQL's full-text functions, whose types the index on product names needs.
import sqlalchemy.dialects.postgresql  # noqa: F401
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

agencies = Table(
    "agencies",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    # A household is a natural person: shown publicly only by commune and province.
    Column("household", Boolean, nullable=False, default=False),
    Column("public_consent", Boolean, nullable=False, default=False),
    Column("province", Text),
    Column("commune", Text),
    Column("created_at_us", BigInteger, nullable=False),
    # How a shopper reaches an organisation (trace/domain/contact.py); a household's is never
    # shown publicly.
    Column("phone", Text),
    Column("address", Text),
    Column("website", Text),
)

agency_keys = Table(
    "agency_keys",
    metadata,
    Column("key_id", String(16), primary_key=True),
    Column("agency_id", String(36), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("public_key", LargeBinary(32), nullable=False),
    # AES-256-GCM nonce || ciphertext of the raw private key; NULL for external keys.
    Column("sealed_private_key", LargeBinary),
    Column("created_at_us", BigInteger, nullable=False),
    # Rotation: no new statement may be signed with it; old ones stay valid.
    Column("retired_at_us", BigInteger),
    # Compromise: every signature recorded at or after this time is invalid.
    Column("revoked_at_us", BigInteger),
    Column("revocation_reason", Text),
    # A device key (issue 14; migration 0010): made on a person's phone by the console, its
    # private half never leaves the phone. Named after the device, bound to the person's
    # token; NULL for the agency's own keys.
    Column("device_name", Text),
    Column("token_id", String(36)),
)

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("agency_id", String(36), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("person", Text, nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("revoked_at_us", BigInteger),
    # What the token may do (trace/domain/scopes.py): names separated by spaces. Added by
    # migration 0007 (issue 6), which gave existing tokens every scope of their agency's kind.
    Column("scopes", Text, nullable=False),
)

# The read model of each batch, updated in the append transaction.
batches = Table(
    "batches",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("code", String(16), nullable=False, unique=True),
    Column("producer_id", String(36), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("holder_id", String(36), nullable=False),
    Column("in_transit_to", String(36)),
    Column("recalled", Boolean, nullable=False, default=False),
    Column("sold_out", Boolean, nullable=False, default=False),
    Column("version", Integer, nullable=False),
    Column("head_hash", LargeBinary(32), nullable=False),
    Column("product", Text, nullable=False),
    Column("gtin", String(14)),
    Column("lot", Text, nullable=False),
    Column("province", Text),
    Column("registered_position", BigInteger, nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
    Index("ix_batches_gtin_lot", "gtin", "lot"),
)

# Append-only: triggers created by the migration refuse UPDATE and DELETE.
records = Table(
    "records",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("batch_id", String(36), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("recorded_at_us", BigInteger, nullable=False),
    Column("prev", LargeBinary(32), nullable=False),
    Column("record_hash", LargeBinary(32), nullable=False, unique=True),
    Column("statement_hash", LargeBinary(32), nullable=False),
    Column("statement", LargeBinary, nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("key_id", String(16), nullable=False),
    Column("agency_id", String(36), nullable=False),
    Column("kind", String(32), nullable=False),
    UniqueConstraint("batch_id", "seq", name="uq_records_batch_seq"),
    # One fact, one record: the same signed statement sent twice is stored once.
    Index("uq_records_statement_hash", "statement_hash", unique=True),
)

# The log's size: the row every append locks last, so positions follow commit order.
# ``edge`` holds the hashes of the complete subtrees that make up the tree of that size
# (trace/domain/compact_range.py), so the root of every size is known without a read.
log_head = Table(
    "log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("size", BigInteger, nullable=False),
    Column("edge", LargeBinary, nullable=False, server_default=text("''")),
)

# Complete subtrees of the log above the leaves: node (level, index) covers leaves
# [index * 2**level, (index + 1) * 2**level). Leaves are the records' hashes.
merkle_nodes = Table(
    "merkle_nodes",
    metadata,
    Column("level", Integer, primary_key=True, autoincrement=False),
    Column("idx", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", LargeBinary(32), nullable=False),
)

# The log's signing key, sealed like custodial agency keys; ``origin`` names the log.
log_keys = Table(
    "log_keys",
    metadata,
    Column("key_id", String(8), primary_key=True),
    Column("origin", Text, nullable=False),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("sealed_private_key", LargeBinary, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
)

# Every checkpoint the log has signed: the note text with the log's signature line.
checkpoints = Table(
    "checkpoints",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", LargeBinary(32), nullable=False),
    Column("note", Text, nullable=False),
    Column("signed_at_us", BigInteger, nullable=False),
)

# Witnesses whose cosignatures the log accepts, as signed-note verifier keys.
witnesses = Table(
    "witnesses",
    metadata,
    Column("name", Text, primary_key=True),
    Column("verifier_key", Text, nullable=False),
    Column("added_at_us", BigInteger, nullable=False),
)

cosignatures = Table(
    "cosignatures",
    metadata,
    Column("size", BigInteger, primary_key=True, autoincrement=False),
    Column("witness", Text, primary_key=True),
    Column("line", Text, nullable=False),
    Column("cosigned_at", BigInteger, nullable=False),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("agency_id", String(36), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", LargeBinary(32), nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
)

# Print runs of serialised labels (the ``serialised`` event records each) and
# their serials. ``position`` is the log position of the run's record, set in the
# transaction that appends it (trace/labels/runs.py); a run without one (left by
# versions that wrote a run in steps) was never registered and prints nothing.
label_runs = Table(
    "label_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("batch_id", String(36), ForeignKey("batches.id"), nullable=False, index=True),
    Column("count", Integer, nullable=False),
    Column("first_serial", String(14), nullable=False),
    Column("last_serial", String(14), nullable=False),
    Column("serials_sha256", LargeBinary(32), nullable=False),
    Column("position", BigInteger, nullable=True),
    Column("created_at_us", BigInteger, nullable=False),
)

label_serials = Table(
    "label_serials",
    metadata,
    Column("serial", String(14), primary_key=True),
    Column("run_id", String(36), ForeignKey("label_runs.id"), nullable=False),
    Column("ordinal", Integer, nullable=False),
    UniqueConstraint("run_id", "ordinal"),
)

# Scans of serialised labels, without personal data: a client is a keyed hash of its
# address and browser, a network a keyed hash of its address prefix, both under a key
# drawn for the day and deleted two days later, so no stored value can be tied back to
# an address once its day's key is gone. One row per serial, day and client.
scan_keys = Table(
    "scan_keys",
    metadata,
    Column("day", String(10), primary_key=True),
    Column("key", LargeBinary(32), nullable=False),
)

label_scans = Table(
    "label_scans",
    metadata,
    Column("serial", String(14), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("client", LargeBinary(16), primary_key=True),
    Column("network", LargeBinary(16), nullable=False),
    Column("first_at_us", BigInteger, nullable=False),
)

# Read models built by following the log (trace/store/projections.py): for each, the
# position of the first record it has not applied yet.
projection_positions = Table(
    "projection_positions",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

# --- search and the inspectors' audit trail (issue 6; migration 0007) ---

# The "search" projection (trace/search/projection.py): one row per registered batch, keyed
# by the log position of its `registered` record, with what inspectors filter and sort by.
# ``product_key`` is the product's name folded (trace/domain/folding.py); ``disposition`` is
# "recalled", else the latest inspection's result, else NULL.
batch_search = Table(
    "batch_search",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("batch_id", String(36), nullable=False, unique=True),
    Column("product", Text, nullable=False),
    Column("product_key", Text, nullable=False),
    Column("producer_id", String(36), nullable=False, index=True),
    Column("gtin", String(14), index=True),
    Column("lot", Text, nullable=False, index=True),
    Column("province", String(2), index=True),
    Column("occurred_us", BigInteger, nullable=False),
    Column("recorded_us", BigInteger, nullable=False),
    Column("disposition", String(16), index=True),
    # Each sort key with the position after it: the keyset a cursor continues from.
    Index("ix_batch_search_recorded", "recorded_us", "position"),
    Index("ix_batch_search_occurred", "occurred_us", "position"),
    Index("ix_batch_search_product", "product_key", "position"),
)
# PostgreSQL's index of product names (trace/search/query.py): every word of the folded
# name, found by prefix. Migration 0007 makes it on PostgreSQL only; SQLite has the table
# batch_search_words instead.
Index(
    "ix_batch_search_product_words",
    func.to_tsvector(literal_column("'simple'"), batch_search.c.product_key),
    postgresql_using="gin",
    _table=batch_search,
)

# SQLite's index of product names: the words of each batch's folded name (at most 64
# characters each), so that a query word finds the batches with a word it begins by a range
# of the key. On PostgreSQL the table stays empty: migration 0007 makes a GIN full-text
# index on to_tsvector('simple', batch_search.product_key) instead, which answers the same.
batch_search_words = Table(
    "batch_search_words",
    metadata,
    Column("word", String(64), primary_key=True),
    Column("position", BigInteger, primary_key=True, autoincrement=False),
)

# The event kinds each batch has at least one record of: by batch, and by kind.
batch_search_kinds = Table(
    "batch_search_kinds",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("kind", String(32), primary_key=True),
    Index("ix_batch_search_kinds_kind", "kind", "position"),
)

# The records that decide a batch's disposition and certificates: `inspected`, `recalled`
# and `certified`, keyed by their own log position; ``corrected`` once a `corrected` record
# points at one (the public page ignores such a record too).
batch_search_facts = Table(
    "batch_search_facts",
    metadata,
    Column("record_position", BigInteger, primary_key=True, autoincrement=False),
    Column("position", BigInteger, nullable=False, index=True),
    Column("record_hash", LargeBinary(32), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("result", String(16)),
    Column("scheme", String(16)),
    Column("stars", Integer),
    Column("valid_from", Date),
    Column("valid_until", Date),
    Column("corrected", Boolean, nullable=False),
    Index("ix_batch_search_facts_scheme", "scheme", "valid_until"),
)

# Every query an inspector made (trace/store/audit_trail.py): who, what, when. Append-only:
# triggers made by migration 0007 refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL).
# ``id`` counts from 1 in commit order, so the operator reading ``after=id`` misses nothing.
inspector_audit = Table(
    "inspector_audit",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("at_us", BigInteger, nullable=False),
    Column("agency_id", String(36), nullable=False),
    Column("token_id", String(36), nullable=False),
    Column("person", Text, nullable=False),
    Column("method", String(16), nullable=False),
    Column("path", Text, nullable=False),
    Column("query", Text, nullable=False),
)

# --- genealogy and recalls (issue 6; migration 0008) ---

# The batch graph (projection "genealogy", trace/genealogy/projection.py): one edge per
# input of each `transformed` record, input batch -> output batch, with the record that
# connects them. ``corrected`` once a `corrected` record declares that record wrong: the
# public pages stop following it, and so do the walks. An index per direction, each
# leading with the batch a walk starts from and holding the batch it reaches.
batch_edges = Table(
    "batch_edges",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("input_id", String(36), primary_key=True),
    Column("output_id", String(36), nullable=False),
    Column("record_hash", LargeBinary(32), nullable=False),
    Column("process", String(16), nullable=False),
    Column("quantity", String(19), nullable=False),
    Column("unit", String(8), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("corrected", Boolean, nullable=False),
    Index("ix_batch_edges_input", "input_id", "output_id"),
    Index("ix_batch_edges_output", "output_id", "input_id"),
)

# --- EPCIS capture and query (issue 6; migration 0009) ---

# The "epcis" projection (trace/epcis/index.py): every record as the EPCIS 2.0 event it is,
# derived from the records alone. ``event`` is the event as /epcis/events answers it;
# ``captured_id`` the eventID a capturing application gave, when not the Event Hash ID;
# ``declaration`` the canonical JSON of an errorDeclaration. Identifiers and business
# values are in the canonical form of trace/domain/epc.py and the Event Hash ID.
epcis_events = Table(
    "epcis_events",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("event_id", String(100), nullable=False, index=True),
    Column("captured_id", Text, index=True),
    Column("event_type", String(32), nullable=False),
    Column("action", String(8)),
    Column("event_time_us", BigInteger, nullable=False, index=True),
    Column("record_time_us", BigInteger, nullable=False, index=True),
    Column("biz_step", Text, index=True),
    Column("disposition", Text, index=True),
    Column("read_point", Text),
    Column("biz_location", Text, index=True),
    Column("declaration", Text),
    Column("batch_id", String(36), nullable=False),
    Column("event", Text, nullable=False),
)

# Each identifier of each indexed event, with its role (trace/epcis/subjects.py). On
# PostgreSQL the identifier is indexed by code point (text_pattern_ops, migration 0016), so
# that an EPC pattern's prefix is a range of the index whatever the database's collation.
epcis_identifiers = Table(
    "epcis_identifiers",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("role", String(16), primary_key=True),
    Column("identifier", Text, primary_key=True),
    Index(
        "ix_epcis_identifiers_identifier",
        "identifier",
        "role",
        postgresql_ops={"identifier": "text_pattern_ops"},
    ),
)

# Capture jobs (EPCIS 2.0 REST binding, /capture/{captureID}): what each capture did.
# ``errors`` is a JSON list of {index, event_id, code, params}, worded when read.
epcis_capture_jobs = Table(
    "epcis_capture_jobs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("agency_id", String(36), nullable=False, index=True),
    Column("behaviour", String(8), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("finished_at_us", BigInteger, nullable=False),
    Column("success", Boolean, nullable=False),
    Column("event_ids", Text, nullable=False),
    Column("errors", Text, nullable=False),
)

# --- the producer console (issue 14; migration 0010) ---

# A person signed in to the console: the cookie holds a random secret, the row its SHA-256.
# Every write sends ``csrf`` back in a header. A session ends when it expires, when the
# person signs out, or when it is ended from another device.
console_sessions = Table(
    "console_sessions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("token_id", String(36), ForeignKey("tokens.id"), nullable=False, index=True),
    Column("agency_id", String(36), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("device", Text, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("last_used_at_us", BigInteger, nullable=False),
    Column("expires_at_us", BigInteger, nullable=False),
    Column("ended_at_us", BigInteger),
)

# A pairing code an agency's admin shows as a QR code: it signs a person in once, on
# another device, within minutes. The row holds the code's SHA-256.
console_pairings = Table(
    "console_pairings",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("token_id", String(36), ForeignKey("tokens.id"), nullable=False, index=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("expires_at_us", BigInteger, nullable=False),
    Column("used_at_us", BigInteger),
)

# Photos named in signed statements by their SHA-256: the bytes as the phone sent them,
# with no metadata (checked when they arrive).
photos = Table(
    "photos",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("media_type", String(32), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("agency_id", String(36), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("created_at_us", BigInteger, nullable=False),
    Column("data", LargeBinary, nullable=False),
)

# --- shoppers' reports (issue 15; migration 0011) ---

# A shopper's report of a problem with a batch (trace/store/reports.py), for the authority
# of the batch's province and the batch's producer only: never on a page, in an export or in
# the log. ``contact`` and ``photo`` are the shopper's personal data, given by choice; the
# photo is drawn again without its metadata (trace/domain/report_photo.py) and is served
# only to those readers. ``client`` is the keyed, daily-rotating hash the scan counter makes
# of the shopper's address and browser (trace/public/scans.py): it lets the service limit
# the reports of one client, and is tied to nobody once that day's key is deleted.
shopper_reports = Table(
    "shopper_reports",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=False),
    Column("batch_id", String(36), nullable=False),
    Column("province", Text, index=True),
    Column("producer_id", String(36), nullable=False, index=True),
    Column("problem", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("contact", Text),
    Column("photo", LargeBinary),
    Column("photo_type", String(32)),
    Column("photo_width", Integer),
    Column("photo_height", Integer),
    Column("day", String(10), nullable=False),
    Column("client", LargeBinary(16), nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    # Where its readers have got with it (migration 0014; trace/store/report_states.py).
    Column("state", String(16), nullable=False, server_default="new"),
    Column("state_changed_at_us", BigInteger),
    Column("state_changed_by", String(36)),
    Column("state_note", Text),
    Column("inspection_position", BigInteger),
    Index("ix_shopper_reports_batch_created", "batch_id", "created_at_us"),
    Index("ix_shopper_reports_client_created", "client", "created_at_us"),
)

# --- webhooks (issue 16; migration 0013) ---

# An agency's webhook (trace/notify/registry.py): where the service POSTs the events it
# asked for (``events``, space-separated: recall, inspection, report). The signing secret
# is shown once and kept sealed under the master key, like custodial keys.
webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("agency_id", String(36), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),
    Column("sealed_secret", LargeBinary, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("disabled_at_us", BigInteger),
)

# The durable outbox (trace/notify/outbox.py, delivery.py): one row per notice to one
# webhook, written in the transaction that moves the outbox projection past the record it
# comes from. ``id`` travels as ``Webhook-Id`` on every attempt, for the receiver to drop
# repeats; ``event_key`` names the source so that a notice is never queued twice.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("webhook_id", String(36), ForeignKey("webhooks.id"), nullable=False),
    Column("event", String(16), nullable=False),
    Column("event_key", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_us", BigInteger, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
    Column("delivered_at_us", BigInteger),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("acknowledged_at_us", BigInteger),
    UniqueConstraint("webhook_id", "event_key"),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_us"),
)

# --- the recall workflow (issue 16; migration 0014) ---

# The "recall_steps" projection (trace/genealogy/recall_steps.py): each `recall_notified`,
# `withdrawn` and `recall_closed` record, by the position of the recall it names.
recall_steps = Table(
    "recall_steps",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("recall_position", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("batch_id", String(36), nullable=False),
    Column("agency_id", String(36), nullable=False),
    Index("ix_recall_steps_recall", "recall_position", "position"),
)

# A holder agency has read a recall's notice (POST /api/v1/recalls/{id}/acknowledge): the
# first time is kept. Not a record: it states nothing about the goods.
recall_acknowledgements = Table(
    "recall_acknowledgements",
    metadata,
    Column("recall_position", BigInteger, primary_key=True, autoincrement=False),
    Column("agency_id", String(36), primary_key=True),
    Column("acknowledged_at_us", BigInteger, nullable=False),
)

# --- EPCIS named queries and subscriptions (issue 17; migration 0017) ---

# A named query of an agency (trace/epcis/named_queries.py, POST /epcis/queries): the
# parameters of GET /epcis/events it stands for, as a JSON object of lists of strings.
epcis_named_queries = Table(
    "epcis_named_queries",
    metadata,
    Column("agency_id", String(36), ForeignKey("agencies.id"), primary_key=True),
    Column("name", String(64), primary_key=True),
    Column("parameters", Text, nullable=False),
    Column("created_at_us", BigInteger, nullable=False),
)

# A webhook subscription to a named query (trace/epcis/subscriptions.py). Its ``id`` is
# also the id of the row in ``webhooks`` that holds its ``dest`` and its sealed
# signatureToken, so that its notices go through the durable outbox like every other.
# A stream subscription reports the events at positions from ``start_position``; a
# scheduled one (``schedule``, JSON) reports at ``next_run_us`` the events from
# ``cursor_position`` on. ``initial_record_us`` is the standard's initialRecordTime.
epcis_subscriptions = Table(
    "epcis_subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("agency_id", String(36), ForeignKey("agencies.id"), nullable=False),
    Column("query_name", String(64), nullable=False),
    Column("schedule", Text),
    Column("report_if_empty", Boolean, nullable=False),
    Column("initial_record_us", BigInteger),
    Column("start_position", BigInteger, nullable=False),
    Column("cursor_position", BigInteger, nullable=False),
    Column("next_run_us", BigInteger),
    Column("created_at_us", BigInteger, nullable=False),
    Column("deleted_at_us", BigInteger),
    Index("ix_epcis_subscriptions_query", "agency_id", "query_name"),
    Index("ix_epcis_subscriptions_due", "deleted_at_us", "next_run_us"),
)

# --- master data (issue 17; migration 0018) ---

# An agency's locations by GLN and products by GTIN (trace/domain/master_data.py), with their
# names in Vietnamese and English: pages, the console and EPCIS documents show the names.
# A code belongs to the agency that registered it first; only it changes the names.
master_locations = Table(
    "master_locations",
    metadata,
    Column("gln", String(13), primary_key=True),
    Column("agency_id", String(36), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("name_vi", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("address", Text, nullable=False),
    Column("province", String(2), nullable=False),
    Column("commune", String(5)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("updated_at_us", BigInteger, nullable=False),
)

master_products = Table(
    "master_products",
    metadata,
    Column("gtin", String(14), primary_key=True),
    Column("agency_id", String(36), ForeignKey("agencies.id"), nullable=False, index=True),
    Column("name_vi", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("updated_at_us", BigInteger, nullable=False),
)
