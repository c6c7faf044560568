"""SQL of login sessions and login attempts (reads here; writes through ``db.store``).

A session row is keyed by the SHA-256 of its id (``token_hash``): the id itself lives only in
the signed cookie and the browser session, never in the database or the audit log.
"""

from __future__ import annotations

from db import store


def _one(db, sql: str, params=()) -> dict | None:
    rows = list(db.query(sql, params))
    return rows[0] if rows else None


def session_by_hash(db, token_hash: str) -> dict | None:
    """The session with this hashed id, with its user's name and whether they are active."""
    return _one(db, "SELECT s.id, s.user_id, s.created_at, s.last_seen_at, s.expires_at, s.ended_at, s.ended_reason,"
                    " u.username, u.name, u.email, u.role, u.active"
                    " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?", [token_hash])


def sessions_of_user(db, user_id: int, *, now: str, idle_since: str, include_ended: bool = False,
                     limit: int = 50) -> list[dict]:
    """A user's sessions, newest first (without the hashed ids). ``state`` is NULL for a live
    session, else why it is over: its ``ended_reason``, or "expired"/"idle" for one past
    ``expires_at`` or unused since ``idle_since`` that no run has marked ended yet. Without
    ``include_ended`` only the live ones."""
    state = ("CASE WHEN ended_at IS NOT NULL THEN COALESCE(ended_reason, 'ended')"
             " WHEN expires_at <= :now THEN 'expired' WHEN last_seen_at <= :idle_since THEN 'idle' END")
    where = "" if include_ended else f" AND ({state}) IS NULL"
    return list(db.query(
        "SELECT id, user_id, created_at, last_seen_at, expires_at, ended_at, ended_reason, ip_address, user_agent,"
        f" {state} AS state FROM sessions WHERE user_id = :user_id{where}"
        " ORDER BY created_at DESC, id DESC LIMIT :limit",
        {"now": now, "idle_since": idle_since, "user_id": user_id, "limit": limit}))


def end_sessions(db, user_id: int, *, at: str, reason: str, actor: str) -> int:
    """End every open session of a user, with one audit entry."""
    return store.execute(db, "UPDATE sessions SET ended_at = ?, ended_reason = ? WHERE user_id = ? AND ended_at IS NULL",
                         [at, reason, user_id], actor=actor, table="sessions", summary={"user_id": user_id, "reason": reason})


def failures_from(db, ip_address: str, since: str, enough: int) -> int:
    """How many wrong passwords came from ``ip_address`` since ``since`` (counted up to
    ``enough``): the address's throttle. Read from the failures of the window only (index
    ``audit_action_at``), whatever the size of the audit log."""
    address = db.dialect.json_field("a.after", "ip_address")
    return db.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM audit_log a WHERE a.action = 'login_failed' AND a.at >= ?"
        f" AND a.table_name = 'login' AND {address} = ? LIMIT ?) AS refused",
        [since, db.dialect.json_value(ip_address), enough]).fetchone()[0]


def failed_logins_since(db, username: str, since: str) -> list[str]:
    """When the logins refused for a wrong password for ``username`` happened (oldest first)."""
    return [row["at"] for row in db.query(
        "SELECT at FROM audit_log WHERE action = 'login_failed' AND row_id = ? AND at >= ? AND table_name = 'login'"
        " ORDER BY at", [username, since])]
