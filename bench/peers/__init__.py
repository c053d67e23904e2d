"""``make bench-peers``: the portal beside django-allauth and django-two-factor-auth.

Each peer is a minimal Django project here (settings, URLs, a Home page) whose dependencies are
pinned in its own requirements.txt and installed by the make target into its own virtualenv
under var/peers/; nothing of the peers is vendored. ``bench.peers.run`` drives all three.
"""
