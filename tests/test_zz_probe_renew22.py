from test_money_pages import _renewal_into_a_new_year
from test_pages import run, drawn


def test_probe(site, monkeypatch):
    row, left = _renewal_into_a_new_year(site, monkeypatch, lambda f: f.type != "text",
                                         lambda left: any(f.required for f in left))
    at = run("admin", "pages/tunggakan.py")
    at.button(key=f"renew_{row['id']}").click().run()
    box = at.get("flex_container") if False else None
    for e in drawn(at.main):
        v = getattr(e, "value", None)
        label = getattr(e, "label", None)
        if "renew_" in str(getattr(e, "key", "")) or (isinstance(v, str) and ("Perpanjang kepesertaan" in v or "Belum dapat" in v)):
            print(type(e).__name__, repr(label), repr(v))
    print(row["renewal_amounts"], [f.label for f in left])
