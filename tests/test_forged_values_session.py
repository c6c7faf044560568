"""Values a browser never sends, sent over Streamlit's own protocol on a real server (app.py
and its page, as a hostile signed-in user who edits the messages): refused in Indonesian, not a
traceback, and no row outside the user's scope is touched."""

from __future__ import annotations

import asyncio

import pytest

from payung.base.months import current_month
from payung.operations.loadtest.protocol import Tab, state

from test_browser import running_app
from test_serve import sign_in

pytestmark = pytest.mark.xdist_group("browser")


def test_a_month_no_box_offered_that_the_service_refuses_is_said_not_a_traceback(site, tmp_path):
    """Tagihan's Bulan box offers months; a message naming "2026-12zz" is kept by Streamlit (its
    words, "Desember 2026", are one of the list's) and reached the bill's service, which refused it
    (ValidationError) with no form on the page to say so: the page stopped with Streamlit's
    English error. app.py says the service's refusal, as it does a Forbidden or a NotFound."""
    with running_app(tmp_path, database=str(site["db_path"])) as url:
        async def scenario():
            tab = Tab(url)
            await sign_in(tab)
            try:
                page = await tab.goto("tagihan")
                page = await tab.rerun([state(page.widget("t_month").id, current_month() + "zz")])
                assert page.problems() == ["Bulan tidak valid (contoh 2025-08)."], page.problems()
            finally:
                await tab.close()

        asyncio.run(scenario())
