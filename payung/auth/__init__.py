"""Sign-in and access: who may do what (``access``, the one place access is decided), users,
passwords and their rules, server-side sessions and the login throttle, first start (the setup
code), and reading the audit log.

Imports ``payung.base`` and ``db``.
"""
