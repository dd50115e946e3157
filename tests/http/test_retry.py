"""Retry timing: backoff with jitter, Retry-After, the deadline."""

import email.utils
import time

from django_asyncx.http.retry import Deadline, parse_retry_after, retry_delay
from django_asyncx.options import Retry


def test_backoff_doubles_with_jitter_and_is_capped():
    policy = Retry(max_retries=10, backoff=0.1, max_backoff=1.0)
    for retry, ceiling in [(0, 0.1), (1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (9, 1.0)]:
        delays = {retry_delay(policy, retry) for _ in range(50)}
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(delays) > 1  # jittered


def test_no_delay_once_retries_are_used_up():
    assert retry_delay(Retry(max_retries=2), 2) is None
    assert retry_delay(Retry(max_retries=0), 0) is None


def test_retry_after_seconds_and_dates_replace_the_backoff():
    policy = Retry(backoff=0.1)
    assert retry_delay(policy, 0, retry_after="3") == 3.0
    date = email.utils.formatdate(time.time() + 10, usegmt=True)
    assert 8 <= retry_delay(policy, 0, retry_after=date) <= 10
    past = email.utils.formatdate(time.time() - 10, usegmt=True)
    assert parse_retry_after(past) == 0.0
    assert parse_retry_after("soon") is None
    assert retry_delay(policy, 0, retry_after="soon") <= 0.1  # unreadable: the backoff


def test_retry_after_over_the_cap_or_the_deadline_stops():
    policy = Retry(retry_after_max=5)
    assert retry_delay(policy, 0, retry_after="6") is None
    assert retry_delay(policy, 0, retry_after="2", remaining=1.5) is None
    assert retry_delay(policy, 0, retry_after="1", remaining=1.5) == 1.0
    assert retry_delay(Retry(backoff=2, max_backoff=2), 0, remaining=0.5) is None


async def test_deadline_remaining():
    assert Deadline(None).remaining() is None
    remaining = Deadline(10).remaining()
    assert 9 < remaining <= 10
    assert Deadline(1e-9).remaining() >= 0
