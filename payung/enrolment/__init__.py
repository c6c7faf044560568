"""Kepesertaan: sponsorships one by one and by the list (the bulk planner), the late list and
renewal, and the collective registration sent to BPJS Ketenagakerjaan.

Imports ``payung.base``, ``payung.auth``, ``payung.schemes``, ``payung.finance`` (budget lines)
and ``db``.
"""
