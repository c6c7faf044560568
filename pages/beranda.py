"""Beranda: this month's head-line numbers, and demo data for a newcomer."""

import streamlit as st

from payung.demo import generate
from payung.months import format_month
from payung.summary import home
from ui.session import connection, payung, require
from ui.widgets import rupiah, saved, show_saved_message

actor = require()
app = payung()
show_saved_message()
with connection() as db:
    numbers = home(db, actor=actor)
st.title("Beranda")
st.caption(f"Keadaan bulan {format_month(numbers['month'])}")
a, b, c, d = st.columns(4)
a.metric("Pekerja terdaftar", f"{numbers['workers']:,}".replace(",", "."))
b.metric("Terlindungi bulan ini", f"{numbers['protected']:,}".replace(",", "."),
         help="Pekerja yang iuran bulan ini sudah dibayar lunas.")
c.metric("Ditanggung bulan ini", f"{numbers['covered']:,}".replace(",", "."),
         help="Pekerja yang punya kepesertaan bulan ini, lunas atau belum.")
d.metric("Iuran dibayar bulan ini", rupiah(numbers["paid"]))

if numbers["by_scheme"]:
    st.subheader("Per skema")
    names = {code: s.name for code, s in app.plugins.schemes.items()}
    st.dataframe(
        [{"Skema": names.get(r["scheme_code"], r["scheme_code"]), "Terlindungi": r["workers"],
          "Iuran lunas": rupiah(r["amount"])} for r in numbers["by_scheme"]],
        hide_index=True, width="stretch",
    )

if numbers["workers"] == 0 and actor.role == "admin":
    st.info("Basis data masih kosong. Ingin melihat Payung berjalan dengan data contoh?")
    if st.button("Coba dengan data contoh", type="primary", icon=":material/auto_awesome:"):
        bar = st.progress(0.0, text="Menyiapkan data contoh...")
        with connection() as db:
            counts = generate(app, db, workers=2000, actor=actor,
                              progress=lambda fraction, text: bar.progress(fraction, text=text))
        saved(f"Data contoh dimuat: {counts['workers']:,} pekerja, {counts['sponsors']} penyandang dana, "
              f"{counts['sponsorships']:,} kepesertaan.".replace(",", "."))
