"""Money owed and paid: bills by party, payments and their receipts and reversals, budget lines
and the planner, claims.

Imports ``payung.base``, ``payung.auth``, ``payung.schemes`` and ``db``.
"""
