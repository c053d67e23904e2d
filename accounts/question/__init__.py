"""seeds/003's personal security question: its settings page and its sign-in step."""
