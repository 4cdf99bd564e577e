"""Owners' voting (表决) under Civil Code art. 278: electorate, ballots, exact tallies, receipts (docs/domain.md)."""
