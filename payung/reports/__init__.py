"""What Payung shows and prints: the dashboard's figures and charts, the monthly report, bills
and receipts as documents, and the letterhead.

Imports ``payung.base``, ``payung.auth``, ``payung.schemes``, ``payung.people``,
``payung.finance``, ``payung.enrolment``, ``payung.imports`` (the sandboxed image reader) and
``db``.
"""
