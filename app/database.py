"""Engine set-up that SQLAlchemy cannot infer.

SQLite: Python's sqlite3 module starts transactions late and lets RELEASE SAVEPOINT commit
the whole transaction, so two concurrent requests could interleave between a write and the
audit chain's head read. Every transaction is therefore started by us with BEGIN IMMEDIATE:
writers are serialized (SQLite allows one writer anyway) and a transaction never works on a
stale snapshot. WAL keeps readers of other processes going meanwhile. PostgreSQL needs none
of this (the audit chain takes an advisory lock there).
"""
from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from app.extensions import db


def _on_connect(dbapi_connection, _record):
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    # Deleted rows are overwritten with zeros, not left in free pages: a purged submission's
    # sealed values and a retired search segment's blocks leave the file when they go.
    cursor.execute("PRAGMA secure_delete=ON")
    if cursor.execute("PRAGMA database_list").fetchone()[2]:  # a file, not :memory:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged submission survives power loss
    cursor.close()


def _on_begin(connection):
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _on_connect)
            event.listen(engine, "begin", _on_begin)
