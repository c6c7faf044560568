"""Impor Data: bring in the worker, sponsor or payment lists regencies keep in Excel/CSV.

Check first (counts and every rejected row with its reason), then import the valid rows in
one go. The rejected rows download as an Excel file to fix and import again.
"""

import streamlit as st

from payung.auth.access import allowed
from payung.base.errors import PayungError
from payung.base.formats import count, zone_label
from payung.imports import (KINDS, ImportFileError, MappingError, apply_import, auto_map, file_hash, log_entries,
                            plan_import, read_table)
from payung.imports.engine import WRITES, value_choices, value_column_label
from payung.imports.mapping import FIELDS, REQUIRED
from payung.imports.plans import rejected_rows_xlsx
from payung.imports.templates import save_template, templates
from payung.imports.values import mapping_options

from ui.session import connection, drop_work, live_download, payung, require
from ui.widgets import (chars, attempt, clear_problems, date_text, field_errors, picked, plain, progress_to_the_end,
                        saved, show_saved_message, table, uploader)
from ui.widgets import or_all

FORM = "impor"
#: The rejected rows of this tab's last import (``ImportPlan.rejected_only``), kept while the person
#: works elsewhere (outside ``ui.session.UPLOAD_WORK``'s "_i_", which goes when they leave the page)
#: until they check another file or close the list: the rows they have to fix.
LEFT = "_impor_left"
#: The rejected rows' table: characters of a reason on one line of its column (at 1366 px), and
#: the pixels of one line of text.
REASON_CHARS_PER_LINE = 95
REASON_LINE_HEIGHT = 20
#: Rows the table shows without a scroll inside it, on a laptop and on a phone: a table of the
#: default height showed a phone three of four rows whole and a sliver of the fourth, so the
#: fourth reason went unread.
ROWS_SHOWN, PHONE_ROWS_SHOWN = 8, 5


def rows_height(rows: int, row_height: int, most: int) -> int:
    """A table's height in pixels showing ``rows`` rows (at most ``most``) and its header whole."""
    return 38 + row_height * min(max(rows, 1), most) + 2


def show_rejected(plan, file_name: str) -> None:
    """The rejected rows, each reason whole, and the file of them to fix and import again."""
    st.subheader("Baris yang ditolak")
    # Every reason whole: a long one ended mid-word ("...Format kolom seba"). Rows tall enough for
    # the longest reason (up to three lines) so the text wraps; a picked row shows its reason in
    # full below the table (on a phone too, where the reason column is narrow).
    shown = plan.errors[:2000]
    lines = min(3, max((len(e.message) // REASON_CHARS_PER_LINE + 1 for e in shown), default=1))
    # (A phone's column holds about 35 characters a line: five lines, the rest when picked.)
    row_height, phone_row_height = REASON_LINE_HEIGHT * lines + 12, REASON_LINE_HEIGHT * 5 + 12
    reasons = table([{"Baris": e.row, "Kolom": e.column, "Alasan": e.message} for e in shown],
                    hide_index=True, width="stretch", row_height=row_height, key="i_rejected",
                    height=rows_height(len(shown), row_height, ROWS_SHOWN),
                    on_select="rerun", selection_mode="single-row", phone=["Baris", "Alasan"],
                    phone_options={"column_config": {"Alasan": st.column_config.TextColumn(width=240)},
                                   "row_height": phone_row_height,
                                   "height": rows_height(len(shown), phone_row_height, PHONE_ROWS_SHOWN)},
                    column_config={"Baris": st.column_config.NumberColumn(width=60),
                                   "Kolom": st.column_config.TextColumn(width=130),
                                   "Alasan": st.column_config.TextColumn(width=700)})
    if len(shown) > PHONE_ROWS_SHOWN:
        st.caption(f"Geser di dalam tabel untuk melihat ke-{count(len(shown))} baris yang ditolak.")
    error = picked(reasons, shown)
    if error:
        st.info(plain(f"Baris {error.row}, kolom {error.column or '-'}: {error.message}"), icon=":material/info:")
    else:
        st.caption("Pilih satu baris untuk membaca alasannya utuh.")
    if plan.rejected_not_kept:
        st.caption(f"Ditampilkan dan diunduh {count(len(plan.rejected))} baris yang ditolak pertama; "
                   f"{count(plan.rejected_not_kept)} baris lain juga ditolak (hanya dihitung). Perbaiki yang ini, "
                   "lalu periksa berkasnya lagi.")
    # The file is made when the button is pressed (a callable), not on every rerun of the page.
    st.download_button("Unduh baris yang ditolak (.xlsx)", live_download(lambda actor: rejected_rows_xlsx(plan), "import.run"),
                       file_name=f"ditolak-{file_name.rsplit('.', 1)[0]}.xlsx", icon=":material/download:",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    st.caption("Perbaiki baris-baris ini di berkas tersebut, lalu impor lagi: baris yang sudah masuk tidak akan "
               "tergandakan.")


actor = require("import.run")
app = payung()
state = st.session_state
show_saved_message()
st.title("Impor data")
st.write("Unggah berkas Excel (.xlsx) atau CSV. Payung mencocokkan kolomnya, memeriksa setiap baris, lalu "
         "menampilkan ringkasan sebelum ada yang disimpan.")

kinds = {k: v for k, v in KINDS.items() if allowed(actor, WRITES[k])}
kind = st.radio("Jenis data", list(kinds), format_func=kinds.get, horizontal=True, key="i_kind")
upload = uploader("Berkas", ["xlsx", "csv"], key="i_file")
if upload is None:
    drop_work("_i_read")  # the file was removed: its rows go with it
    left = state.get(LEFT)
    if left and left["plan"].rejected:
        st.caption(f"Dari impor terakhir: berkas {plain(left['file'])} ({KINDS[left['kind']]}).")
        show_rejected(left["plan"], left["file"])
        if st.button("Tutup daftar ini", icon=":material/close:", key="i_left_close"):
            state.pop(LEFT, None)
            st.rerun()
    with connection() as db:
        recent = log_entries(db, actor=actor)
    if recent:
        st.subheader("Impor terakhir")
        table([{f"Waktu ({zone_label()})": date_text(r["at"]), "Oleh": r["actor"], "Jenis": KINDS.get(r["kind"], r["kind"]),
                       "Berkas": r["file_name"], "Baru": r["imported"], "Diperbarui": r["updated"],
                       "Tetap": r["unchanged"], "Ditolak": r["rejected"]} for r in recent],
                     hide_index=True, width="stretch")
    st.stop()

data = upload.getvalue()
# Read once per file and sheet (in a child process: see payung.imports.reading), not on every rerun.
read_key = (file_hash(data), upload.name, state.get("i_sheet"))
if state.get("_i_imported") == read_key:
    # Just imported: the rows were let go (their temporary file closed); read again only if asked.
    left = state.get(LEFT) or {}
    if left.get("read") == read_key and left.get("kind") == kind and left["plan"].rejected:
        st.info(f"Berkas ini sudah diimpor. {count(left['plan'].counts['rejected'])} barisnya ditolak: unduh di "
                "bawah, perbaiki, lalu impor berkas perbaikannya.")
        show_rejected(left["plan"], upload.name)
    else:
        st.info("Berkas ini sudah diimpor. Unggah berkas lain, atau periksa berkas ini lagi.")
    if not st.button("Periksa berkas ini lagi", icon=":material/refresh:"):
        st.stop()
    state.pop("_i_imported")
    state.pop(LEFT, None)
if state.get("_i_read", (None,))[0] != read_key:
    drop_work("_i_read")  # the file it replaces: its rows' temporary file is closed now, not at session end
    if (state.get(LEFT) or {}).get("read") != read_key:
        state.pop(LEFT, None)  # another file: the last import's rejected rows are no longer the work
    try:
        state["_i_read"] = (read_key, read_table(data, upload.name, sheet=state.get("i_sheet"),
                                                 limits=app.settings.limits))
    except ImportFileError as exc:
        st.error(plain(str(exc)))
        st.stop()
sheet = state["_i_read"][1]
if len(sheet.sheet_names) > 1:
    st.selectbox("Lembar kerja", sheet.sheet_names, key="i_sheet", placeholder="Pilih...")
st.caption(f"{count(len(sheet.rows))} baris data, {len(sheet.headers)} kolom.")

st.subheader("Pencocokan kolom")
with connection() as db:
    saved_maps = templates(db, kind, actor=actor)
template = st.selectbox("Templat", **or_all({n: n for n in saved_maps}, "Otomatis dari judul kolom", key="i_template"))
mapping = saved_maps[template].columns if template else auto_map(sheet.headers, kind)
# The value mapping (typed text -> code per coded column): from the template, then the choices made below.
values_key = f"_i_values:{kind}:{template or ''}"  # session-state keys must be text
if values_key not in state:
    state[values_key] = {k: dict(v) for k, v in (saved_maps[template].values if template else {}).items()}
value_map: dict[str, dict] = state[values_key]
headers = {h: h for h in sheet.headers if h}
chosen: dict[str, str] = {}
columns = st.columns(3)
for n, (field, (label, _)) in enumerate(FIELDS[kind].items()):
    required = field in REQUIRED[kind]
    header = columns[n % 3].selectbox(label + (" *" if required else ""),
                                      **or_all(headers, "(tidak ada)", value=mapping.get(field),
                                               key=f"i_map_{kind}_{template}_{field}"))
    if header:
        chosen[field] = header
if kind == "sponsorships":
    st.caption("Isian khusus skema (misalnya Tahun anggaran, Kategori, Cara bayar) dibaca dari kolom yang judulnya "
               "sama dengan label isian di formulir kepesertaan. Penyandang dana: NIP, nama, ID (nomor di halaman "
               "Penyandang dana), desa (pemerintah desa) atau pos anggaran. Setiap baris diperiksa dengan aturan skema yang sama dengan formulir; kuota, janji "
               "dan pagu dihitung untuk seluruh berkas.")
with st.expander("Simpan pencocokan ini sebagai templat"):
    st.caption("Templat yang Anda simpan hanya untuk akun Anda; templat administrator dapat dipakai semua "
               "pengguna. Menyimpan dengan nama templat Anda yang sudah ada menggantinya.")
    name = st.text_input("Nama templat", key="i_template_name", max_chars=chars("template"),
                         placeholder="contoh: Format Dinsos 2025")
    if st.button("Simpan templat"):
        with connection() as db:
            replaced = attempt(FORM, lambda: save_template(db, kind=kind, name=name, mapping=chosen,
                                                           values=value_map, actor=actor))
        clear_problems()  # what a refused attempt before this one said is no longer so
        st.success(plain(f"Templat \"{name.strip()}\" " + ("Anda diperbarui." if replaced else "tersimpan.")))
    # Below the button: drawn after this run's save, never a refusal that the save just mended.
    field_errors(FORM, "template")
    field_errors(FORM, None)

signature = (kind, file_hash(data), sheet.sheet, repr(sorted(chosen.items())), repr(sorted(
    (k, sorted(v.items(), key=repr)) for k, v in value_map.items())))
if st.button("Periksa", icon=":material/fact_check:") or state.pop("_i_recheck", False):
    bar = st.progress(0.0, text="Memeriksa...")
    with connection() as db:
        try:
            plan = plan_import(db, app.plugins, kind=kind, sheet=sheet, mapping=chosen, actor=actor,
                               file_name=upload.name, data_hash=signature[1], values=value_map,
                               progress=lambda f, t: bar.progress(f, text=t))
        except MappingError as exc:
            st.error(plain(exc))
            st.stop()
    state["_i_plan"] = (signature, plan)
    bar.empty()

checked = state.get("_i_plan")
if not checked or checked[0] != signature:
    st.stop()
plan = checked[1]
a, b, c, d = st.columns(4)
a.metric("Baru", count(plan.counts["imported"]))
b.metric("Diperbarui", count(plan.counts["updated"]))
c.metric("Tidak berubah", count(plan.counts["unchanged"]))
d.metric("Ditolak", count(plan.counts["rejected"]))
if plan.read_as:  # accepted, but not as typed: a person should see what each name was taken for
    read = sorted(plan.read_as.items(), key=lambda kv: -kv[1]["count"])
    said = "; ".join(f"\"{plain(typed)}\" dibaca {plain(v['name'])} ({count(v['count'])} baris)" for typed, v in read[:10])
    more = f"; dan {count(len(read) - 10)} nama lain" if len(read) > 10 else ""
    st.warning(f"Nama desa yang tidak persis sama, dibaca sebagai nama yang mirip: {said}{more}. Periksa sebelum "
               "mengimpor; bila ada yang salah, perbaiki di berkas lalu unggah lagi.", icon=":material/spellcheck:")
if plan.respelled:  # the same name, written in the file's richer spelling: a person should see it
    spelled = list(plan.respelled.items())
    said = "; ".join(f"\"{plain(was)}\" menjadi \"{plain(now)}\"" for was, now in spelled[:10])
    more = f"; dan {count(plan.respelled_count - 10)} nama lain" if plan.respelled_count > 10 else ""
    whose = "pekerja" if kind == "workers" else "penyandang dana"
    st.info(f"Ejaan nama {whose} yang akan diubah mengikuti berkas (aksen atau huruf besar-kecil yang "
            f"lebih lengkap): {said}{more}. Nama yang di berkas ditulis huruf besar semua atau tanpa aksen tidak "
            "mengubah ejaan yang tersimpan.", icon=":material/spellcheck:")
if plan.unknown:
    st.subheader("Pencocokan nilai")
    st.caption("Nilai-nilai ini tidak dikenali. Pilih artinya, lalu periksa ulang: saran terdekat ada di urutan "
               "teratas pilihan, dan hanya kecocokan yang meyakinkan sudah terisi; yang lain tetap ditolak sampai "
               "Anda memilih. Simpan sebagai templat agar berkas berikutnya dari kantor yang sama cocok sendiri.")
    meanings: dict[str, dict] = {}
    for name, typed in plan.unknown.items():
        choices = value_choices(app.plugins, name)
        st.markdown(f"**{plain(value_column_label(app.plugins, kind, name))}**")
        for n, (text, info) in enumerate(sorted(typed.items(), key=lambda kv: -kv[1]["count"])[:50]):
            options, index = mapping_options(choices, info["suggestions"], info.get("prefill"))
            left, right = st.columns([2, 3])
            left.text(f"{text}  ({info['count']} baris)")
            if info.get("refused"):
                left.caption(info["refused"].split(";")[0].capitalize() + ".")
            meanings.setdefault(name, {})[text] = right.selectbox(
                f"Arti nilai {n + 1}", options, index=index,
                format_func=lambda c, ch=choices: "(tetap ditolak)" if c is None else ch[c], placeholder="(tetap ditolak)",
                key=f"i_value_{kind}_{name}_{n}", label_visibility="collapsed")
    if st.button("Terapkan pencocokan nilai dan periksa ulang", icon=":material/rule:"):
        for name, typed in meanings.items():
            value_map.setdefault(name, {}).update({t: c for t, c in typed.items() if c is not None})
        state["_i_recheck"] = True
        st.rerun()
if plan.rejected:
    show_rejected(plan, upload.name)
if plan.new or plan.updates:
    if st.button(f"Impor {count(len(plan.new) + len(plan.updates))} baris", type="primary",
                 icon=":material/upload:"):
        with progress_to_the_end("Menyimpan...") as progress, connection() as db:
            try:
                counts = apply_import(db, app.plugins, plan, actor=actor, progress=progress)
            except PayungError as exc:  # e.g. a constraint another session made fail: nothing was written
                st.error(plain(exc))
                st.stop()
        state.pop("_i_plan", None)
        drop_work("_i_read")  # imported: the file's rows are not kept for the rest of the session
        state["_i_imported"] = read_key
        # Its rejected rows are: the list to fix, shown and downloadable after the import too.
        state[LEFT] = {"read": read_key, "kind": kind, "file": upload.name, "plan": plan.rejected_only()}
        saved(f"Impor selesai: {counts['imported']} baru, {counts['updated']} diperbarui, "
              f"{counts['unchanged']} tidak berubah, {counts['rejected']} ditolak.")
else:
    st.info("Tidak ada baris baru atau berubah untuk diimpor.")
