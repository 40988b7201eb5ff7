"""Who is calling: users, API tokens and roles."""
