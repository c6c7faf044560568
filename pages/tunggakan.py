"""Tunggakan & perpanjangan: what is late today, whose membership has ended by arrears
("berakhir"), and the sponsorships whose months end next month or ended lately ("selesai"), each
renewable with a click and a confirmation that says what it makes."""

from dataclasses import replace

import streamlit as st

from payung.auth.access import allowed, schemes_for
from payung.enrolment.arrears import (ended_unrenewed, ending_soon, late_list, not_carried_over, overdue_at_once,
                                      reminders, reminders_xlsx, renew, renewal_plan, renewal_start)
from payung.base.errors import PayungError, ValidationError
from payung.base.formats import day, month_short, short_name
from payung.base.months import add_months, current_month, format_month, month_range
from payung.base import clock
from payung.schemes.fields import blank
from ui.session import connection, data_version, live_download, payung, require, scope_key
from ui.widgets import date_text, declared_field, nik_note, rupiah, saved, show_saved_message
from ui.widgets import plain
from ui.widgets import or_all, scheme_column, table

actor = require("late.read")
app = payung()
schemes = schemes_for(app.plugins, actor, "late.read")
show_saved_message()
st.title("Tunggakan & perpanjangan")
code = st.selectbox("Skema", **or_all(schemes, "Semua skema", key="l_scheme"))


#: The renewals listed, each with its button (the tab counts them all).
RENEWALS_SHOWN = 100


@st.cache_data(max_entries=32, show_spinner="Menghitung tunggakan...")
def figures(database: str, version: int, scope: tuple, scheme_code: str | None, today, _actor):
    """The late list, its reminders and the renewals due (ending next month, and ended lately),
    kept until the data changes (a payment, a sponsorship) or the day does, per slice of data."""
    with connection() as db:
        late = late_list(db, app.plugins, scheme_code=scheme_code, actor=_actor, today=today)
        return (late, reminders(db, app.plugins, scheme_code=scheme_code, actor=_actor, late=late),
                ending_soon(db, app.plugins, scheme_code=scheme_code, actor=_actor, today=today,
                                  limit=RENEWALS_SHOWN),
                ended_unrenewed(db, app.plugins, scheme_code=scheme_code, actor=_actor, today=today,
                                limit=RENEWALS_SHOWN))


late, notes, ending, ended = figures(app.settings.database_url, data_version(), scope_key(actor), code,
                                     clock.today(), actor)

# "Berakhir": a BPJS membership ended by arrears (register anew); "Selesai": a sponsorship's months
# are over (renew it). Two words, as payung.base.coverage has them.
#: Session key of the tab a renewal was made in: the page opens on it again after the renewal (its
#: count in the label changed, so the browser took the tabs for new ones and showed the first).
RENEWED_IN = "l_renewed_in"
labels = [f"Menunggak ({len(late.parties)})", f"Kepesertaan berakhir ({len(late.lapsed)})",
          f"Segera selesai ({ending.total})", f"Sudah selesai, belum diperpanjang ({ended.total})"]
late_tab, lapsed_tab, renew_tab, ended_tab = st.tabs(labels, default=labels[st.session_state.pop(RENEWED_IN, 0)])

with late_tab:
    st.caption(f"Iuran yang lewat jatuh tempo dan belum dibayar, per pihak yang ditagih. Tunggakan masih dapat "
               f"dibayar sampai {app.settings.lapse_months} bulan setelah jatuh tempo; setelah itu kepesertaan "
               "berakhir.")
    if late.parties:
        st.metric("Total tunggakan yang masih dapat dibayar", rupiah(late.total_open))
        # One table per scheme under its full name (a scheme column was cut at 1366 px and pushed
        # "Bayar paling lambat" off the right edge); short months and fixed widths keep every
        # column on screen.
        # ``shown``, not ``code``: the scheme filter above is still needed below (the reminders of
        # "Semua skema" were asked for the last scheme drawn only: 8 late parties, 1 reminder).
        for shown, scheme_name in dict.fromkeys((r["scheme_code"], r["scheme"]) for r in late.parties):
            st.markdown(f"**{plain(scheme_name)}**")
            table([{"Pihak yang ditagih": r["party"], "Pekerja": r["workers"], "Bulan menunggak": r["lines"],
                    "Tunggakan": rupiah(r["amount"]), "Sejak": month_short(r["oldest"]),
                    "Bayar paling lambat": date_text(r["pay_by"])}
                   for r in late.parties if r["scheme_code"] == shown], hide_index=True, width="stretch",
                  # Pixels: every heading whole at 1366 px (the main area is about 900 px wide).
                  column_config={"Pihak yang ditagih": st.column_config.TextColumn(width=290),
                                 "Pekerja": st.column_config.NumberColumn(width=70),
                                 "Bulan menunggak": st.column_config.NumberColumn(width=130),
                                 "Tunggakan": st.column_config.NumberColumn(width=105, alignment="right"),
                                 "Sejak": st.column_config.TextColumn(width=85),
                                 "Bayar paling lambat": st.column_config.TextColumn(width=150)},
                  key=f"l_late_{shown}", phone=["Pihak yang ditagih", "Tunggakan", "Bayar paling lambat"],
                  phone_options={"column_config": {
                      "Pihak yang ditagih": st.column_config.TextColumn(width=140),
                      "Tunggakan": st.column_config.NumberColumn(width=90, alignment="right"),
                      "Bayar paling lambat": st.column_config.TextColumn("Paling lambat", width=100)}})
        st.caption("Bayar tunggakan dari halaman Tagihan: pilih skema dan bulan tunggakannya.")
        st.subheader("Pengingat WhatsApp")
        st.caption("Pesan siap kirim untuk setiap pihak yang menunggak: salin teksnya (ikon di pojok kanan kotak) "
                   "atau buka WhatsApp dengan pesan sudah terisi. Payung tidak mengirim apa pun; NIK tidak pernah "
                   "dimuat dalam pesan.")
        # The file is made when its button is clicked, not on every run of the page.
        st.download_button("Unduh semua pengingat (XLSX)", live_download(lambda actor: reminders_xlsx(notes), "late.read"),
                           "pengingat-tunggakan.xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/download:", key="l_reminders_xlsx")
        for note in notes[:100]:
            with st.expander(plain(f"{note.party} · {note.scheme} · {rupiah(note.amount)}")):
                st.code(note.message, language=None, wrap_lines=True)
                if note.link:
                    st.link_button(plain(f"Buka WhatsApp ({note.phone})"), note.link, icon=":material/chat:")
                else:
                    st.caption("Nomor HP/WA pihak ini belum tercatat atau tidak valid: salin pesannya, atau isi "
                               "nomornya di Daftar penyandang dana.")
        if len(notes) > 100:
            st.caption(f"Menampilkan 100 dari {len(notes)} pengingat; semuanya ada di berkas XLSX.")
    else:
        st.success("Tidak ada tunggakan.", icon=":material/check_circle:")

with lapsed_tab:
    st.caption(f"Pekerja dengan lebih dari {app.settings.lapse_months} bulan berturut-turut tidak dibayar, atau "
               "tunggakan yang lewat batas: kepesertaan BPJS berakhir dan harus didaftarkan ulang dari awal.")
    if late.lapsed:
        # The scheme's short name and short months: at 1366 px its full name took half the table
        # and the months were off screen.
        table([{"Pekerja": r["worker"], "NIK": r["nik"], "Bulan tidak dibayar": r["months"],
                "Dari": month_short(r["first"]), "Sampai": month_short(r["last"]),
                "Skema": short_name(r["scheme"]), "Penyandang dana": r["sponsor"]}
               for r in late.lapsed], hide_index=True, width="stretch", key="l_lapsed",
              column_config={"Skema": scheme_column(r["scheme"] for r in late.lapsed)},
              laptop=["Pekerja", "NIK", "Bulan tidak dibayar", "Sampai", "Skema", "Penyandang dana"],
              phone=["Pekerja", "Bulan tidak dibayar", "Sampai"])
        nik_note(actor)
    else:
        st.success("Tidak ada kepesertaan yang berakhir karena tunggakan.", icon=":material/check_circle:")

can_renew = allowed(actor, "sponsorship.renew")


#: Workers whose membership ended by arrears, per scheme: a sponsorship of theirs that ended
#: lately is not renewed but registered anew. The lists leave out one with its own month past the
#: limit; this catches a run of unpaid months that began in the sponsorship before it.
lapsed_workers = {(r["worker_id"], r["scheme_code"]) for r in late.lapsed}


#: Session key of the sponsorship whose renewal waits for "Ya, perpanjang": Perpanjang makes a
#: year's bill, and it was made at the first click, with no chance to look at what it makes.
CONFIRMING = "l_confirm_renewal"
#: Session key of a renewal whose box was closed because it cannot be renewed: (tab, why), said
#: at the top of that tab in the run after the box was closed.
CLOSED = "l_renewal_closed"


def cost(amounts: list[int], months: int, *, bold: bool = False) -> str:
    """What a renewal's months cost (``amounts``, one per month): "12 bulan × Rp16.800 =
    Rp201.600", or the range and total when the months differ (a relief ends within them). Never
    the old sponsorship's ``monthly_amount``: its first month's, half a driver's rate while a
    relief ran (the confirmation said Rp100.800 and the renewal billed Rp201.600)."""
    if not amounts:
        return f"{months} bulan (iurannya dihitung saat diperpanjang)"
    total = f"**{rupiah(sum(amounts))}**" if bold else rupiah(sum(amounts))
    if len(set(amounts)) == 1:
        return f"{len(amounts)} bulan × {rupiah(amounts[0])} = {total}"
    return f"{len(amounts)} bulan ({rupiah(min(amounts))} sampai {rupiah(max(amounts))} per bulan) = {total}"


def depends_on(row, given: dict | None = None) -> str:
    """Why the price of ``row``'s renewal is an estimate: the scheme's plugin priced it reading a
    field not carried into the new year (``renewal_depends_on``) that is not given yet; in the
    list none is, in the confirmation (``given``: what is typed) one still empty. "" when every
    such field is given, or the price read none: the line, the confirmation and the bill then say
    one price."""
    if not row["renewal_depends_on"]:
        return ""
    year = renewal_start(row)[:4]
    labels = {f.name: f.label for f in app.plugins.fields(schemes[row["scheme_code"]])}
    empty = [plain(f"«{labels.get(name, name)} untuk {year}»") for name in row["renewal_depends_on"]
             if given is None or blank(given.get(name))]
    if not empty:
        return ""
    return (f"iurannya bergantung pada {', '.join(empty)}, "
            + ("yang diisi saat diperpanjang" if given is None else "yang belum diisi di bawah"))


def renewal_made(row, plan, given: dict) -> str:
    """What renewing ``row`` makes, said before it is made: the new months, their cost as the
    renewal prices them (``plan``: ``renewal_plan``, every month's rate and relief and the
    scheme's own adjustments), who pays, and which of those months are past their due date
    (billed as arrears at once, on Sudah selesai: ``overdue_at_once``; last month is not before
    its due day). While the plan is refused (a required number of the new year still empty) it
    prices no month: the cost is then the line's (its ``renewal_amounts``, the same rule on what is
    known so far), said to be so, not "dihitung saat diperpanjang" under a line that says it;
    what is still missing is said under the boxes (``missing``). A price that depends on a field
    of the new year still empty in ``given`` is said to be an estimate, and why (``depends_on``),
    as the line said it."""
    months = month_range(renewal_start(row), row["months"])
    past = overdue_at_once(app.plugins, row)
    amounts = [c.total for _, c in plan.lines] or row["renewal_amounts"]
    why = depends_on(row, given) if amounts else ""
    # A price waiting for a field it reads says that field, once: the warning under the boxes says
    # what else is missing (said three times over, the same box was named in one sentence twice).
    if why:
        listed = f" (perkiraan: {why})"
    elif amounts and not plan.lines:
        listed = " (perkiraan dari daftar; dipastikan setelah yang kurang di bawah dilengkapi)"
    else:
        listed = ""
    return (f"**Perpanjang kepesertaan {plain(row['worker_name'])}?**  \nYang dibuat: kepesertaan baru "
            f"{format_month(months[0])} sampai {format_month(months[-1])}, "
            f"{cost(amounts, row['months'], bold=True)}{listed}, ditanggung "
            f"{plain(row['sponsor_name'])} ({plain(schemes[row['scheme_code']].name)}). Iurannya masuk tagihan "
            "bulan-bulan itu"
            + (f"; {len(past)} bulan yang sudah lewat jatuh tempo ({format_month(past[0])}"
               + (f" sampai {format_month(past[-1])}" if len(past) > 1 else "")
               + ") langsung menjadi tunggakan." if past else "."))


def renewal_rows(renewals, tab: int) -> None:
    """Each sponsorship to renew on a line, with its button (the first ``RENEWALS_SHOWN``), in
    tab number ``tab`` (opened again after a renewal). Perpanjang asks first
    (``confirm_renewal``)."""
    if (closed := st.session_state.get(CLOSED)) and closed[0] == tab:
        del st.session_state[CLOSED]
        st.error(plain(closed[1]), icon=":material/block:")
    for row in renewals.rows:
        text, button = st.columns([5, 1])
        start = renewal_start(row)
        text.markdown(f"**{plain(row['worker_name'])}** · {plain(schemes[row['scheme_code']].name)} · {plain(row['sponsor_name'])} · "
                      f"sampai {month_short(row['end_month'])}. Diperpanjang: {month_short(start)}–"
                      f"{month_short(add_months(start, row['months'] - 1))}, {cost(row['renewal_amounts'], row['months'])}"
                      + (f" (perkiraan: {why})" if row["renewal_amounts"] and (why := depends_on(row)) else ""))
        if row["scheme_retired_at"]:  # renew() refuses it too (payung.schemes.editing.retired_problem)
            button.caption(f"Skema dipensiunkan {day(row['scheme_retired_at'])}: tidak dapat diperpanjang.")
        elif (row["worker_id"], row["scheme_code"]) in lapsed_workers:  # renew() refuses it too (_not_renewable)
            button.caption("Berakhir karena tunggakan: daftarkan ulang di Daftarkan kepesertaan.")
        elif not can_renew:
            pass
        elif st.session_state.get(CONFIRMING) != row["id"]:
            if button.button("Perpanjang", key=f"renew_{row['id']}", icon=":material/autorenew:"):
                st.session_state[CONFIRMING] = row["id"]
                st.session_state[RENEWED_IN] = tab  # the question shows in this tab
                st.rerun()
        else:
            with st.container(border=True, key=f"renew_confirm_{row['id']}"):
                confirm_renewal(row, tab)
    if renewals.total > len(renewals.rows):
        st.caption(f"Menampilkan {len(renewals.rows)} dari {renewals.total}; pilih skema untuk mempersempit.")


def confirm_renewal(row, tab: int) -> None:
    """The confirmation of the renewal of ``row``: what it makes (``renewal_made``, priced with
    what is typed in the boxes of the new year's fields, ``renewal_given``), what would still
    refuse it, "Ya, perpanjang" and "Batal"."""
    said = st.empty()  # filled below, priced with what is typed in the boxes
    left, given = renewal_given(row)
    try:
        with connection() as db:
            plan = renewal_plan(db, app.plugins, row["id"], actor=actor, given=given)
    except PayungError as exc:
        # No longer renewable (changed meanwhile), or no longer found: the box closes.
        # Left to the page's handler (NotFound), it stayed open and refused on every
        # run, with no Batal, the rows under it and the other tab gone.
        close_refused(row, tab, exc)
    said.markdown(renewal_made(row, plan, given))
    if plan.problems:
        st.warning(plain("Belum dapat diperpanjang: " + "; ".join(missing(plan.problems, left, row)).rstrip(".") + "."),
                   icon=":material/warning:")
    buttons = st.container(horizontal=True)
    yes = buttons.button("Ya, perpanjang", key=f"renew_yes_{row['id']}", type="primary",
                         icon=":material/autorenew:")
    if buttons.button("Batal", key=f"renew_no_{row['id']}"):
        del st.session_state[CONFIRMING]
        st.session_state[RENEWED_IN] = tab
        st.rerun()
    if yes:
        renew_now(row, tab, left, given)


def missing(problems, left: list, row) -> list[str]:
    """What still refuses the renewal of ``row``, in words: a required field of the new year
    (one of ``left``) named as its box in the confirmation is, with the year ("«Nomor
    RKPDes/APBDes untuk 2027» di atas wajib diisi", where the enrolment's words named no year:
    "«Nomor RKPDes/APBDes» wajib diisi")."""
    boxes = {f.name: f"{f.label} untuk {renewal_start(row)[:4]}" for f in left}
    return [f"«{boxes[p.field]}» di atas wajib diisi" if p.rule == "field_required" and p.field in boxes else p.message
            for p in problems]


def close_refused(row, tab: int, exc: Exception) -> None:
    """The box of ``row``'s renewal closed at once, with why it cannot be renewed (``exc``), said
    at the top of its tab (``CLOSED``) in the run that follows: this run has drawn the box."""
    del st.session_state[CONFIRMING]
    st.session_state[RENEWED_IN] = tab
    st.session_state[CLOSED] = (tab, f"{row['worker_name']} tidak dapat diperpanjang: {exc}")
    st.rerun()


def renewal_given(row) -> tuple[list, dict]:
    """The fields of ``row``'s scheme not copied into the renewal's year (``not_carried_over``),
    each asked in the confirmation, and what is typed in them.

    A reference to the old year's document ("APBDes 2026 No. 3") is not copied into the new
    year: the team gives the new year's here, or leaves it empty (arrears.renew). Asked as the
    enrolment form asks it (a choice from its labels, a date with a picker; in a text box a
    choice's value behind its label could not be typed), label as text."""
    start = renewal_start(row)
    left = not_carried_over(app.plugins.fields(schemes[row["scheme_code"]]), row)
    return left, {f.name: declared_field(replace(
        f, label=f"{f.label} untuk {start[:4]}",
        help=f"Tidak disalin dari kepesertaan tahun {row['start_month'][:4]}: isi untuk tahun {start[:4]}."),
        form=f"renew_{row['id']}", key=f"renew_{row['id']}_{f.name}") for f in left}


def renew_now(row, tab: int, left: list, given: dict) -> None:
    """"Ya, perpanjang" clicked: the renewal of ``row`` made, and said; or refused, said in the
    box, which stays open with what was typed (a st.stop() here left the rows below and the
    other tab empty); or no longer found, and the box closes, saying so (``close_refused``)."""
    start = renewal_start(row)
    try:
        with connection() as db:
            new_id = renew(db, app.plugins, row["id"], actor=actor, given=given)
    except ValidationError as exc:
        st.error(plain(f"{row['worker_name']} tidak dapat diperpanjang: {exc}"))
        return
    except PayungError as exc:
        # No longer found (moved out of the actor's villages, removed): the page's handler said
        # "Kepesertaan #12 tidak ditemukan." in place of the rest of the page, and the box
        # closed only on the next click.
        close_refused(row, tab, exc)
    del st.session_state[CONFIRMING]
    st.session_state[RENEWED_IN] = tab
    empty = [f"«{f.label}»" for f in left if blank(given[f.name])]
    saved(f"Kepesertaan {row['worker_name']} diperpanjang {format_month(start)} sampai "
          f"{format_month(add_months(start, row['months'] - 1))} (kepesertaan #{new_id}); iurannya "
          "masuk tagihan bulan-bulan itu." + (f" Tidak disalin dari tahun {row['start_month'][:4]} dan "
                                              f"masih kosong: {', '.join(empty)}." if empty else ""))


with renew_tab:
    this_month, next_month = current_month(), add_months(current_month(), 1)
    st.caption(f"Kepesertaan yang bulan terakhirnya {format_month(this_month)} atau {format_month(next_month)} "
               "dan belum diperpanjang: sesudah bulan itu pekerjanya tidak lagi ditanggung. Perpanjangan mulai bulan "
               "sesudah bulan terakhirnya, dengan penyandang dana, skema, program, lama, dan isian yang sama (tahun "
               "anggaran mengikuti tahun perpanjangan; nomor dokumen anggaran tahun lama tidak disalin ke tahun baru: "
               "isi yang baru setelah menekan Perpanjang); semua aturan skema (dan pagu anggaran) diperiksa lagi.")
    if not ending.total:
        st.info(f"Tidak ada kepesertaan yang selesai {format_month(this_month)} atau {format_month(next_month)}.")
    renewal_rows(ending, 2)

with ended_tab:
    lapse = app.settings.lapse_months
    st.caption(f"Kepesertaan yang bulannya sudah selesai dalam {lapse} bulan terakhir dan belum diperpanjang: "
               "pekerjanya tidak lagi ditanggung. Perpanjangan melanjutkan dari bulan sesudah bulan terakhirnya; "
               f"iuran bulan yang sudah lewat ditagih sebagai tunggakan, yang harus dibayar dalam {lapse} bulan "
               "setelah jatuh tempo. Pekerja yang kepesertaannya sudah berakhir karena tunggakan, dan kepesertaan "
               f"yang selesai lebih dari {lapse} bulan lalu, didaftarkan lagi di halaman Daftarkan kepesertaan.")
    if not ended.total:
        st.info(f"Tidak ada kepesertaan yang selesai dalam {lapse} bulan terakhir tanpa diperpanjang.")
    renewal_rows(ended, 3)
