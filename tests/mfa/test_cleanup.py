"""The cleanup deletes what can no longer be used, and nothing else."""

from datetime import timedelta

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone

from mfa.cleanup import clear_expired, code_challenge_lifetime
from mfa.models import CodeChallenge, TrustedDevice
from mfa.passkeys.models import Challenge
from mfa.tasks import cleanup


def test_expired_rows_go_and_live_ones_stay(user, time_machine):
    time_machine.move_to("2026-11-21 09:00:00+07:00", tick=False)
    now = timezone.now()
    old = now - code_challenge_lifetime() - timedelta(seconds=1)
    CodeChallenge.objects.create(user=user, channel="email", purpose="signin", attempt_id="a",
                                 destination="x@example.com", created_at=old)  # fmt: skip
    live = CodeChallenge.objects.create(user=user, channel="email", purpose="signin",
                                        attempt_id="b", destination="x@example.com")  # fmt: skip
    TrustedDevice.objects.create(user=user, token_hash="1" * 64, expires_at=now - timedelta(1))
    kept = TrustedDevice.objects.create(
        user=user, token_hash="2" * 64, expires_at=now + timedelta(1)
    )
    Challenge.objects.create(challenge=b"c", purpose="signin", expires_at=now - timedelta(1))
    Session.objects.create(session_key="k" * 32, session_data="", expire_date=now - timedelta(1))

    cleaned = clear_expired()

    counts = (cleaned.code_challenges, cleaned.passkey_challenges, cleaned.trusted_devices)
    assert counts == (1, 1, 1)
    assert list(CodeChallenge.objects.all()) == [live]
    assert list(TrustedDevice.objects.all()) == [kept]
    assert not Session.objects.exists()


def test_command_and_task_run_the_same_cleanup(user, capsys):
    call_command("cleanup")
    assert "code challenges" in capsys.readouterr().out
    assert cleanup() == {"code_challenges": 0, "passkey_challenges": 0, "trusted_devices": 0,
                         "sessions_cleared": True}  # fmt: skip
