"""Log audit (admin): who changed what and when, filterable."""

import datetime as dt

import streamlit as st

from payung.base import clock
from payung.auth.audit import ACTION_LABELS, TABLE_LABELS, actors, data_choices, search
from payung.base.formats import zone_label
from ui.session import connection, require
from ui.widgets import DATE_HELP, current_page, date_text, pager
from ui.widgets import or_all, table as grid

PAGE_SIZE = 100
actor = require("audit.read")
st.title("Log audit")
a, b, c, d = st.columns(4)
table = a.selectbox("Data", **or_all(data_choices(), "Semua data", key="a_table"))
with connection() as db:
    names = actors(db, actor=actor)
who = b.selectbox("Oleh", **or_all({n: n for n in names}, "Semua pengguna", key="a_actor"))
since = c.date_input("Dari tanggal", value=clock.today() - dt.timedelta(days=30), format="DD/MM/YYYY", key="a_since",
                     help=DATE_HELP)
until = d.date_input("Sampai tanggal", value=clock.today(), format="DD/MM/YYYY", key="a_until", help=DATE_HELP)
with connection() as db:
    result = search(db, actor=actor, table=table, who=who, since=since, until=until,
                    page=current_page("halaman_audit"), page_size=PAGE_SIZE)
if result.rows:
    grid([{f"Waktu ({zone_label()})": date_text(r["at"]), "Oleh": r["actor"],
           "Tindakan": ACTION_LABELS.get(r["action"], r["action"]),
           "Data": TABLE_LABELS.get(r["table_name"], r["table_name"]), "Nomor/nama data": r["row"],
           "Perubahan": r["changes"]} for r in result.rows], hide_index=True, width="stretch",
         column_config={"Perubahan": st.column_config.TextColumn(width="large")})
else:
    st.info("Tidak ada catatan pada rentang ini.")
pager(result.total, PAGE_SIZE, key="halaman_audit")
