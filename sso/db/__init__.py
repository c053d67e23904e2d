"""Database backends: Django's, with the changes the portal's deployments need."""
