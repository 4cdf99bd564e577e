"""The estate registry (台账): streets, communities, estates, buildings, entrances, units, people, grids."""
