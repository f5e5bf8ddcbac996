"""Durable jobs: one table of due work (timers, Discord side effects), claimed atomically and retried."""
