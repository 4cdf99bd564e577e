"""Error codes of the public notice board."""

from app.core.errors import define

PUBLIC_RATE_LIMITED = define("public_rate_limited", 429, "访问过于频繁，请稍后再试", "Too many requests; try again later")
