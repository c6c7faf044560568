"""Keeping a site healthy: backups and restore, the consistency check, demo data and the
benchmark.

May import every package of ``payung`` and ``payung.core``, and ``db``; nothing imports it but
the CLI and the pages.
"""
