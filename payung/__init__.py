"""Payung's core: everything but the pages (``pages/``, ``ui/``) and the SQL (``db/``).

One package per part of the domain; each ``__init__`` says what lives there and what it may
import (``tests/test_layers.py`` keeps it so):

- ``payung.base``: pure helpers every layer may use (clock, errors, text, formats, months,
  identity numbers, money arithmetic, settings, catalogues);
- ``payung.auth``: who may do what, users, passwords, sessions, the audit log;
- ``payung.schemes``: the Scheme model, hooks, the plugin registry, rules, fields, TOML schemes;
- ``payung.people``: workers, sponsors, regions;
- ``payung.enrolment``: sponsorships, enrolment by the list, coverage, arrears, BPJS exchange;
- ``payung.finance``: bills, payments, budgets, claims;
- ``payung.reports``: dashboard, charts, monthly report, documents, spreadsheets, letterhead;
- ``payung.operations``: backups, checks, demo data, benchmark;
- ``payung.imports``: import from the spreadsheets regencies keep.

``payung.plugin`` is the public plugin API (the only module a scheme plugin imports);
``payung.core.Payung`` ties settings, plugins and the database together; ``payung.cli`` is
``python -m payung``.
"""
