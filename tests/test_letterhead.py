"""The letterhead (kop surat, ``payung.reports.letterhead``) on bills, receipts and reports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from PIL import Image

from payung.auth.access import Actor, Forbidden
from payung.base.config import load_settings
from payung.reports.documents import _Document
from payung.base.errors import ValidationError
from payung.reports.letterhead import Letterhead, letterhead_for, save_logo

from conftest import write_config
from test_pages import run, texts

KOP = '''
[letterhead."33.24"]
office = "DINAS SOSIAL KABUPATEN KENDAL"
address = "Jl. Soekarno-Hatta No. 191, Kendal"
official = "Drs. Ahmad Fauzi, M.Si."
nip = "197001011995031001"
'''


def _png(size=(60, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "teal").save(out, "PNG")
    return out.getvalue()


def test_letterhead_from_config_per_regency(tmp_path):
    settings = load_settings(write_config(tmp_path, KOP))
    kendal = letterhead_for(settings, "33.24")
    assert kendal.government == "PEMERINTAH KABUPATEN KENDAL" and kendal.office == "DINAS SOSIAL KABUPATEN KENDAL"
    assert kendal.official == "Drs. Ahmad Fauzi, M.Si." and kendal.official_title == "Kepala Dinas Sosial"
    assert letterhead_for(settings, "33.27").office == "DINAS SOSIAL"  # the shared [letterhead]


def test_the_logo_is_an_admin_upload_stored_as_png_in_the_data_folder(app, db, admin):
    path = save_logo(db, app.settings, "33.24", _png((900, 300)), actor=admin)
    assert path.parent.parent == app.settings.data_dir.resolve() and path.suffix == ".png"
    with Image.open(path) as saved:
        assert saved.format == "PNG" and max(saved.size) <= 400
    assert letterhead_for(app.settings, "33.24").logo == path
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'letterhead_logo'").fetchone()[0] == 1
    with pytest.raises(Forbidden):
        save_logo(db, app.settings, "33.24", _png(), actor=Actor("ani", "operator", "33.24"))
    for bad in (b"%PDF-1.4 bukan gambar", b"", b"GIF89a" + b"0" * 20):
        with pytest.raises(ValidationError):
            save_logo(db, app.settings, "33.24", bad, actor=admin)


def test_documents_carry_the_letterhead_and_the_signature_block(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(_png())
    head = Letterhead("PEMERINTAH KABUPATEN KENDAL", "DINAS SOSIAL", "Jl. Soekarno-Hatta No. 191", "Drs. Ahmad Fauzi",
                      "Kepala Dinas Sosial", "197001011995031001", logo)
    pdf = _Document("Uji")
    pdf.set_compression(False)
    pdf.add_page()
    pdf.kop(head)
    pdf.signature(head, dt.date(2026, 12, 1), left="Bendahara,")
    content = bytes(pdf.output())
    for text in (b"PEMERINTAH KABUPATEN KENDAL", b"DINAS SOSIAL", b"Drs. Ahmad Fauzi", b"NIP 197001011995031001",
                 b"Kepala Dinas Sosial", b"01/12/2026"):
        assert text in content, text
    assert b"/Subtype /Image" in content


def test_bills_receipts_and_reports_take_a_letterhead():
    import inspect

    from payung.reports.documents import bill_pdf, receipt_pdf
    from payung.reports.monthly import report_pdf
    for function in (bill_pdf, receipt_pdf, report_pdf):
        assert "letterhead" in inspect.signature(function).parameters


def test_the_kop_surat_page_is_for_administrators(site):
    at = run("admin", "pages/kop_surat.py")
    assert "Kop surat" in texts(at) and "PEMERINTAH KABUPATEN" in texts(at)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run("operator", "pages/kop_surat.py")


def test_an_administrator_sets_the_texts_in_the_app_over_config_toml(tmp_path, admin):
    from payung.core import Payung
    from payung.reports.letterhead import save_letterhead
    app = Payung.load(write_config(tmp_path, KOP), entry_points=False)
    db = app.open_db()
    app.initialise(db)
    save_letterhead(db, app.settings, "33.24", {"office": "  DINAS SOSIAL P3A  KABUPATEN KENDAL ",
                                                "official": "Hj. Siti Rahayu, S.Sos.", "nip": "19750817 200003 2 001"},
                    actor=admin)
    head = letterhead_for(app.settings, "33.24", db)
    assert head.office == "DINAS SOSIAL P3A KABUPATEN KENDAL" and head.official == "Hj. Siti Rahayu, S.Sos."
    assert head.nip == "197508172000032001"
    # What was left empty comes from config.toml; without the database, config.toml alone.
    assert head.address == "Jl. Soekarno-Hatta No. 191, Kendal" and head.official_title == "Kepala Dinas Sosial"
    assert letterhead_for(app.settings, "33.24").office == "DINAS SOSIAL KABUPATEN KENDAL"
    assert db.execute("SELECT COUNT(*) FROM audit_log WHERE table_name = 'letterheads'").fetchone()[0] == 1
    for bad in ({"nip": "1975081720000320"}, {"nip": "19751317 200003 2 001"}, {"office": "X" * 121}):
        with pytest.raises(ValidationError):
            save_letterhead(db, app.settings, "33.24", bad, actor=admin)
    with pytest.raises(Forbidden):
        save_letterhead(db, app.settings, "33.24", {"office": "X"}, actor=Actor("ani", "operator", "33.24"))
    with pytest.raises(ValidationError):
        save_letterhead(db, app.settings, "99.99", {"office": "X"}, actor=admin)
    db.close()


def test_the_kop_surat_page_edits_the_texts(site):
    at = run("admin", "pages/kop_surat.py", state={"kop_regency": "33.24"})
    at.text_input(key="kop_office_33.24").set_value("DINAS SOSIAL KABUPATEN KENDAL")
    at.text_input(key="kop_nip_33.24").set_value("12345")
    next(b for b in at.button if b.label == "Simpan kop surat").click().run()
    assert any("NIP" in e.value for e in at.error)
    at.text_input(key="kop_nip_33.24").set_value("197001011995031001")
    next(b for b in at.button if b.label == "Simpan kop surat").click().run()
    assert "Kop surat Kabupaten Kendal tersimpan." in texts(at)
    from test_pages import open_db
    with open_db(site) as db:
        head = letterhead_for(site["app"].settings, "33.24", db)
    assert (head.office, head.nip) == ("DINAS SOSIAL KABUPATEN KENDAL", "197001011995031001")
    assert "DINAS SOSIAL KABUPATEN KENDAL" in texts(at)
    # What was not typed keeps following config.toml: a save stores only the fields set here.
    with open_db(site) as db:
        stored = db.execute("SELECT government, address FROM letterheads WHERE regency_code = '33.24'").fetchone()
    assert tuple(stored) == (None, None)
    box = at.text_input(key="kop_government_33.24")
    assert box.value == "" and box.placeholder == "PEMERINTAH KABUPATEN KENDAL"


def test_letterhead_texts_refuse_control_characters(site):
    from payung.reports.letterhead import save_letterhead
    from test_pages import open_db
    with open_db(site) as db, pytest.raises(ValidationError, match="karakter kendali"):
        save_letterhead(db, site["app"].settings, "33.24", {"office": "DINAS\x1b[31m SOSIAL"}, actor=Actor.system())


def test_the_monthly_report_of_all_regencies_has_a_neutral_letterhead(site):
    """It had none: one regency chosen gives that regency's, all of them a neutral head naming them."""
    from conftest import pdf_pages
    at = run("admin", "pages/laporan.py")
    next(b for b in at.button if b.label == "Buat laporan").click().run()
    first = pdf_pages(at.session_state["r_files"][2])[0]
    assert "LAPORAN GABUNGAN" in first and "Kendal" in first and "Pemalang" in first
    scheme = next(c for c, s in site["app"].plugins.schemes.items() if s.regency_code == "33.24")
    at.selectbox(key="r_scheme").set_value(scheme).run()
    next(b for b in at.button if b.label == "Buat laporan").click().run()
    first = pdf_pages(at.session_state["r_files"][2])[0]
    assert "PEMERINTAH KABUPATEN KENDAL" in first and "GABUNGAN" not in first


# Images decoded out of the server's process (issue #21, finding 5) -----------------------------

def _progressive_jpeg_bomb(side: int = 2000, repeats: int = 20_000) -> bytes:
    """A small progressive JPEG whose last scan is repeated ``repeats`` times: every copy is
    decoded again over the whole image (200 KB of such a file kept a core busy for 47 s)."""
    import struct
    out = io.BytesIO()
    Image.new("RGB", (side, side), (120, 30, 200)).save(out, "JPEG", progressive=True, quality=90)
    data, at, segments, scans = out.getvalue(), 2, [], []
    while data[at + 1] != 0xD9:
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        end = at + 2 + length
        if marker == 0xDA:  # a scan: its entropy-coded data runs to the next real marker
            while not (data[end] == 0xFF and data[end + 1] != 0 and not 0xD0 <= data[end + 1] <= 0xD7):
                end += 1
            scans.append(data[at:end])
        segments.append(data[at:end])
        at = end
    return data[:2] + b"".join(segments) + scans[-1] * repeats + b"\xff\xd9"


def _png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width`` x ``height`` pixels (and holds almost nothing)."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def _quick_settings(app, **limits):
    import dataclasses
    return dataclasses.replace(app.settings, limits=dataclasses.replace(app.settings.limits, **limits))


def test_the_server_process_never_decodes_an_uploaded_logo(app, db, admin, monkeypatch):
    """Decoding happens in the bounded child process: with Pillow's decoder broken in this
    process, a good logo is still stored."""
    def no_decoding_here(*args, **kwargs):
        raise AssertionError("an uploaded image was decoded in the server's process")
    monkeypatch.setattr(Image, "open", no_decoding_here)
    path = save_logo(db, app.settings, "33.24", _png((900, 300)), actor=admin)
    assert path.is_file()


def test_a_logo_that_never_finishes_decoding_is_refused_in_indonesian(app, db, admin):
    """A progressive JPEG with one scan repeated thousands of times: under the size and pixel
    limits, it would keep a core busy for minutes. The child's CPU limit ends it; the admin is
    told why. (The alarm only keeps the old in-process decoding from hanging the suite.)"""
    import signal
    bomb = _progressive_jpeg_bomb()
    assert len(bomb) < 2 * 1024 * 1024
    settings = _quick_settings(app, image_seconds=1)

    def ring(signum, frame):
        raise AssertionError("the logo was still being decoded after 30 s: not bounded")
    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(30)
    try:
        with pytest.raises(ValidationError) as refused:
            save_logo(db, settings, "33.24", bomb, actor=admin)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert "Logo tidak disimpan" in str(refused.value) and "lebih lama dari 1 detik" in str(refused.value)
    assert letterhead_for(app.settings, "33.24").logo is None


@pytest.mark.parametrize("data,words", [
    (_png_declaring(50_000, 50_000), "gambar terlalu besar"),
    (_png_declaring(7_000, 7_000), "gambar terlalu besar"),
    (_png((40, 40))[:60], "bukan gambar PNG atau JPG yang dapat dibaca"),
    (b"GIF89a" + b"\0" * 40, "bukan gambar PNG atau JPG yang dapat dibaca"),
], ids=["bomb", "over_limit", "truncated", "gif"])
def test_every_image_error_is_answered_in_indonesian(app, db, admin, data, words):
    """A PNG header declaring 50000x50000 made Pillow raise DecompressionBombError: a traceback."""
    with pytest.raises(ValidationError) as refused:
        save_logo(db, app.settings, "33.24", data, actor=admin)
    assert words.lower() in str(refused.value).lower(), str(refused.value)
    assert "Error" not in str(refused.value)
