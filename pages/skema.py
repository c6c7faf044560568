"""Skema: every loaded scheme in plain words, with its targets and progress; plugins that
could not be loaded are listed with their error instead of hiding the app. An administrator
copies a scheme for another regency here ("Salin skema"), saved as a TOML file, and creates,
edits (each save a version) or retires a scheme in the scheme editor (``ui.scheme_editor``)."""

import copy
import inspect

import streamlit as st

from payung.auth.access import allowed
from payung.finance.claims import protection_panel
from payung.schemes.data import reader_for
from payung.base.errors import PayungError, ValidationError
from payung.base.months import current_month
from payung.schemes.declarative import build_rule
from payung.base.formats import count
from payung.schemes.rules import LIBRARY
from payung.schemes.copying import check_copy, copy_defaults, copyable, save_scheme_copy
from payung.schemes.overview import scheme_overview
from payung.base.sponsor_types import SPONSOR_TYPES
from ui.reference_forms import occupation_form, regency_form
from ui.scheme_editor import chooser, editor, param_input
from ui.session import connection, payung, reload_payung, require
from ui.widgets import panel, plain, show_saved_message

actor = require("scheme.read")
app = payung()
st.title("Skema")
show_saved_message()
with connection() as db:
    overview = scheme_overview(db, app.plugins, actor=actor)
    for item in overview:
        scheme = item["scheme"]
        with st.expander(f"**{plain(scheme.name)}** · {item['regency']}", expanded=len(overview) == 1):
            if item["retired_at"]:
                st.warning(f"Dipensiunkan pada {item['retired_at'][:10]}: tidak menerima kepesertaan baru.",
                           icon=":material/archive:")
            st.markdown(plain(scheme.description))
            facts = [("Dasar hukum", scheme.legal_basis), ("Sumber dana", scheme.funding_source),
                     ("Kode wadah BPJS", f"{scheme.funding_code} ({app.settings.funding_codes.get(scheme.funding_code, '')})"),
                     ("Penyandang dana", ", ".join(SPONSOR_TYPES[t].label for t in scheme.sponsor_types) or "semua jenis"),
                     ("Program", " + ".join(scheme.programs)),
                     ("Lama kepesertaan", " atau ".join(f"{m} bulan" for m in scheme.months))]
            st.markdown("  \n".join(f"**{label}:** {plain(value)}" for label, value in facts if value))
            if scheme.rules:
                st.markdown("**Aturan:**\n" + "\n".join(f"- {plain(rule.description)}" for rule in scheme.rules))
            fields = app.plugins.fields(scheme)
            if fields:
                st.markdown("**Isian khusus:** " + ", ".join(plain(f.label) + (" (wajib)" if f.required else "")
                                                             for f in fields))
            st.metric("Kepesertaan aktif", count(item["live"]))
            for target in item["targets"]:
                share = min(1.0, item["live"] / target.value) if target.value else 0.0
                st.progress(share, text=f"Target {plain(target.label)}: {count(target.value)}")
            panel(protection_panel(db, scheme_code=scheme.code, actor=actor))
            if allowed(actor, "scheme.manage"):  # for the developer who maintains it, not in the facts
                st.caption(f"Berkas skema di folder plugin: {plain(item['plugin'])}")
            for p in app.plugins.panels(scheme, reader_for(db, actor=actor), current_month()):
                panel(p)
if not overview:
    st.info("Belum ada skema yang dimuat. Tambahkan modul skema di folder plugins/ (lihat docs/plugins/tutorial.md).")
problems = [s for s in app.plugins.statuses if s.state != "aktif"]
if problems:
    st.subheader("Plugin yang tidak dimuat")
    for status in problems:
        (st.error if status.state == "galat" else st.info)(
            f"**{plain(status.name)}** ({'galat' if status.state == 'galat' else 'dinonaktifkan'}): {plain(status.error)}",
            icon=":material/extension_off:")


# Salin skema --------------------------------------------------------------------------------

def _rule_inputs(spec: dict, key: str, fields: dict) -> dict:
    """Inputs for a rule's parameters (and those of the rules inside a ``when``), each under the
    Indonesian label the rule library gives it, below what the rule checks."""
    edited = {"rule": spec["rule"]}
    factory = LIBRARY[spec["rule"]]
    parameters = inspect.signature(factory).parameters
    try:
        st.markdown(f"*{plain(build_rule(spec).description)}*")
    except Exception:  # a rule the library cannot build as it stands: its name, the check says why
        st.markdown(f"*{plain(spec['rule'])}*")
    for name, value in spec.items():
        if name == "rule":
            continue
        label, kind = factory.labels.get(name, (name, "text"))
        if name == "rules" and parameters[name].kind is inspect.Parameter.VAR_POSITIONAL:
            edited[name] = [_rule_inputs(inner, f"{key}_{i}", fields) for i, inner in enumerate(value)]
        elif name == "when" or (name == "value" and not isinstance(value, (str, int))):
            edited[name] = value
        else:
            edited[name] = param_input(app.settings, label, value, f"{key}_{name}", kind, fields=fields,
                                       field_value_of=spec.get("field"), choices=factory.choices.get(name))
    return edited


def _copy_form(source: str, data: dict, left_out: list[str]) -> None:
    settings = app.settings
    regencies = {r.code: r.name for r in settings.regencies}
    with st.form(f"salin_{source}"):
        left, right = st.columns(2)
        regency = left.selectbox("Kabupaten tujuan", list(regencies), placeholder="Pilih kabupaten", format_func=lambda c: f"{regencies[c]} ({c})",
                                 key=f"salin_{source}_regency")
        code = right.text_input("Kode skema baru", value=f"{source}_salinan", key=f"salin_{source}_code",
                                help="Huruf kecil, angka dan garis bawah; menjadi nama berkas TOML.")
        name = st.text_input("Nama skema", value=data["name"], key=f"salin_{source}_name")
        description = st.text_area("Uraian", value=data.get("description", ""), key=f"salin_{source}_description")
        # The copy is a new scheme: its own start and legal basis, never silently the source's.
        left, right = st.columns([1, 2])
        started = left.date_input("Tanggal mulai skema baru *", value=copy_defaults()["started"], format="DD/MM/YYYY",
                                  key=f"salin_{source}_started",
                                  help="Tidak ada bulan kepesertaan atau pembayaran sebelum tanggal ini.")
        legal_basis = right.text_input(
            "Dasar hukum skema baru *", value=copy_defaults()["legal_basis"], key=f"salin_{source}_legal_basis",
            help="Tambahkan peraturan atau surat kabupaten tujuan. Dasar hukum skema asal: "
                 + (data.get("legal_basis") or "-"))
        new = copy.deepcopy(data) | {"code": code.strip(), "name": name.strip(), "regency_code": regency,
                                     "description": description.strip(), "legal_basis": legal_basis.strip(),
                                     "started": started.isoformat() if started else ""}
        if data["targets"]:
            st.markdown("**Target**")
        for i, target in enumerate(data["targets"]):
            left, right = st.columns([3, 1])
            new["targets"][i]["label"] = left.text_input(f"Target {i + 1}", value=target["label"],
                                                         key=f"salin_{source}_target_{i}_label")
            new["targets"][i]["value"] = int(right.number_input(f"Nilai target {i + 1}", value=int(target["value"]),
                                                                min_value=0, step=1,
                                                                key=f"salin_{source}_target_{i}_value"))
        if data["fields"]:
            st.markdown("**Isian khusus**")
        for i, spec in enumerate(data["fields"]):
            left, middle, right = st.columns([3, 1, 2])
            new["fields"][i]["label"] = left.text_input(f"Nama isian {i + 1}", value=spec["label"],
                                                        key=f"salin_{source}_field_{i}_label")
            new["fields"][i]["required"] = middle.checkbox("Wajib", value=spec.get("required", False),
                                                           key=f"salin_{source}_field_{i}_required")
            if spec.get("type") in ("integer", "year", "rupiah") and isinstance(spec.get("default"), int):
                new["fields"][i]["default"] = int(right.number_input(
                    f"Nilai bawaan isian {i + 1}", value=spec["default"], step=1,
                    key=f"salin_{source}_field_{i}_default"))
        if data["rules"]:
            st.markdown("**Parameter aturan**")
        fields = {f["name"]: f for f in data["fields"]}
        new["rules"] = [_rule_inputs(spec, f"salin_{source}_rule_{i}", fields) for i, spec in enumerate(data["rules"])]
        check = st.form_submit_button("Periksa")
        save = st.form_submit_button("Simpan sebagai skema baru", type="primary")
    if not (check or save):
        return
    with connection() as db:
        scheme, problems = check_copy(app.plugins, new, db=db)
    if scheme is not None:
        st.markdown("**Yang akan diperiksa skema ini:**\n" + "\n".join(f"- {plain(r.description)}"
                                                                        for r in scheme.rules))
    for problem in problems:
        st.error(plain(problem))
    if save and scheme is not None:
        try:
            with connection() as db:
                path = save_scheme_copy(db, app.plugins, new, actor=actor, copied_from=source, left_out=left_out)
        except (ValidationError, PayungError) as exc:
            st.error(plain(exc))
            return
        reload_payung()
        st.session_state["_payung_saved"] = f"Skema {scheme.name} tersimpan di {path.name} dan sudah aktif."
        st.rerun()
    elif scheme is not None:
        st.success("Skema ini dapat disimpan.", icon=":material/check_circle:")


if allowed(actor, "scheme.manage") and app.plugins.schemes:
    st.subheader("Salin skema")
    st.caption("Salin skema yang ada (Python atau TOML) untuk kabupaten lain: ubah nama, target, isian dan "
               "parameter aturan, periksa, lalu simpan sebagai berkas TOML di folder plugin.")
    source = st.selectbox("Skema asal", list(app.plugins.schemes), key="salin_source", placeholder="Pilih skema",
                          format_func=lambda c: f"{app.plugins.schemes[c].name} ({c})")
    origin = copyable(app.plugins, source)
    if origin.blockers:
        st.warning("Skema ini tidak dapat disalin sebagai TOML: " + plain("; ".join(origin.blockers))
                   + ". Salin modul Python-nya di folder plugins/ (lihat docs/plugins/tutorial.md).")
    else:
        confirmed = True
        if origin.left_out:
            st.warning("Aturan berikut ditulis dalam Python dan tidak ikut disalin; skema salinan tidak "
                       "memeriksanya: " + plain("; ".join(origin.left_out)) + ". Untuk memeriksanya juga, salin "
                       "modul Python-nya di folder plugins/ (lihat docs/plugins/tutorial.md).")
            confirmed = st.checkbox("Saya mengerti: salin tanpa aturan tersebut", key=f"salin_{source}_left_out")
        if confirmed:
            _copy_form(source, origin.data, origin.left_out)


if allowed(actor, "reference.manage"):
    st.subheader("Kabupaten dan pekerjaan")
    regencies_tab, occupations_tab = st.tabs(["Kabupaten", "Pekerjaan"])
    with regencies_tab:
        regency_form(actor)
    with occupations_tab:
        occupation_form(actor)

if allowed(actor, "scheme.manage"):
    st.subheader("Buat atau ubah skema")
    st.caption("Seluruh skema dalam formulir: data skema, program, lama kepesertaan, penyandang dana, target, isian "
               "dan aturan dari pustaka aturan. Disimpan sebagai berkas TOML di folder plugin, langsung aktif.")
    chooser(app)
    editor(actor)
