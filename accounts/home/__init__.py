"""Home SSO: who is signed in and the applications they can open."""
