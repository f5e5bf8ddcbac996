"""Linked Roles: members' ledger numbers published to Discord as role-connection metadata, so that server roles
can require them (docs/linked-roles.md). No discord here: the links (OAuth2 tokens, encrypted), which members'
numbers changed, and what to publish. The Discord side (the OAuth2 client, the jobs that call Discord) is in
``bot/core/oauth2.py`` and ``cogs/linkedroles/``; the verification URL in ``bot/web/routes/linkedroles.py``."""
