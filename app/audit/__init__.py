"""The audit log as an API: scoped reading and verification of the hash chain (the log itself is in core)."""
