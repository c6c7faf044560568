"""The far-corner workbook uploaded through a real ``streamlit run`` server in Chromium: that
user sees "Berkas tidak dapat dibaca", and the server keeps answering everyone."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.request

import pytest

import hostile
from conftest import ROOT, stop_server, write_config

from test_browser import TIMEOUT, _free_port, expect_logged_in, log_in  # skips when Chromium is missing

from playwright.sync_api import expect  # noqa: E402

from conftest import PASSWORD  # noqa: E402  (a password the policy accepts)

pytestmark = pytest.mark.xdist_group("browser")


def _health(url: str) -> int:
    return urllib.request.urlopen(f"{url}/_stcore/health", timeout=5).status


@pytest.fixture
def server(tmp_path):
    from payung.auth.access import Actor
    from payung.core import Payung
    from payung.auth.users import add_user
    config = write_config(tmp_path)
    app = Payung.load(config, database_path=str(tmp_path / "payung.db"), entry_points=False)
    db = app.open_db()
    app.initialise(db)
    add_user(db, username="admin", name="Admin", role="admin", password=PASSWORD, actor=Actor.system())
    db.close()
    port = _free_port()
    env = {**os.environ, "PAYUNG_CONFIG": str(config), "PAYUNG_DB": str(tmp_path / "payung.db"),
           "PAYUNG_COOKIE_KEY": "c" * 40}
    log = open(tmp_path / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if _health(url) == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError("Streamlit did not start: " + (tmp_path / "streamlit.log").read_text())
    yield url, process
    stop_server(process)
    log.close()


def test_far_corner_upload_leaves_the_server_serving(server, browser, tmp_path):
    url, process = server
    name, data = hostile.far_corner_xlsx()
    path = tmp_path / name
    path.write_bytes(data)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    page.goto(url)
    log_in(page, "admin")
    expect(page.get_by_role("heading", name="Beranda")).to_be_visible()
    expect_logged_in(page)  # the login cookie's runs are over: a click on a link is not dropped
    more = page.get_by_text(re.compile(r"^View \d+ more$"))
    if more.count():
        more.click()
    page.get_by_role("link", name="Impor data").click()
    expect(page.get_by_role("heading", name="Impor data")).to_be_visible()
    page.locator("input[type=file]").set_input_files(str(path))
    expect(page.get_by_text("Berkas tidak dapat dibaca").first).to_be_visible()
    expect(page.get_by_text("16.384 kolom").first).to_be_visible()
    # The server lives: it answers the health check and another user's first page.
    assert process.poll() is None and _health(url) == 200
    other = browser.new_page()
    other.goto(url)
    expect(other.get_by_text("Masuk ke Payung")).to_be_visible()
    other.close()
    context.close()
    assert process.poll() is None and _health(url) == 200
