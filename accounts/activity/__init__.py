"""Devices and activity in Security Settings: recent sign-ins, sessions, signing one out."""
