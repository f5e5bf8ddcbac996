"""Catch-up after the bot was away from the gateway: the newest message seen per guild."""
