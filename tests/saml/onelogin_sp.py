"""A service provider made with python3-saml (OneLogin's toolkit): not our code, and not
pysaml2, so it checks the portal's responses independently (signatures by xmlsec, schema)."""

from urllib.parse import parse_qs, urlsplit

from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.settings import OneLogin_Saml2_Settings


class OneLoginSP:
    def __init__(self, base: str, key_pair: tuple[str, str], idp_base: str) -> None:
        self.base = base.rstrip("/")
        self.entity_id = f"{self.base}/metadata/"
        self.key, self.cert = key_pair
        self.idp_base = idp_base
        self.idp: dict = {}
        self.security: dict = {
            "authnRequestsSigned": True,
            "logoutRequestSigned": True,
            "logoutResponseSigned": True,
            "wantAssertionsSigned": True,
            "wantMessagesSigned": True,
            "signatureAlgorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "digestAlgorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
            "requestedAuthnContext": False,
            "rejectDeprecatedAlgorithm": True,
        }
        self.last_request_id = ""

    def trust_idp_metadata(self, xml: str) -> None:
        self.idp = OneLogin_Saml2_IdPMetadataParser.parse(xml)["idp"]

    def settings(self, **security) -> OneLogin_Saml2_Settings:
        data = {
            "strict": True,
            "debug": False,
            "sp": {
                "entityId": self.entity_id,
                "assertionConsumerService": {
                    "url": f"{self.base}/acs/",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                },
                "singleLogoutService": {
                    "url": f"{self.base}/sls/",
                    "binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                },
                "NameIDFormat": "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
                "x509cert": self.cert,
                "privateKey": self.key,
            },
            "idp": self.idp,
            "security": {**self.security, **security},
        }
        return OneLogin_Saml2_Settings(data, sp_validation_only=not self.idp)

    def metadata(self, **security) -> str:
        return self.settings(**security).get_sp_metadata().decode()

    def _request_data(self, path: str, get: dict | None = None, post: dict | None = None) -> dict:
        parts = urlsplit(self.base)
        return {
            "https": "on" if parts.scheme == "https" else "off",
            "http_host": parts.netloc,
            "script_name": path,
            "get_data": get or {},
            "post_data": post or {},
        }

    def auth(self, path: str = "/", get=None, post=None, **security) -> OneLogin_Saml2_Auth:
        return OneLogin_Saml2_Auth(self._request_data(path, get, post), self.settings(**security))

    def login_url(self, **kwargs) -> str:
        """The IdP URL (Redirect binding, signed query) that starts SP-initiated SSO."""
        auth = self.auth()
        url = auth.login(**kwargs)
        self.last_request_id = auth.get_last_request_id()
        return url

    def signed_post_request(self, tamper=None, **options) -> str:
        """A signed AuthnRequest for the HTTP-POST binding, base64-encoded (SAMLRequest)."""
        from base64 import b64encode

        from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
        from onelogin.saml2.utils import OneLogin_Saml2_Utils

        settings = self.settings()
        post_url = f"{self.idp_base}/saml/sso/post/"
        settings.get_idp_data()["singleSignOnService"]["url"] = post_url
        request = OneLogin_Saml2_Authn_Request(settings, **options)
        self.last_request_id = request.get_id()
        xml = request.get_xml()
        if tamper is not None:  # a request the SP signs but should not have made
            xml = tamper(xml)
        signed = OneLogin_Saml2_Utils.add_sign(xml, self.key, self.cert)
        return b64encode(signed).decode()

    def consume(
        self, saml_response: str, request_id: str | None = "", **security
    ) -> OneLogin_Saml2_Auth:
        """python3-saml's processing of a response POSTed to the ACS; errors on the result."""
        auth = self.auth("/acs/", post={"SAMLResponse": saml_response}, **security)
        auth.process_response(request_id=self.last_request_id if request_id == "" else request_id)
        return auth


def path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
