"""Registers the demo SAML service provider of ``examples/saml_sp`` (``make demo-sp``)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.html import escape

from sso.saml.keys import certificate_body, write_key_files
from sso.saml.models import ServiceProvider

METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{sp}/metadata/">
  <md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
      <ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data>
    </ds:KeyInfo></md:KeyDescriptor>
    <md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
      <ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data>
    </ds:KeyInfo></md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{sp}/sls/"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{sp}/acs/" index="1"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"""


def demo_metadata(sp_url: str, cert_pem: str) -> str:
    """The metadata python3-saml would publish for the demo app at ``sp_url``."""
    return METADATA.format(sp=escape(sp_url.rstrip("/")), cert=certificate_body(cert_pem))


class Command(BaseCommand):
    help = "Create the demo SAML app's key and register it (examples/saml_sp). DEBUG only."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sp-url", default="http://localhost:8002")

    def handle(self, *args: object, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("The demo app is for development: run this with DEBUG=true only.")
        var = Path(settings.BASE_DIR) / "var"
        key, cert = var / "demo_sp_key.pem", var / "demo_sp_cert.pem"
        write_key_files(key, cert, "Demo SAML app")
        sp_url = options["sp_url"].rstrip("/")
        sp, created = ServiceProvider.objects.update_or_create(
            entity_id=f"{sp_url}/metadata/",
            defaults={
                "name": "Demo SAML app",
                "metadata_xml": demo_metadata(sp_url, cert.read_text()),
                "released_attributes": [choice.value for choice in ServiceProvider.Attribute],
                "launch_url": f"{sp_url}/login",
            },
        )
        verb = "Registered" if created else "Updated"
        self.stdout.write(f"{verb} the demo SAML app {sp.entity_id!r}")
