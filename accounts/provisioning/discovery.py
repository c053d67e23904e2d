"""Discovery documents (RFC 7644 §4) that django-scim2 reads from settings: the
ServiceProviderConfig (RFC 7643 §5) and the /Schemas list (RFC 7643 §7)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from scim2_models import Context, ServiceProviderConfig

from accounts.provisioning.resources import schema_documents


class ServiceProviderConfigDocument:
    """django-scim2's ``SERVICE_PROVIDER_CONFIG_MODEL``: what this server supports
    (RFC 7643 §5), written with scim2-models."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        self.request = request

    def to_dict(self) -> dict[str, Any]:
        config = ServiceProviderConfig.model_validate(
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                "documentationUri": settings.PROVISIONING_DOCUMENTATION_URI or None,
                "patch": {"supported": True},
                "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
                "filter": {"supported": True, "maxResults": settings.PROVISIONING_MAX_RESULTS},
                "changePassword": {"supported": False},
                "sort": {"supported": False},
                "etag": {"supported": True},
                "authenticationSchemes": [
                    {
                        "type": "oauthbearertoken",
                        "name": "Bearer token",
                        "description": "A provisioning client's token (manage.py scim_token).",
                        "primary": True,
                    }
                ],
            }
        )
        document = config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
        if self.request is not None:
            document["meta"] = {
                "resourceType": "ServiceProviderConfig",
                "location": self.request.build_absolute_uri(),
            }
        return document


def schemas_getter() -> list[dict[str, Any]]:
    """django-scim2's ``SCHEMAS_GETTER``."""
    return schema_documents()
