"""The discord.py side of the bot: the Bot subclass, the command tree, the error handler."""
