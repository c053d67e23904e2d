"""seeds/003's personal security question, a policy that is off by default.

When ACCOUNTS_SECURITY_QUESTION_ENABLED is on and the user has set a question, it is asked
after the second factor. The answer is compared case-insensitively with spaces trimmed, stored
as an Argon2 hash, and wrong answers count toward the account lockout. NIST SP 800-63B advises
against such questions (answers are guessable or public), hence off by default.
"""

import time
import unicodedata

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest

from accounts import attempts, audit
from accounts.models import SecurityQuestion, User

PENDING_SESSION_KEY = "accounts.security_question"


def normalize(answer: str) -> str:
    """'  Jakarta  Selatan ' and 'jakarta selatan' are the same answer, and so are the ways
    keyboards write one letter: a decomposed 'e' + U+0301 and a precomposed 'é', full-width
    letters (Unicode NFKC, before and after case folding as in accounts.usernames)."""
    folded = unicodedata.normalize("NFKC", answer).casefold()
    return " ".join(unicodedata.normalize("NFKC", folded).split())


def _legacy_normalize(answer: str) -> str:
    """The form answers were hashed in before NFKC: kept so that those answers still work."""
    return " ".join(answer.split()).casefold()


def set_question(user: User, question: str, answer: str) -> None:
    SecurityQuestion.objects.update_or_create(
        user=user,
        defaults={"question": question.strip(), "answer_hash": make_password(normalize(answer))},
    )


def is_enabled() -> bool:
    return settings.ACCOUNTS_SECURITY_QUESTION_ENABLED


def is_due(user: User) -> bool:
    return is_enabled() and SecurityQuestion.objects.filter(user=user).exists()


def begin(request: HttpRequest, user: User, methods: list[str]) -> None:
    request.session[PENDING_SESSION_KEY] = {
        "user_id": user.pk,
        "methods": list(methods),
        "started": time.time(),
    }


def pending_user(request: HttpRequest) -> tuple[User, list[str]] | None:
    data = request.session.get(PENDING_SESSION_KEY)
    if (
        not isinstance(data, dict)
        or time.time() - data.get("started", 0) > settings.MFA_PENDING_SECONDS
    ):
        request.session.pop(PENDING_SESSION_KEY, None)
        return None
    user = User.objects.filter(pk=data["user_id"], is_active=True).first()
    return (user, data["methods"]) if user else None


def check_answer(request: HttpRequest, user: User, answer: str) -> attempts.Attempt:
    """Checks an answer as a counted attempt (accounts.attempts): a wrong one counts toward the
    password lockout and may lock the account; ``Attempt.ok`` for the right answer."""
    question = SecurityQuestion.objects.filter(user=user).first()

    def verify() -> bool:
        if question is None:
            return False
        if check_password(normalize(answer), question.answer_hash):
            return True
        legacy = _legacy_normalize(answer)
        # Only an answer that NFKC changes can have been hashed in another form (one more hash
        # for those, none for the rest); a match is stored again in today's form.
        if legacy == normalize(answer) or not check_password(legacy, question.answer_hash):
            return False
        # An UPDATE, not save(update_fields): the account (and its question with it) may
        # have been deleted while the answer was being checked, and then no row is written.
        answer_hash = make_password(normalize(answer))
        SecurityQuestion.objects.filter(pk=question.pk).update(answer_hash=answer_hash)
        return True

    return attempts.check_secret(
        request, verify, user=user, kind=audit.SIGNIN_SECURITY_QUESTION, method="kba"
    )


def clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)
