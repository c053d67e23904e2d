"""The portal as a SAML 2.0 identity provider (pysaml2)."""

import warnings

# pysaml2 7.5 names a cipher mode that cryptography moved (it never uses it for SAML's
# algorithms); the warning would print on every command.
warnings.filterwarnings("ignore", message="CFB has been moved", module="saml2")
