"""When the portal session ends, so do the SAML sessions it opened (Single Logout)."""
