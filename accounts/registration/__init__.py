"""Self-registration (design.md "Bringing people in"): where policy allows, address verified."""
