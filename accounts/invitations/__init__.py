"""Invitations: an admin adds a person without a password; a single-use link lets them set one."""
