"""Tagihan with colleagues at work: a row picked in the list of bills opens that bill though
somebody recorded a payment meanwhile (over Streamlit's own protocol, on a real server)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from payung.auth.access import Actor
from payung.base.months import current_month
from payung.finance import bills
from payung.finance.payments import record_payment
from payung.operations.loadtest.protocol import Tab

from test_browser import running_app
from test_serve import sign_in

pytestmark = pytest.mark.xdist_group("browser")


def test_a_row_picked_opens_its_bill_though_a_colleague_paid_another_meanwhile(site, tmp_path):
    """The list was keyed by the data's version: a payment made in another tab between the list
    being drawn and the click (every few seconds in a busy office) made a new table of it, and
    the click on a row opened nothing. The list is the same parties in the same order: the row
    picked opens its own party's bill."""
    app = site["app"]
    with app.open_db() as db:
        found = next(((code, rows) for code in app.plugins.schemes if len(rows := bills.parties(
            db, app.plugins, code, current_month(), actor=Actor.system())) >= 2 and any(r["open"] for r in rows[1:])),
            None)
    if found is None:
        pytest.skip("no installed scheme bills two parties this month in the demo")
    scheme, parties = found
    payee = next(p for p in parties[1:] if p["open"])
    with running_app(tmp_path, database=str(site["db_path"])) as url:
        async def scenario():
            tab = Tab(url)
            await sign_in(tab)
            try:
                await tab.goto("tagihan")
                page = await tab.set("t_scheme", app.plugins.schemes[scheme].name)
                key = page.key_starting("t_parties-", "dataframe")
                assert page.dataframe_rows(key) == len(parties)
                with app.open_db() as db:  # a colleague records a payment of another party's bill
                    record_payment(db, app.plugins, scheme_code=scheme, party_key=payee["party_key"],
                                   amount=min(payee["open"], 16_800), paid_on=dt.date.today(), actor=Actor.system())
                page = await tab.select_row(key, 0)
                assert "Catat pembayaran" in page.text(), page.text()[:400]
                assert parties[0]["party_label"] in page.text()
            finally:
                await tab.close()

        asyncio.run(scenario())
