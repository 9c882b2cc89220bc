"""Benchmarks: scripts that print figures, never pass/fail tests.

Run one with `python -m bench <scenario>` from the project root (`python -m bench --help` lists
them). Each scenario works on a database of its own, never on the developer's `db.sqlite3`.
"""
