"""Storage: SQLAlchemy Core tables, the one append transaction, read models, audit.

SQLite (aiosqlite) and PostgreSQL (asyncpg) share this code; their differences
live in :mod:`trace.store.database`.
"""
