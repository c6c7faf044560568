"""Screenshots of the Beranda in headless Chromium, to check legibility at a regency's size.

    python scripts/screenshot_dashboard.py --db /tmp/bench200.db --out /tmp/shots

Starts Payung on the given database, logs in (creating the user ``layar`` if needed), and saves
full-page screenshots of the dashboard: all schemes, one scheme, one district.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", default="screenshots")
    args = parser.parse_args()
    import db as database
    from payung.auth.access import Actor
    from payung.auth.users import add_user
    from db import queries
    from playwright.sync_api import sync_playwright

    conn = database.open_database(args.db)
    if not queries.user_by_username(conn, "layar"):
        add_user(conn, username="layar", name="Layar", role="admin", password="gambar-beranda-2026", actor=Actor.system())
    conn.close()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PAYUNG_DB": args.db, "PAYUNG_COOKIE_KEY": "s" * 40}
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                               "--server.port", str(port), "--browser.gatherUsageStats", "false"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1440, "height": 3400})
            page.set_default_timeout(120_000)
            page.goto(url)
            page.get_by_role("textbox", name="Nama pengguna", exact=True).fill("layar")
            page.get_by_role("textbox", name="Kata sandi", exact=True).fill("gambar-beranda-2026")
            page.get_by_role("button", name="Masuk").click()
            page.get_by_text("Panel skema").wait_for()
            for name, query in (("beranda-semua", ""), ("beranda-kendal", "?skema=kendal_asn_peduli"),
                                ("beranda-kecamatan", "?kecamatan=33.24.01")):
                page.goto(f"{url}/{query}")
                page.get_by_text("Panel skema").wait_for()
                page.wait_for_timeout(2500)  # let the charts draw
                page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                print(out / f"{name}.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main()
