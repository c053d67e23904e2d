from django.apps import AppConfig


class SmsConfig(AppConfig):
    name = "mfa.sms"
    label = "sms"
    verbose_name = "SMS codes"
