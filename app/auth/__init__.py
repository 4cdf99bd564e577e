"""Identity and access: WeChat and staff login, tokens, roles with scopes, unit bindings."""
