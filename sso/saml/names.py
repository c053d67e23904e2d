"""Names the SAML code leaves in the session and on the request.

Read on every request (the app's ready(), SingleLogoutMiddleware, the sign-out receiver), so
they live apart from sso.saml.flows and sso.saml.logout, which load pysaml2.
"""

# The requests waiting for the browser's (fresh) sign-in (sso.saml.flows).
PENDING_SESSION_KEY = "saml.pending"
# Set on the request by the user_logged_out receiver: SAML sessions still to be told.
QUEUE_ATTRIBUTE = "saml_logout_queue"
# Set by the view of an SP-initiated logout: that SP is answered, not sent a request.
INITIATOR_ATTRIBUTE = "saml_logout_initiator"
