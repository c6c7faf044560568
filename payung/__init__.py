"""Payung's core: everything but the pages (``pages/``, ``ui/``) and the SQL (``db/``). It never
imports Streamlit; it reads and writes data only through ``db``.

One package per part of the domain, from the bottom up (a package imports only the ones above
it in this list, and ``db``; ``tests/test_layers.py`` keeps it so, docs/architecture.md
explains it):

- ``payung.base``: pure helpers every layer may use (clock, errors, text, formats, months,
  identity numbers, money arithmetic, coverage status, spreadsheets, settings, catalogues);
- ``payung.auth``: who may do what, users, passwords, sessions, first start, the audit log;
- ``payung.schemes``: the Scheme model, hooks, the plugin registry, rules, fields, TOML schemes;
- ``payung.people`` and ``payung.finance``: workers, sponsors, regions; bills, payments,
  budgets, claims;
- ``payung.enrolment``: sponsorships, enrolment by the list, arrears, the BPJS registration;
- ``payung.imports``: import from the spreadsheets regencies keep, and BPJS's answer;
- ``payung.reports``: dashboard, charts, monthly report, documents, letterhead;
- ``payung.operations``: backups, checks, demo data, benchmark.

``payung.plugin`` is the public plugin API (the only module a scheme plugin imports);
``payung.core.Payung`` ties settings, plugins and the database together; ``payung.cli`` is
``python -m payung``; ``payung.docs`` writes the generated parts of the documentation;
``payung.compat`` keeps the module paths of before 0.6 working, with a warning.
"""

from payung import compat

#: Payung's version (CHANGELOG.md). The plugin API has its own: ``payung.plugin.API_VERSION``.
__version__ = "0.6.0"

compat.install()
