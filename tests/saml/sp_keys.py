"""Keys and metadata of test service providers (python3-saml, djangosaml2)."""
