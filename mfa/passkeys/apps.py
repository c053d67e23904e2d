from django.apps import AppConfig


class PasskeysConfig(AppConfig):
    name = "mfa.passkeys"
    label = "passkeys"
    verbose_name = "Passkeys"

    def ready(self) -> None:
        from accounts.signin.flows import HALF_DONE_SIGNIN
        from mfa.passkeys import checks  # noqa: F401  (registers the system checks)
        from mfa.passkeys.signin import VERIFIED_SESSION_KEY

        # "Not you?" on Confirm and Continue: the verified passkey must not sign anyone in.
        HALF_DONE_SIGNIN.add(VERIFIED_SESSION_KEY)
