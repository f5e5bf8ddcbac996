"""The public pages of a server (``[guilds.<id>.public]``): roadmap, changelog, top requests, one item.

Read-only views over the feedback feature's public items (:mod:`bot.feedback.public`) and the privacy feature's
name opt-ins; see :mod:`bot.public.service`. No discord import, no tables of its own.
"""
