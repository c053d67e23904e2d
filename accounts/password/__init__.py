"""The password: forgot ("Lupa Password"), the reset link, and changing it in Security Settings."""
