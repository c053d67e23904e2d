"""Username-first sign-in (seeds/000): username, method, password steps, restart, Sign Out."""
