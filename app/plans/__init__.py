"""Design plans and their publication (公示): versions, opinions and replies, read receipts (docs/domain.md)."""
