"""The registries: workers (pekerja), sponsors (penyandang dana) and Kemendagri regions.

Imports ``payung.base``, ``payung.auth``, ``payung.schemes`` (form fields) and ``db``.
"""
