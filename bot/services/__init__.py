"""Business rules. Nothing in here imports discord: services take plain ids and values."""
