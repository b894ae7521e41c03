"""Backups that restore, and the move from SQLite to PostgreSQL (docs/operations.md).

A backup is a directory: a consistent copy of the database (which holds the records, the
keys sealed under the master key, the photos and everything else the service keeps), the
master key sealed under a passphrase, and a manifest that says what was copied and how to
check it. Restoring one, or copying a ledger into another database, ends with the proof
that matters: the same log root as before, and the audit of every chain and signature.
"""
