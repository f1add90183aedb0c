"""Authorization: a caller, an action and a resource become a policy set and a Decision."""
