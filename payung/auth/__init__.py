"""Sign-in and access: who may do what (``access``), users and their passwords, server-side sessions, and reading the audit log."""
