"""The scheme editor of the Skema page: everything a TOML scheme can say, in a form.

The scheme being edited is data in session state (``DRAFT``, a declaration as
``payung.schemes.declarative`` reads it); every run renders the form from it and writes each
widget's value back, so each rule's sentence follows the edit at once. Structural changes
(add, remove, move, nest) are collected while the form is drawn and applied at its end; the
widgets are then made again from the data (their keys carry a generation number). The editor
runs as a fragment: a click reruns the form, not the scheme list above it.
"""

from __future__ import annotations

import datetime as dt
import inspect
import re
import tomllib
from types import MappingProxyType

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from payung.auth.access import Actor
from payung.base import money, sponsor_types
from payung.base.errors import PayungError, ValidationError
from payung.base.formats import count
from payung.imports.normalize import parse_rupiah_cell
from payung.schemes import copying, drafts, editing, model, rules, standard_panels
from payung.schemes.copying import NATIONAL_BASIS, copy_defaults, copyable
from payung.schemes.declarative import read_file
from payung.schemes.fields import FIELD_TYPES, carried_by_default
from ui.session import connection, fragment_actor, payung, reload_payung
from ui.widgets import DATE_HELP, chars, plain

# Read-only views of the core's tables this form offers (module state is shared by every session).
PROGRAMS = MappingProxyType(money.PROGRAMS)
SPONSOR_TYPES = MappingProxyType(sponsor_types.SPONSOR_TYPES)
BILL_BY = MappingProxyType(model.BILL_BY)
LIBRARY = MappingProxyType(rules.LIBRARY)
STANDARD_PANELS = MappingProxyType(standard_panels.STANDARD_PANELS)

#: Session key of the scheme being edited: ``data``, ``editing`` (code of the TOML scheme changed
#: in place, or None), ``source`` (code copied from), ``left_out``, ``gen``.
DRAFT = "_ed_draft"
#: Key in the draft of what the last save (or retirement) said: shown beside the buttons, inside
#: the editor's fragment, until the next click on Periksa or Simpan answers instead. (On the page's
#: top it stayed on screen through the fragment's reruns, beside a later save's refusal.)
SAID = "said"
PERIODS = (1, 3, 6, 12)
PICK = "Pilih..."


# One rule parameter ------------------------------------------------------------------------------


def param_input(
    settings,
    label: str,
    value,
    key: str,
    kind: str = "text",
    *,
    fields: dict | None = None,
    field_value_of: str | None = None,
    choices: dict | None = None,
    container=st,
):
    """A widget for one rule parameter, giving back a value of the same type: codes are chosen
    by their labels (occupations, sponsor types, programs, the scheme's fields and their
    choices), Rupiah is typed with thousand separators (2.000.000)."""
    fields = fields or {}
    if choices:
        options = list(choices)
        return container.selectbox(
            label,
            options,
            placeholder=PICK,
            index=options.index(value) if value in options else 0,
            key=key,
            format_func=choices.get,
        )
    if kind == "occupations" and isinstance(value, list):
        options = list(dict.fromkeys([*settings.occupations, *value]))
        return container.multiselect(
            label,
            options,
            default=value,
            key=key,
            placeholder="Pilih pekerjaan",
            format_func=lambda c: settings.occupations.get(c, c),
        )
    if kind == "sponsor_types" and isinstance(value, list):
        options = list(dict.fromkeys([*SPONSOR_TYPES, *value]))
        return container.multiselect(
            label,
            options,
            default=value,
            key=key,
            placeholder="Pilih jenis",
            format_func=lambda c: SPONSOR_TYPES[c].label if c in SPONSOR_TYPES else c,
        )
    if kind == "programs" and isinstance(value, list):
        return container.multiselect(
            label,
            list(PROGRAMS),
            placeholder=PICK,
            default=[v for v in value if v in PROGRAMS],
            key=key,
            format_func=lambda p: f"{p} ({PROGRAMS[p]})",
        )
    if kind == "field" and isinstance(value, str) and value in fields:
        return container.selectbox(
            label,
            list(fields),
            index=list(fields).index(value),
            key=key,
            placeholder="Pilih isian",
            format_func=lambda n: fields[n]["label"],
        )
    if kind == "fields" and isinstance(value, list) and set(value) <= set(fields):
        return container.multiselect(
            label,
            list(fields),
            default=value,
            key=key,
            placeholder="Pilih isian",
            format_func=lambda n: fields[n]["label"],
        )
    if kind == "field_value" and field_value_of in fields and fields[field_value_of].get("choices"):
        options = dict(c if isinstance(c, (list, tuple)) else (c, c) for c in fields[field_value_of]["choices"])
        if value in options:
            return container.selectbox(
                label,
                list(options),
                index=list(options).index(value),
                key=key,
                placeholder=PICK,
                format_func=options.get,
            )
    if kind == "rupiah" and isinstance(value, int) and not isinstance(value, bool):
        typed = container.text_input(label, value=count(value), key=key, help="Rupiah, contoh 2.000.000.")
        try:  # the importer's Rupiah reader; what it cannot read goes to the loader's own check
            return parse_rupiah_cell(typed)
        except ValueError:
            return typed
    if isinstance(value, bool):
        return container.checkbox(label, value=value, key=key)
    if isinstance(value, int):
        return int(container.number_input(label, value=value, step=1, key=key))
    if isinstance(value, list) and value and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return _numbers(
            container.text_input(label, value=", ".join(map(str, value)), key=key, help="Pisahkan dengan koma.")
        )
    if isinstance(value, list):
        typed = container.text_input(label, value=", ".join(map(str, value)), key=key, help="Pisahkan dengan koma.")
        return [v.strip() for v in typed.split(",") if v.strip()]
    return container.text_input(label, value="" if value is None else str(value), key=key)


# The most digits a typed whole number is read with: Python refuses to read one of more than 4.300
# (ValueError), and no count, bound or amount of a scheme has more than 19. Longer stays text, which
# the loader names as not a whole number.
_MAX_DIGITS = 30


def _whole(typed: str) -> int | str:
    """``typed`` as a whole number when it is one of at most ``_MAX_DIGITS`` digits, else the text."""
    typed = typed.strip()
    return int(typed) if re.fullmatch(rf"-?[0-9]{{1,{_MAX_DIGITS}}}", typed) else typed


def _numbers(typed: str) -> list:
    """``"12, 6"`` -> ``[12, 6]``; what is not a number stays text, for the loader to name."""
    return [_whole(v) for v in typed.split(",") if v.strip()]


def _scalar(typed: str):
    """A bound or default typed as text: a whole number when it is one, else the text ("" -> None)."""
    typed = typed.strip()
    if not typed:
        return None
    return _whole(typed)


def _shown(value) -> str:
    """A default or bound in its box: true/false as TOML writes them (str(True) is "True")."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _field_value(spec: dict, typed: str):
    """A field's default typed as text, of the field's type: a text field's "007" stays text (read
    as the number 7 it was refused, "harus teks", on every save of the file, whatever was edited),
    a choice's value as the choices have it (the number 1 of ``choices = [1, 2, 3]``), a yes/no
    field's true or false; a number field's a whole number ("" -> None)."""
    kind = spec.get("type", "text")
    typed = typed.strip()
    if not typed or kind in ("integer", "rupiah", "year"):
        return _scalar(typed)
    if kind in ("choice", "multichoice"):
        values = {str(c[0] if isinstance(c, list) else c): c[0] if isinstance(c, list) else c
                  for c in spec.get("choices", [])}
        return values.get(typed, _scalar(typed))
    if kind == "bool":
        return {"true": True, "false": False}.get(typed.lower(), typed)
    return typed


def _choices_as_typed(typed: str, before: list) -> list:
    """The choices typed one a line ("kode = label"), each value as the file had it: the number 1
    of ``choices = [1, 2, 3]`` stays a number (written back as "1", the default 1 no longer one
    of them and the save refused)."""
    values = {str(c[0] if isinstance(c, list) else c): c[0] if isinstance(c, list) else c for c in before}
    result = []
    for line in typed.splitlines():
        if not line.strip():
            continue
        if "=" in line:
            code, label = (part.strip() for part in line.split("=", 1))
            result.append([values.get(code, code), label])
        else:
            result.append(values.get(line.strip(), line.strip()))
    return result


# Opening a draft ----------------------------------------------------------------------------------


def _open(
    data: dict,
    *,
    editing_code: str | None = None,
    base: str | None = None,
    source: str | None = None,
    left_out=(),
    agreed: bool = False,
) -> None:
    """``base``: the text of the file being edited, as opened (a save over a file changed since is
    refused); ``agreed``: the administrator agreed to copy ``source`` without its ``left_out`` rules."""
    old = st.session_state.get(DRAFT) or {}
    st.session_state[DRAFT] = {
        "data": data,
        "editing": editing_code,
        "base": base,
        "source": source,
        "left_out": list(left_out),
        "agreed": agreed,
        "gen": old.get("gen", 0) + 1,
    }


def chooser(app) -> None:
    """Where a draft starts: a blank scheme, a copy of a loaded one, or a TOML scheme changed in place."""
    registry = app.plugins
    modes = {"baru": "Skema baru (kosong)", "salin": "Salinan skema yang ada", "ubah": "Ubah skema TOML yang ada"}
    mode = st.radio("Mulai dari", list(modes), format_func=modes.get, horizontal=True, key="ed_mode")
    choices = (
        list(registry.schemes)
        if mode == "salin"
        else [c for c in registry.schemes if editing.editable_file(registry, c)]
        if mode == "ubah"
        else []
    )
    code = None
    if mode != "baru":
        code = st.selectbox(
            "Skema sumber",
            choices,
            key=f"ed_pick_{mode}",
            placeholder="Pilih skema",
            format_func=lambda c: f"{registry.schemes[c].name} ({c})",
        )
    origin = copyable(registry, code) if mode == "salin" and code is not None else None
    agreed = _copy_warnings(origin, code)
    if not st.button("Buka di formulir", key="ed_open", disabled=mode != "baru" and code is None):
        return
    if mode == "baru":
        _open(
            editing.blank_declaration(app.settings)
            | {"started": copy_defaults()["started"].isoformat(), "legal_basis": NATIONAL_BASIS}
        )
    elif mode == "salin":
        refused = _blocked(origin) or plain(" ".join(copying.left_out_problems(origin.left_out, agreed)))
        if refused:
            st.error(refused)
            return
        defaults = copy_defaults()
        _open(
            origin.data
            | {"code": "", "started": defaults["started"].isoformat(), "legal_basis": defaults["legal_basis"]},
            source=code,
            left_out=origin.left_out,
            agreed=agreed,
        )
    else:
        text = read_file(editing.editable_file(registry, code))
        _open(tomllib.loads(text), editing_code=code, base=text)


def _blocked(origin) -> str:
    """Why no TOML copy of ``origin`` can be made (a contribution adjustment in Python), or ""."""
    if not origin.blockers:
        return ""
    return ("Skema ini tidak dapat disalin sebagai TOML: " + plain("; ".join(origin.blockers))
            + ". Salin modul Python-nya di folder plugins/ (lihat docs/plugins/tutorial.md).")


def _copy_warnings(origin, code: str | None) -> bool:
    """What a copy of ``code`` cannot carry into TOML, said before the form opens; with Python
    rules the copy will not check, the administrator's agreement (returned)."""
    if origin is None:
        return False
    if origin.blockers:
        st.warning(_blocked(origin))
        return False
    if not origin.left_out:
        return False
    st.warning(
        "Aturan berikut ditulis dalam Python dan tidak ikut disalin; skema salinan tidak memeriksanya: "
        + plain("; ".join(origin.left_out))
        + ". Untuk memeriksanya juga, salin modul Python-nya di folder plugins/ (lihat docs/plugins/tutorial.md)."
    )
    return st.checkbox("Saya mengerti: salin tanpa aturan tersebut", key=f"ed_agree_{code}")


# The form --------------------------------------------------------------------------------------


#: (picker key, pick) just added as a rule: the next run draws that picker empty, unless another
#: rule was picked meanwhile (a run cut short by the pick never reached the picker).
_USED_PICK = "_ed_used_pick"


class _Form:
    """One run of the form over the draft: ``k(name)`` keys a widget, ``later(step)`` queues a
    structural change applied when the whole form has been read."""

    def __init__(self, app, draft: dict):
        self.app, self.settings, self.draft, self.data = app, app.settings, draft, draft["data"]
        self.gen, self.steps = draft["gen"], []

    def k(self, name: str) -> str:
        return f"ed{self.gen}_{name}"

    def later(self, step) -> None:
        self.steps.append(step)

    def buttons(self, items: list, index: int, name: str, container=st) -> None:
        """Up, down and remove for item ``index`` of ``items``."""
        up, down, remove = container.columns(3)
        if up.button("↑", key=self.k(f"{name}_up"), help="Naikkan", disabled=index == 0):
            self.later(lambda: items.__setitem__(slice(None), drafts.moved(items, index, -1)))
        if down.button("↓", key=self.k(f"{name}_down"), help="Turunkan", disabled=index == len(items) - 1):
            self.later(lambda: items.__setitem__(slice(None), drafts.moved(items, index, 1)))
        if remove.button("✕", key=self.k(f"{name}_remove"), help="Hapus"):
            self.later(lambda: items.pop(index))

    # Parts of the scheme ---------------------------------------------------------------------

    def about(self) -> None:
        data, settings, editing_code = self.data, self.settings, self.draft["editing"]
        left, right = st.columns(2)
        data["code"] = left.text_input(
            "Kode skema *",
            value=data.get("code", ""),
            key=self.k("code"),
            disabled=bool(editing_code),
            help="Huruf kecil, angka dan garis bawah; menjadi nama berkas TOML. Tidak dapat diubah setelah disimpan.",
        ).strip()
        data["name"] = right.text_input("Nama skema *", value=data.get("name", ""), key=self.k("name"),
                                         max_chars=chars("name", data.get("name"))).strip()
        regencies = {r.code: r.name for r in settings.regencies}
        options = list(dict.fromkeys([*regencies, data["regency_code"]]))
        data["regency_code"] = left.selectbox(
            "Kabupaten *",
            options,
            placeholder=PICK,
            index=options.index(data["regency_code"]),
            key=self.k("regency"),
            disabled=bool(editing_code),
            format_func=lambda c: f"{regencies.get(c, c)} ({c})",
        )
        started = _date(data.get("started"))
        chosen = right.date_input(
            "Tanggal mulai skema *",
            value=started,
            format="DD/MM/YYYY",
            key=self.k("started"),
            min_value=dt.date(2015, 1, 1),
            help=DATE_HELP,
        )
        data["started"] = chosen.isoformat() if chosen else ""
        data["description"] = st.text_area(
            "Uraian skema", value=data.get("description", ""), key=self.k("description"),
            max_chars=chars("description", data.get("description"))
        ).strip()
        data["legal_basis"] = st.text_input(
            "Dasar hukum *", value=data.get("legal_basis", ""), key=self.k("legal_basis"),
            max_chars=chars("legal_basis", data.get("legal_basis"))
        ).strip()
        left, right = st.columns(2)
        data["funding_source"] = left.text_input(
            "Sumber dana", value=data.get("funding_source", ""), key=self.k("funding_source"),
            max_chars=chars("funding_source", data.get("funding_source"))
        ).strip()
        codes = list(settings.funding_codes)
        current = data.get("funding_code", "SG")
        data["funding_code"] = right.selectbox(
            "Kode sumber dana (wadah BPJS)",
            codes,
            placeholder=PICK,
            index=codes.index(current) if current in codes else 0,
            key=self.k("funding_code"),
            format_func=lambda c: f"{c} — {settings.funding_codes[c]}",
        )
        data["sponsor_types"] = st.multiselect(
            "Jenis penyandang dana yang boleh (kosong: semua jenis)",
            list(SPONSOR_TYPES),
            placeholder=PICK,
            default=[t for t in data.get("sponsor_types", []) if t in SPONSOR_TYPES],
            key=self.k("sponsor_types"),
            format_func=lambda t: SPONSOR_TYPES[t].label,
        )

    def terms(self) -> None:
        data = self.data
        left, middle, right = st.columns(3)
        data["programs"] = left.multiselect(
            "Program yang dibiayai",
            list(PROGRAMS),
            placeholder=PICK,
            default=[p for p in data.get("programs", ["JKK", "JKM"]) if p in PROGRAMS],
            key=self.k("programs"),
            format_func=lambda p: f"{p} ({PROGRAMS[p]})",
        )
        only = left.checkbox(
            "Hanya program ini (yang lain tidak ditawarkan)",
            key=self.k("programs_only"),
            value=any(r.get("rule") == "programs_in" for r in data.get("rules", [])),
        )
        self._only_programs(only)
        data["months"] = _numbers(
            middle.text_input(
                "Lama kepesertaan (bulan)",
                value=", ".join(map(str, data.get("months", [12]))),
                key=self.k("months"),
                help="Satu atau beberapa, dipisah koma; yang pertama menjadi pilihan awal. Contoh: 12, 6.",
            )
        )
        data["payment_periods"] = middle.multiselect(
            "Periode pembayaran (kosong: semua)",
            list(PERIODS),
            placeholder=PICK,
            key=self.k("periods"),
            default=[p for p in data.get("payment_periods", []) if p in PERIODS],
            format_func=lambda n: "Bulanan" if n == 1 else f"{n} bulan di muka",
        )
        current = data.get("bill_by", "sponsor")
        data["bill_by"] = right.selectbox(
            "Tagihan dikirim ke",
            list(BILL_BY),
            placeholder=PICK,
            index=list(BILL_BY).index(current) if current in BILL_BY else 0,
            key=self.k("bill_by"),
            format_func=BILL_BY.get,
        )
        data["panels"] = right.multiselect(
            "Panel dasbor",
            list(STANDARD_PANELS),
            placeholder=PICK,
            key=self.k("panels"),
            default=[p for p in data.get("panels", []) if p in STANDARD_PANELS],
            format_func=lambda p: STANDARD_PANELS[p][0],
        )

    def _only_programs(self, only: bool) -> None:
        """ "Only these programs" is the library rule ``programs_in``, kept equal to the programs."""
        rules = self.data.setdefault("rules", [])
        kept = [r for r in rules if r.get("rule") != "programs_in"]
        if only:
            kept.append({"rule": "programs_in", "programs": list(self.data["programs"])})
        rules[:] = kept

    def targets(self) -> None:
        st.markdown("**Target**")
        targets = self.data.setdefault("targets", [])
        for i, target in enumerate(targets):
            left, middle, right, tools = st.columns([4, 2, 2, 2])
            target["label"] = left.text_input(
                f"Target {i + 1}", value=target.get("label", ""), key=self.k(f"t{i}_label"),
                max_chars=chars("label", target.get("label"))
            )
            target["value"] = int(
                middle.number_input(
                    "Nilai", value=int(target.get("value", 0)), min_value=0, step=1, key=self.k(f"t{i}_value")
                )
            )
            per = {"regency": "Se-kabupaten", "village": "Per desa"}
            target["per"] = right.selectbox(
                "Berlaku",
                list(per),
                placeholder=PICK,
                index=list(per).index(target.get("per", "regency")) if target.get("per", "regency") in per else 0,
                key=self.k(f"t{i}_per"),
                format_func=per.get,
            )
            self.buttons(targets, i, f"t{i}", tools)
        if st.button("Tambah target", key=self.k("t_add")):
            self.later(lambda: targets.append({"label": "Target baru", "value": 0, "per": "regency"}))

    def fields(self) -> None:
        st.markdown("**Isian khusus**")
        fields = self.data.setdefault("fields", [])
        for i, spec in enumerate(fields):
            with st.container(border=True):
                name, label, kind, required, tools = st.columns([2, 3, 2, 1, 2])
                spec["name"] = name.text_input(
                    "Kode isian", value=spec.get("name", ""), key=self.k(f"f{i}_name")
                ).strip()
                spec["label"] = label.text_input(
                    "Label", value=spec.get("label", ""), key=self.k(f"f{i}_label"),
                    max_chars=chars("label", spec.get("label"))
                ).strip()
                current = spec.get("type", "text")
                spec["type"] = kind.selectbox(
                    "Jenis",
                    list(FIELD_TYPES),
                    placeholder=PICK,
                    key=self.k(f"f{i}_type"),
                    index=list(FIELD_TYPES).index(current) if current in FIELD_TYPES else 0,
                    format_func=drafts.FIELD_TYPE_WORDS.get,
                )
                spec["required"] = required.checkbox("Wajib", value=bool(spec.get("required")), key=self.k(f"f{i}_req"))
                self.buttons(fields, i, f"f{i}", tools)
                if spec["type"] in ("choice", "multichoice"):
                    typed = st.text_area(
                        "Pilihan (satu per baris: kode = label)",
                        key=self.k(f"f{i}_choices"),
                        value="\n".join(
                            f"{c[0]} = {c[1]}" if isinstance(c, list) else str(c) for c in spec.get("choices", [])
                        ),
                    )
                    spec["choices"] = _choices_as_typed(typed, spec.get("choices", []))
                else:
                    spec.pop("choices", None)
                low, high, default, help_text = st.columns(4)
                for key, column, words in (
                    ("minimum", low, "Paling kecil"),
                    ("maximum", high, "Paling besar"),
                    ("default", default, "Nilai awal"),
                ):
                    value = spec.get(key)
                    typed = column.text_input(words, value="" if value is None else _shown(value),
                                              key=self.k(f"f{i}_{key}"))
                    spec[key] = _field_value(spec, typed) if key == "default" else _scalar(typed)
                spec["help"] = help_text.text_input("Keterangan", value=spec.get("help", ""), key=self.k(f"f{i}_help"),
                                                    max_chars=chars("help", spec.get("help")))
                # Stated for every field, as its type leaves it unless the file says (the save
                # writes it only where it is not the type's default: editing._as_written). The
                # type is in the key: another type starts from its own default.
                carried = spec.get("carry_over")
                spec["carry_over"] = st.checkbox(
                    "Disalin saat diperpanjang ke tahun berikutnya",
                    value=carried_by_default(spec["type"]) if carried is None else bool(carried),
                    key=self.k(f"f{i}_carry_{spec['type']}"),
                    help="Dicentang: perpanjangan ke tahun baru menyalin isian ini (misalnya jabatan). Tidak "
                         "dicentang: isian ini dikosongkan dan ditanyakan lagi saat perpanjangan (misalnya nomor "
                         "dokumen anggaran tahun itu). Bawaannya: isian teks tidak disalin, jenis lain disalin.")
                for key in ("minimum", "maximum", "default", "help", "required"):
                    if drafts.unset(spec.get(key)):
                        spec.pop(key, None)
        if st.button("Tambah isian", key=self.k("f_add")):
            self.later(lambda: fields.append(drafts.new_field(fields)))

    def rules(self) -> None:
        st.markdown("**Aturan** (dari pustaka aturan; kalimatnya mengikuti isian)")
        self._rule_list(self.data.setdefault("rules", []), "r", top=True)

    def _rule_list(self, rules: list[dict], path: str, *, top: bool) -> None:
        fields = {f.get("name"): f for f in self.data.get("fields", []) if f.get("name")}
        for i, spec in enumerate(rules):
            if spec.get("rule") not in LIBRARY:
                st.error(f"Aturan tidak dikenal: {plain(spec.get('rule'))}")
                continue
            with st.container(border=True):
                sentence, tools = st.columns([8, 2])
                slot = sentence.empty()
                self.buttons(rules, i, f"{path}{i}", tools)
                self._params(spec, f"{path}{i}", fields)
                slot.markdown(f"**{i + 1}.** {plain(drafts.rule_sentence(spec))}")
                if top and any(r.get("rule") in drafts.HOLDERS for r in rules[:i]):
                    if st.button("Masukkan ke aturan «Bila» di atas", key=self.k(f"{path}{i}_nest")):
                        self.later(lambda i=i: rules.__setitem__(slice(None), drafts.nested(rules, i)))
                if spec["rule"] in drafts.HOLDERS:
                    inner = spec.setdefault("rules", [])
                    st.caption("Aturan yang berlaku bila syarat di atas terpenuhi:")
                    self._rule_list(inner, f"{path}{i}_", top=False)
                    if top:
                        for j, _ in enumerate(inner):
                            if st.button(f"Keluarkan aturan {j + 1} dari «Bila»", key=self.k(f"{path}{i}_out{j}")):
                                self.later(
                                    lambda i=i, j=j: rules.__setitem__(slice(None), drafts.unnested(rules, i, j))
                                )
        # The top picker and its button keep one key for the whole session (not the generation's):
        # on a busy server a person picks and clicks while the form is still being drawn again
        # after the last change, on the widgets of the generation before. Keyed by generation,
        # that pick and click were lost and the button stayed disabled. The button is never
        # disabled (its state would be the last run's, not the pick just made); nothing picked
        # is said instead. Pickers inside a «Bila» belong to that rule's place: generation keys.
        menu = drafts.library_menu()
        pick, add = st.columns([8, 2])
        key = f"ed_{path}" if top else self.k(path)
        used = st.session_state.get(_USED_PICK)
        if used and used[0] == key:  # a pick adds its rule once (see below)
            del st.session_state[_USED_PICK]
            if st.session_state.get(f"{key}_pick") == used[1]:  # not a new pick made meanwhile
                st.session_state[f"{key}_pick"] = None
        name = pick.selectbox(
            "Aturan dari pustaka" if top else "Aturan dari pustaka (di dalam «Bila»)",
            list(menu),
            key=f"{key}_pick",
            format_func=menu.get,
            index=None,
            placeholder="Pilih aturan untuk ditambahkan",
        )
        if add.button("Tambah aturan", key=f"{key}_add"):
            if name is None:
                st.warning("Pilih dulu aturan dari pustaka, lalu tekan Tambah aturan.", icon=":material/info:")
            else:
                # The pick is used up: the run after this one draws the picker empty, so a second
                # press (on a slow server a person presses again when nothing seems to happen)
                # says "Pilih dulu" instead of adding the same rule twice.
                self.later(lambda: (rules.append(drafts.new_rule(name, blank=True)),
                                    st.session_state.__setitem__(_USED_PICK, (key, name) if top else None)))

    def _params(self, spec: dict, key: str, fields: dict) -> None:
        factory = LIBRARY[spec["rule"]]
        for name, parameter in drafts.parameters(spec["rule"]):
            label, kind = factory.labels.get(name, (name, "text"))
            default = None if parameter.default is inspect.Parameter.empty else parameter.default
            value = spec.get(name, default)
            if value is None and parameter.kind is inspect.Parameter.VAR_POSITIONAL:
                value = []
            if name == "value" and not isinstance(value, (str, int)):
                continue
            edited = param_input(
                self.settings,
                label,
                value,
                self.k(f"{key}_{name}"),
                kind,
                fields=fields,
                field_value_of=spec.get("field"),
                choices=factory.choices.get(name),
            )
            if default is not None and edited == default and name not in spec:
                continue
            spec[name] = edited

    # What the form says, and saving -------------------------------------------------------------

    def notes(self) -> None:
        source = self.draft.get("source")
        source_regency = self.app.plugins.schemes[source].regency_code if source in self.app.plugins.schemes else None
        for message in drafts.source_mentions(self.data, self.settings, source_regency):
            st.warning(plain(message) + " Ganti dengan kabupaten skema ini sebelum menyimpan.", icon=":material/edit:")
        st.info(
            "**Biaya seorang pekerja:**  \n"
            + "  \n".join(plain(line) for line in drafts.monthly_costs(self.data, self.settings)),
            icon=":material/payments:",
        )

    def actions(self, actor: Actor) -> None:
        check, save = st.columns(2)
        checking = check.button("Periksa", key=self.k("check"))
        saving = save.button("Simpan skema", key=self.k("save"), type="primary")
        if checking or saving:  # the answer to this click replaces the last save's
            self.draft.pop(SAID, None)
        if checking:
            with connection() as db:
                scheme, problems = editing.check_scheme(
                    self.app.plugins, self.data, db=db, editing=self.draft["editing"]
                )
            for problem in problems:
                st.error(plain(problem))
            if scheme is not None:
                st.success("Skema ini dapat disimpan.", icon=":material/check_circle:")
        if saving:
            self._save(actor)
        if self.draft.get(SAID):
            st.success(plain(self.draft[SAID]), icon=":material/check_circle:")

    def _save(self, actor: Actor) -> None:
        draft = self.draft
        header = f"{self.data['name']}\nDisimpan dari halaman Skema oleh {actor.username}."
        try:
            with connection() as db:
                saved = editing.save_scheme(
                    db, self.app.plugins, self.data, actor=actor, editing=draft["editing"], header=header,
                    base=draft.get("base"), copied_from=draft.get("source") or "", left_out=draft.get("left_out", ()),
                    agreed=draft.get("agreed", False),
                )
        except ValidationError as exc:
            for problem in exc.problems:
                st.error(plain(problem.message))
            return
        except PayungError as exc:
            st.error(plain(exc))
            return
        reload_payung()
        _open(saved.data, editing_code=saved.data["code"], base=saved.text)
        st.session_state[DRAFT][SAID] = (
            f"Skema {saved.data['name']} tersimpan di {saved.path.name} (versi "
            f"{saved.version}: {saved.summary}) dan sudah aktif."
        )
        st.rerun()

    def history(self, actor: Actor) -> None:
        code = self.draft["editing"]
        if not code:
            return
        with connection() as db:
            versions = editing.versions(db, code)
        with st.expander(f"Riwayat versi ({len(versions)})"):
            for row in versions:
                st.markdown(
                    f"**Versi {row['version']}** · {plain(row['created_at'][:16])} · {plain(row['created_by'])}"
                    f" · {plain(row['summary'])}"
                )
                st.code(row["diff"] or "(sama)", language="diff")
        with st.expander("Pensiunkan skema"):
            st.caption(
                "Skema yang dipensiunkan tidak menerima kepesertaan baru. Kepesertaan, tagihan, pembayaran dan "
                "riwayatnya tetap ada; kodenya tidak dapat dipakai skema lain."
            )
            sure = st.checkbox("Saya yakin skema ini tidak menerima kepesertaan baru lagi", key=self.k("retire_sure"))
            if st.button("Pensiunkan", key=self.k("retire"), disabled=not sure):
                try:
                    with connection() as db:
                        editing.retire_scheme(db, self.app.plugins, code, actor=actor)
                except PayungError as exc:
                    st.error(plain(exc))
                    return
                reload_payung()
                self.draft[SAID] = f"Skema {self.data['name']} dipensiunkan."
                st.rerun()


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


@st.fragment
def editor(actor: Actor) -> None:
    """The form over the draft, if one is open."""
    actor = fragment_actor(actor, "scheme.manage")
    draft = st.session_state.get(DRAFT)
    if not draft:
        return
    form = _Form(payung(), draft)
    if draft["editing"]:
        st.markdown(f"**Mengubah skema {plain(draft['editing'])}** (setiap simpan menjadi versi baru)")
    elif draft.get("source"):
        st.markdown(f"**Skema baru, salinan dari {plain(draft['source'])}**")
    if draft.get("left_out"):
        st.warning(
            "Tidak ikut disalin (ditulis dalam Python, tidak diperiksa skema ini): "
            + plain("; ".join(draft["left_out"]))
            + "."
        )
    form.about()
    form.terms()
    form.targets()
    form.fields()
    form.rules()
    form.notes()
    form.actions(actor)
    form.history(actor)
    if form.steps:
        for step in form.steps:
            step()
        draft["gen"] += 1
        ctx = get_script_run_ctx()  # a fragment-scoped rerun only from a fragment's own rerun
        st.rerun(scope="fragment" if ctx and ctx.fragment_ids_this_run else "app")
