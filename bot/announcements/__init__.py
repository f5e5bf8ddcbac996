"""Announcements: staff posts in the community channel, the broadcast budget, and what-we-changed posts."""
