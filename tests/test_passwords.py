"""The password policy against guessable variants: a common password with capitals, leet,
digits or punctuation around it, one repeated character, one keyboard or number run, the
username or "payung" plus digits; and (security review) a common word plus a character or
three, one word repeated, few different characters, full-width or look-alike letters,
separators inside. Passphrases stay allowed."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from payung.auth import passwords
from payung.auth.passwords import MIN_PASSWORD, check_password, common_passwords

from conftest import PASSWORD

GUESSABLE = [
    # Common words dressed up.
    "Password1!", "P@ssw0rd123", "Rahasia123!", "R4h4s14-2026", "B1smillah!!", "2026Indonesia", "!ndonesia45",
    "Merdeka1945!", "S4y4ng12345", "  rahasia123  ", "pass word 123", "Garuda!2026", "admin20261",
    # Regency names.
    "Kendal2026!", "PEMALANG123", "pringsewu2025",
    # One repeated character, one keyboard or number run.
    "aaaaaaaaaa", "1111111111", "!!!!!!!!!!", "12345678901", "1234567890", "0987654321", "qwertyuiop",
    "qwertyuiop1", "qw3rtyu10p", "zxcvbnm!!!", "abcd202612", "asdfghjkl;'",
    # The app's name plus digits.
    "payung20261", "Payung-2026!", "2026payung!!",
    # A common word plus up to three characters, anywhere.
    "rahasia123a", "xrahasia123", "password1z", "admin12345a", "Bismillah1x", "indonesia1a", "123456789a",
    # One word repeated; few different characters; mostly one character.
    "rahasiarahasia", "indonesia1indonesia1", "abababababab", "ab" * 36, "aaaaaaaaab", ".........a", "         x",
    # Separators inside, full-width letters, invisible characters, look-alikes, accents.
    "ra-ha-sia-123", "r a h a s i a 1 2 3", "ｒａｈａｓｉａ１２３", "rahas\u200bia123", "r\u00adahasia123",
    "rаhasia123", "RÄHÄSIA123", "RΑΗΑSΙΑ123",
]
ACCEPTED = [PASSWORD, "kopi tubruk pagi hari", "Sawah-Hijau-1987", "tigaKucingMakanIkan", "Payung-uji-2025!",
            "baru-sekali-2026", "8429173650", "x8429173650", "Desa-Makmur-2026", "Kx9#vLm2qT",
            "nasi goreng pedas sekali", "Gunung Merapi meletus 2010", "Sungai-Biru-1990x", "payung-baru-2027",
            # 71 bytes, and the most bcrypt takes (72).
            "Kopi tubruk pagi hari di warung Bu Sri dekat pasar Weleri, Kendal 2026!",
            ("kopi tubruk pagi hari " * 4)[:72]]


@pytest.mark.parametrize("password", GUESSABLE)
def test_guessable_variants_are_refused(password):
    assert [(p.rule, p.message) for p in check_password(password, "budi")] == [
        ("password_common", "Kata sandi ini terlalu umum dan mudah ditebak; pilih yang lain.")]


@pytest.mark.parametrize("password", ACCEPTED)
def test_passphrases_are_accepted(password):
    assert check_password(password, "ani.lestari") == []


@pytest.mark.parametrize("password", ["ani.lestari2026", "4n1.l3stari!!", "2026ani.lestari"])
def test_the_username_plus_digits_is_refused(password):
    assert [p.rule for p in check_password(password, "ani.lestari")] == ["password_has_username"]


@pytest.mark.parametrize("password", ["аni-lestari-2026", "ａｎｉ-lestari-2026", "a-n-i-lestari-2026", "ÁNI-lestari-2026"])
def test_the_username_in_look_alike_letters_is_refused(password):
    """Cyrillic а, full-width letters, separators between the letters, accents: still "ani"."""
    assert "password_has_username" in [p.rule for p in check_password(password, "ani")]


@pytest.mark.parametrize("password", ["caf\udce9-latte-pagi-2026", "abc\ud800defghijk"])
def test_a_password_that_is_not_valid_text_is_refused_not_a_crash(password):
    """Lone surrogates: what Python makes of a Latin-1 command line, or half an emoji."""
    import bcrypt as _bcrypt

    from payung.base.errors import ValidationError
    from payung.auth.passwords import hash_password, verify_password
    assert [p.rule for p in check_password(password, "ani")] == ["password_encoding"]
    assert "Ketik ulang" in check_password(password, "ani")[0].message
    with pytest.raises(ValidationError):
        hash_password(password)
    assert verify_password(password, _bcrypt.hashpw(b"x", _bcrypt.gensalt(4)).decode()) is False


def test_indonesian_words_and_regency_names_are_in_the_list():
    for word in ("rahasia", "sayang", "bismillah", "indonesia", "merdeka", "kendal", "pemalang"):
        assert word in common_passwords()


def test_the_minimum_length_is_unchanged():
    assert MIN_PASSWORD == 10
    assert [p.rule for p in check_password("Kx9#vLm2q", "ani")] == ["password_short"]
    assert check_password("Kx9#vLm2qT", "ani") == []


def test_every_password_the_suite_uses_is_accepted():
    """The passwords the tests sign in with (``"...2026..."`` and friends) still pass."""
    tests = Path(__file__).parent
    used = set()
    for path in set(tests.glob("*.py")) - {Path(__file__)}:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "password" in line.lower():
                used.update(re.findall(r'"([^"]*20(?:25|26)[^"]*)"', line))
    used -= {"ani.lestari-2026"}  # refused on purpose in test_sessions (it holds the username)
    assert PASSWORD in used and "baru-sekali-2026" in used
    for password in used:
        assert check_password(password, "pengguna") == [], password


# The queue of bcrypt computations --------------------------------------------------------------

@pytest.mark.parametrize("cpus, processes, slots", [(1, 1, 1), (2, 1, 1), (4, 1, 3), (16, 1, 15),
                                                     (2, 2, 1), (4, 2, 1), (8, 2, 3), (16, 4, 3)])
def test_a_core_is_kept_for_each_server_process_pages(cpus, processes, slots):
    assert passwords.hashing_slots(cpus, processes) == slots


def test_payung_serve_tells_its_processes_how_many_share_the_machine(monkeypatch):
    monkeypatch.setenv(passwords.SERVER_PROCESSES_VARIABLE, "2")
    assert passwords.hashing_slots(8) == 3
    monkeypatch.setenv(passwords.SERVER_PROCESSES_VARIABLE, "dua")  # not a number: one process
    assert passwords.hashing_slots(8) == 7


def _kernel(root, cgroup: str, files: dict[str, str]):
    """A folder that imitates the kernel's files: /proc/self/cgroup and the cgroup files."""
    (root / "proc/self").mkdir(parents=True)
    (root / "proc/self/cgroup").write_text(cgroup)
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize("cgroup, files, quota", [
    ("0::/\n", {"sys/fs/cgroup/cpu.max": "150000 100000\n"}, 1.5),  # v2, a container's own root
    ("0::/\n", {"sys/fs/cgroup/cpu.max": "max 100000\n"}, None),
    ("0::/system.slice/payung.service\n",  # v2, systemd's CPUQuota=50% on the service, 300% above it
     {"sys/fs/cgroup/system.slice/payung.service/cpu.max": "50000 100000", "sys/fs/cgroup/system.slice/cpu.max":
      "300000 100000"}, 0.5),
    ("4:memory:/x\n1:cpu,cpuacct:/docker/abc\n0::/\n",  # v1, the path seen from the host does not exist
     {"sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "200000", "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000"},
     2.0),
    ("1:cpu,cpuacct:/\n",  # v1, the pair mounted (or linked) as "cpu"
     {"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "100000", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"}, 1.0),
    ("1:cpu:/\n", {"sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1", "sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000"}, None),
    ("0::/\n", {"sys/fs/cgroup/cpu.max": "not a quota"}, None),
    ("0::/\n", {}, None),
])
def test_a_containers_cpu_quota_is_read_from_its_cgroup(tmp_path, cgroup, files, quota):
    from payung.base.machine import cpu_quota
    assert cpu_quota(_kernel(tmp_path, cgroup, files)) == quota


def test_a_cpu_quota_caps_the_cores_and_the_password_checks(tmp_path, monkeypatch):
    """A container limited to one core of an eight-core host ran seven bcrypt checks at once
    (the host's cores less one), taking the quota from the pages."""
    from payung.base import machine
    monkeypatch.setattr(machine.os, "sched_getaffinity", lambda pid: set(range(8)))
    monkeypatch.delenv(passwords.SERVER_PROCESSES_VARIABLE, raising=False)
    assert machine.usable_cpus(_kernel(tmp_path / "free", "0::/\n", {})) == 8
    limited = _kernel(tmp_path / "one", "0::/\n", {"sys/fs/cgroup/cpu.max": "100000 100000"})
    assert machine.usable_cpus(limited) == 1
    assert machine.usable_cpus(_kernel(tmp_path / "half", "0::/\n", {"sys/fs/cgroup/cpu.max": "50000 100000"})) == 1
    assert machine.usable_cpus(_kernel(tmp_path / "more", "0::/\n", {"sys/fs/cgroup/cpu.max": "250000 100000"})) == 3
    monkeypatch.setattr(machine, "ROOT", limited)
    assert passwords.hashing_slots() == 1


def test_password_checks_queue_instead_of_sharing_the_core(monkeypatch):
    """Six sign-ins at once with two slots: never more than two bcrypt checks run together
    (each fake check waits until a third one would join it, or 1 s), and every one of the
    six is answered, the unknown username's dummy check included."""
    monkeypatch.setattr(passwords, "_hashing", threading.BoundedSemaphore(2))
    inside, most = 0, 0
    joined = threading.Condition()

    def checkpw(raw, hashed):
        nonlocal inside, most
        with joined:
            inside += 1
            most = max(most, inside)
            joined.notify_all()
            joined.wait_for(lambda: inside >= 3, timeout=1.0)
            inside -= 1
        return raw == b"benar sekali kopi"

    monkeypatch.setattr(passwords.bcrypt, "checkpw", checkpw)
    monkeypatch.setattr(passwords, "dummy_hash", lambda: b"dummy")
    hashed = "stored"
    answers = []
    threads = [threading.Thread(target=lambda i=i: answers.append(
        passwords.slow_check("benar sekali kopi" if i % 2 else "salah", hashed if i < 5 else None)))
        for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert len(answers) == 6
    assert sorted(answers) == [False, False, False, False, True, True]
    assert 1 <= most <= 2
