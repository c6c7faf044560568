"""Time page scripts under AppTest on a benchmark database (called by ``python -m payung bench``,
which must not import Streamlit itself). The database is ``$PAYUNG_DATABASE_URL``, set by the
bench (not a command-line option: a PostgreSQL URL may hold a password, and every user of the
machine reads a command line). Prints ``name: value`` lines, the last this process's peak memory
(``pages_peak_rss_mb``: the app serving the pages, one of the app's processes the province's
memory bound is on)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_ms(at) -> float:
    """One run of the page script, in milliseconds."""
    start = time.perf_counter()
    at.run()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not os.environ.get("PAYUNG_DATABASE_URL"):
        raise SystemExit("PAYUNG_DATABASE_URL names the benchmark's database (set by python -m payung bench)")
    os.environ.pop("PAYUNG_DB", None)  # the older name of the setting: two that disagree are refused
    os.environ.update(PAYUNG_CONFIG=args.config, PAYUNG_COOKIE_KEY="bench" * 8)
    sys.path.insert(0, str(ROOT))

    from streamlit.testing.v1 import AppTest

    from payung.auth.access import Actor
    from payung.auth.sessions import SessionPolicy, start_session
    from payung.auth.users import add_user, has_users
    from payung.core import Payung
    from payung.imports.sandbox import peak_mb

    with Payung.load(args.config, entry_points=False).connection() as conn:
        if not has_users(conn):
            add_user(conn, username="bench", name="Bench", role="admin", password="uji-kecepatan-2026",
                     actor=Actor.system())
        session_id = start_session(conn, "bench", SessionPolicy())

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "bench"
    at.session_state["_payung_session_id"] = session_id  # a live server-side session (ui.session)
    at.run()
    at.switch_page("pages/pekerja.py")
    times = [run_ms(at) for _ in range(args.repeat)]
    if at.exception:
        raise SystemExit(f"page failed: {at.exception}")
    print(f"workers_page_rows: {len(at.dataframe[0].value)}")
    print(f"workers_page_ms: {statistics.median(times):.1f}")

    # The Beranda: each run with the cache emptied (every number computed again), then cached.
    import streamlit as st
    at.switch_page("pages/beranda.py")
    cold, warm = [], []
    for _ in range(args.repeat):
        st.cache_data.clear()
        cold.append(run_ms(at))
        warm.append(run_ms(at))
    if at.exception:
        raise SystemExit(f"dashboard failed: {at.exception}")
    print(f"dashboard_protected: {at.metric[0].value.replace('.', '')}")
    print(f"dashboard_ms: {statistics.median(cold):.1f}")
    print(f"dashboard_cached_ms: {statistics.median(warm):.1f}")
    print(f"pages_peak_rss_mb: {peak_mb():.1f}")


if __name__ == "__main__":
    main()
