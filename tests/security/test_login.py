"""Item 13: lockout per account and source; unknown users take the time a wrong password takes."""

from __future__ import annotations

import time

from conftest import ONE_STORE
from dieuhanh.orgs.service import LoginThrottle, authenticate


def test_a_stranger_cannot_lock_the_admin_out():
    throttle = LoginThrottle(max_failures=3, window_seconds=300)
    for _ in range(3):
        throttle.check("203.0.113.9", "admin")
        throttle.fail("203.0.113.9", "admin")
    try:
        throttle.check("203.0.113.9", "admin")
        raise AssertionError("the stranger should be stopped")
    except Exception as exc:  # noqa: BLE001
        assert "tạm khóa" in str(exc)
    throttle.check("10.0.0.7", "admin")  # the admin, from the office, signs in


@ONE_STORE
def test_unknown_and_known_users_cost_the_same_password_check(db, factory):
    _, username, _ = factory.user("leader")

    def timed(name: str) -> float:
        with db.session() as session:
            start = time.perf_counter()
            try:
                authenticate(session, username=name, password="sai-mat-khau", max_failures=5, lockout_seconds=60)
            except Exception:  # noqa: BLE001
                pass
            return time.perf_counter() - start

    timed("khong-ton-tai")  # the dummy hash is made once
    known = min(timed(username) for _ in range(3))
    unknown = min(timed("khong-ton-tai") for _ in range(3))
    assert unknown > known / 3, (known, unknown)  # before: ~1 ms against a full Argon2 verification
