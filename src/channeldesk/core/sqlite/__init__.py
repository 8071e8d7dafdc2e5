"""The embedded database backend: Django's SQLite backend with fair turns for writers
(`base.DatabaseWrapper`; docs/operations-sqlite.md)."""
