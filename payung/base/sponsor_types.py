"""Kinds of sponsor (penyandang dana) and what each must record.

``funding_code`` is the BPJS "wadah" funding code a sponsorship of this type defaults to.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SponsorType:
    code: str
    label: str
    funding_code: str
    #: Columns that must be filled for this type (beyond name).
    requires: tuple[str, ...] = ()
    #: The label in a phone's narrow column, when ``label`` is too wide for it.
    short: str | None = None

    @property
    def short_label(self) -> str:
        return self.short or self.label


#: The kinds of sponsor, by code: label, default BPJS funding code, what must be recorded.
SPONSOR_TYPES: dict[str, SponsorType] = {t.code: t for t in (
    SponsorType("perorangan", "Perorangan", "SL"),
    SponsorType("asn", "ASN (PNS/non-PNS)", "SL", ("opd",), short="ASN"),
    SponsorType("perusahaan", "Perusahaan (CSR)", "SC", short="Perusahaan"),
    SponsorType("bank", "Bank (CSR)", "SB"),
    SponsorType("bumd", "BUMD", "SC"),
    SponsorType("organisasi", "Organisasi/komunitas", "SL", short="Organisasi"),
    SponsorType("pemerintah_desa", "Pemerintah desa (APBDes)", "SD", ("village_code",), short="Pemerintah desa"),
    SponsorType("pemerintah_kecamatan", "Pemerintah kecamatan", "SG", ("district_code",), short="Pemerintah kec."),
    SponsorType("apbd_kabupaten", "APBD kabupaten", "SG", ("regency_code",)),
)}
