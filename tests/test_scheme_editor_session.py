"""The scheme editor is a fragment: a click inside it reruns only the fragment, never app.py
nor the page's check of the session. A tab whose session ended (logout elsewhere, role change,
deactivation) must still write nothing from the open editor."""

from __future__ import annotations

import asyncio

import pytest

from payung.core import Payung
from payung.operations.loadtest.protocol import Tab

from conftest import write_config
from test_browser import running_app
from test_regency_rules import CODE, SCHEME
from test_serve import sign_in

pytestmark = pytest.mark.xdist_group("browser")


def test_the_open_editor_of_a_tab_whose_session_ended_writes_nothing(tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / f"{CODE}.toml").write_text(SCHEME, encoding="utf-8")
    with running_app(tmp_path, users=("admin",), plugins_dir=str(plugins)) as url:
        app = Payung.load(write_config(tmp_path, plugins_dir=str(plugins)), entry_points=False)

        async def scenario():
            tab = Tab(url)
            await sign_in(tab)
            try:
                await tab.goto("skema")
                await tab.set("ed_mode", "Ubah skema TOML yang ada")
                await tab.set("ed_pick_ubah", f"Uji CSR nelayan ({CODE})")
                page = await tab.click("ed_open")
                assert "Mengubah skema" in page.text()
                await tab.set(label="Saya yakin skema ini tidak menerima kepesertaan baru lagi", value=True)
                with app.open_db() as db:  # the admin is logged out from another device
                    db.execute("UPDATE sessions SET ended_at = '2000-01-01T00:00:00+00:00'")
                page = await tab.click(label="Pensiunkan")
                assert "Masuk ke Payung" in page.text(), "the login page, not the editor"
            finally:
                await tab.close()

        asyncio.run(scenario())
        with app.open_db() as db:
            row = db.execute("SELECT retired_at FROM schemes WHERE code = ?", [CODE]).fetchone()
        assert row is not None and row[0] is None, "a tab whose session ended retired the scheme"
