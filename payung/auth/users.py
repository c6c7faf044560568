"""Users of the app: who they are, their role and slice (regency, villages), and the changes
that end their sessions (a password changed or reset, deactivation, a new role or slice).
The password rules and hashing are in ``passwords``; the login throttle in ``sessions``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from db import logins, queries, store

from payung.auth.access import ROLES, Actor, Forbidden, bound_to_served, require
from payung.auth.passwords import check_password, hash_password
from payung.auth.sessions import (SessionPolicy, address_busy_message, address_throttled_message, check_own_password,
                                  throttled_message)
from payung.base.errors import NotFound, Problem, ValidationError
from payung.base.text import person_name, text_problem, tidy

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")


def add_user(db, *, username: str, name: str, role: str, password: str, actor: Actor,
             regency_code: str | None = None, email: str | None = None, villages: tuple[str, ...] = (),
             first_admin: bool = False, problems: Sequence[Problem] = ()) -> int:
    """Create a user (every problem reported at once); the first user may be created by anyone.

    ``first_admin``: only if there is no user yet. The check and the insert are one write
    transaction, so of two setup forms sent at once exactly one creates an administrator.
    ``problems``: what the caller found wrong in its own fields, refused together with these.
    """
    username = (username or "").strip().lower()
    name, email = tidy("name", name or ""), tidy("email", email) or None  # checked as stored
    problems = list(problems)
    if not _USERNAME.match(username):
        problems.append(Problem(
            "username", "Nama pengguna 3-32 karakter: huruf kecil, angka, titik, garis bawah atau strip.",
            "username_format",
        ))
    if not (name or "").strip():
        problems.append(Problem("name", "Nama lengkap wajib diisi.", "name_required"))
    problems.extend(p for p in (text_problem("name", "Nama lengkap", name), text_problem("email", "Email", email)) if p)
    if role not in ROLES:
        problems.append(Problem("role", f"Peran harus salah satu dari: {', '.join(ROLES)}.", "role_unknown"))
    problems.extend(_village_problems(db, role, villages))
    problems.extend(_regency_problems(db, role, regency_code))
    problems.extend(check_password(password, username))
    if problems:
        raise ValidationError(problems)
    password_hash = hash_password(password)  # slow (bcrypt): before taking the write lock
    row = {"username": username, "name": person_name(name), "role": role, "email": email,
           "password_hash": password_hash, "regency_code": regency_code}
    with store.transaction(db):
        existing = queries.user_count(db)
        if first_admin and existing:
            raise ValidationError(Problem(None, FIRST_ADMIN_EXISTS, "first_admin_exists"))
        if existing:
            require(actor, "user.manage")
        if queries.user_by_username(db, username):
            raise ValidationError(Problem("username", f"Nama pengguna \"{username}\" sudah dipakai.",
                                          "username_taken"))
        user_id = store.insert(db, "users", row, actor=actor.username)
        for code in villages:
            store.insert(db, "user_villages", {"user_id": user_id, "village_code": code}, actor=actor.username)
    return user_id


FIRST_ADMIN_EXISTS = "Administrator pertama sudah dibuat (mungkin oleh orang lain barusan). Silakan masuk."


def _regency_problems(db, role: str, regency_code: str | None) -> list[Problem]:
    """A known regency; an operator must have one when Payung serves more than one; an
    administrator has none (``scope_of``: every regency), so none is stored that would say otherwise."""
    regencies = queries.region_names(db, 2)
    if role == "admin" and regency_code:
        return [Problem("regency_code", "Administrator mengelola semua kabupaten: jangan beri kabupaten. Untuk satu "
                        "kabupaten saja, pilih peran Operator kabupaten.", "regency_for_admin")]
    if regency_code and regency_code not in regencies:
        return [Problem("regency_code", f"Kode kabupaten \"{regency_code}\" tidak dikenal.", "regency_unknown")]
    if role == "operator" and not regency_code and len(regencies) > 1:
        return [Problem("regency_code", "Operator kabupaten harus diberi kabupaten tugasnya "
                        "(Payung ini melayani lebih dari satu kabupaten).", "regency_required")]
    return []


def _village_problems(db, role: str, villages: tuple[str, ...]) -> list[Problem]:
    problems = []
    if role == "desa" and not villages:
        problems.append(Problem("villages", "Operator desa harus diberi paling sedikit satu desa.",
                                "villages_required"))
    for code in villages:
        region = queries.region(db, code)
        if region is None or region["level"] != 4:
            problems.append(Problem("villages", f"Kode desa \"{code}\" tidak dikenal.", "village_unknown"))
    return problems


def has_users(db) -> bool:
    return queries.user_count(db) > 0


def actor_for(db, username: str) -> Actor | None:
    """The acting user, read fresh on every run: a role change or deactivation applies at once."""
    row = queries.user_by_username(db, username)
    if row is None or not row["active"]:
        return None
    # An administrator manages every regency: a regency stored before one was refused for them
    # (``_regency_problems``) put its letterhead on reports of them all.
    regency = None if row["role"] == "admin" else row["regency_code"]
    actor = Actor(username=row["username"], role=row["role"], regency_code=regency,
                  villages=tuple(queries.user_villages(db, row["id"])))
    return bound_to_served(actor, lambda: sorted(queries.region_names(db, 2)))


def account_actor(db, username: str) -> Actor:
    """The actor of the account ``username`` for work done outside a browser session (the
    command line's ``--user``): its role and slice exactly as ``actor_for`` gives them to the
    app. An account that does not exist, or is deactivated, is refused in Indonesian
    (``NotFound``, ``Forbidden``): such work is never done as anybody else."""
    name = (username or "").strip().lower()
    if queries.user_by_username(db, name) is None:
        raise NotFound(f"Pengguna \"{username}\" tidak ada. Pakai nama pengguna sebuah akun (halaman "
                       "Pengguna).")
    actor = actor_for(db, name)
    if actor is None:
        raise Forbidden(f"Pengguna \"{name}\" dinonaktifkan; akun itu tidak dapat bertindak. Aktifkan kembali "
                        "akunnya di halaman Pengguna, atau pakai akun lain.")
    return actor


def list_users(db, *, actor: Actor) -> list[dict]:
    """Every user, with ``village_names`` ("Donosari, Kalirejo") beside the village codes. A
    name stored before names were normalised is shown the way it is now stored."""
    require(actor, "user.manage")
    return [row | {"name": person_name(row["name"])} for row in queries.users(db)]


def change_password(db, *, actor: Actor, current: str, new: str, repeat: str, policy=None,
                    ip_address: str | None = None) -> None:
    """A user changes their own password (the current one is asked again, through the login
    throttle: ``sessions.check_own_password``). Every session of the user ends, the one making
    the change too: its id may have been copied, so the page opens a new one for its tab."""
    policy = policy or SessionPolicy()
    row = queries.user_by_username(db, actor.username)
    stamp = queries.password_stamp(db, row["id"]) if row else ""
    problems = []
    checked = check_own_password(db, actor.username, current or "", policy, ip_address=ip_address)
    refusals = {"throttled": (throttled_message(policy), "password_throttled"),
                "address_throttled": (address_throttled_message(policy), "password_address_throttled"),
                "address_busy": (address_busy_message(), "password_address_busy")}
    if checked in refusals:
        raise ValidationError(Problem("current", *refusals[checked]))
    if row is None or checked != "ok":
        problems.append(Problem("current", "Kata sandi lama salah.", "password_wrong"))
    problems.extend(check_password(new, actor.username))
    if new != repeat:
        problems.append(Problem("repeat", "Ulangan kata sandi baru tidak sama.", "password_repeat"))
    if problems:
        raise ValidationError(problems)
    password_hash = hash_password(new)
    with store.transaction(db):
        # The password checked above must still be the one stored: of two changes sent at once
        # with the same old password, only the first succeeds.
        if queries.password_stamp(db, row["id"]) != stamp:
            raise ValidationError(Problem("current", "Kata sandi baru saja diubah dari sesi lain; masuk lagi dengan "
                                                     "kata sandi yang baru.", "password_changed_meanwhile"))
        store.update(db, "users", row["id"], {"password_hash": password_hash}, actor=actor.username)
        logins.end_sessions(db, row["id"], at=store.now(), reason="password_changed", actor=actor.username)


def reset_password(db, user_id: int, new: str, *, actor: Actor) -> None:
    """An administrator sets a user's password: every session of that user ends (also the
    administrator's own when they reset their own password; the page opens a new one)."""
    require(actor, "user.manage")
    target = queries.user(db, user_id)
    if target is None:
        raise ValidationError(Problem(None, "Pengguna tidak ditemukan.", "user_unknown"))
    problems = check_password(new, target["username"])
    if problems:
        raise ValidationError(problems)
    password_hash = hash_password(new)
    with store.transaction(db):
        store.update(db, "users", user_id, {"password_hash": password_hash}, actor=actor.username)
        logins.end_sessions(db, user_id, at=store.now(), reason="password_reset", actor=actor.username)


def set_user_active(db, user_id: int, active: bool, *, actor: Actor) -> None:
    """Deactivating a user ends all their sessions at once."""
    require(actor, "user.manage")
    target = queries.user(db, user_id)
    if target and target["username"] == actor.username and not active:
        raise ValidationError(Problem(None, "Anda tidak dapat menonaktifkan akun Anda sendiri.", "self_deactivate"))
    with store.transaction(db):
        store.update(db, "users", user_id, {"active": int(active)}, actor=actor.username)
        if not active:
            logins.end_sessions(db, user_id, at=store.now(), reason="deactivated", actor=actor.username)


def change_access(db, user_id: int, *, role: str, regency_code: str | None, villages: tuple[str, ...] = (),
                  actor: Actor) -> bool:
    """Change a user's role or scope (regency, villages). When anything changed, every
    session of that user ends: they sign in again under the new rights. True if changed."""
    require(actor, "user.manage")
    target = queries.user(db, user_id)
    if target is None:
        raise ValidationError(Problem(None, "Pengguna tidak ditemukan.", "user_unknown"))
    problems = []
    if role not in ROLES:
        problems.append(Problem("role", f"Peran harus salah satu dari: {', '.join(ROLES)}.", "role_unknown"))
    problems.extend(_village_problems(db, role, villages))
    problems.extend(_regency_problems(db, role, regency_code))
    if target["username"] == actor.username and role != "admin":
        problems.append(Problem("role", "Anda tidak dapat melepas peran administrator Anda sendiri.", "self_demote"))
    if problems:
        raise ValidationError(problems)
    villages = tuple(sorted(set(villages))) if role == "desa" else ()
    with store.transaction(db):
        # Compared and changed under the write lock: a change made meanwhile in another session
        # is the "before" here (no village inserted twice or removed twice).
        target = queries.user(db, user_id)
        before = tuple(queries.user_villages(db, user_id))
        if (target["role"], target["regency_code"], before) == (role, regency_code, villages):
            return False
        store.update(db, "users", user_id, {"role": role, "regency_code": regency_code}, actor=actor.username)
        for code in set(before) - set(villages):
            store.delete(db, "user_villages", (user_id, code), actor=actor.username)
        for code in set(villages) - set(before):
            store.insert(db, "user_villages", {"user_id": user_id, "village_code": code}, actor=actor.username)
        logins.end_sessions(db, user_id, at=store.now(), reason="access_changed", actor=actor.username)
    return True
