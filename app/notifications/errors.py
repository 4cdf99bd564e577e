"""Error codes of notifications: none of their own (an unknown template key is refused by the request's
schema, where the keys are an enum)."""
