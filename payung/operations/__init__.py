"""Keeping a site healthy: backups and restore, the consistency check, demo data and the benchmark."""
