"""The dashboard's personal data (see :mod:`bot.platform.personal`): staff members' sessions and used login
links. Erasure deletes the sessions (a deleted session no longer opens the dashboard) and keeps the used links'
nonces under the pseudonym, so a link used before still cannot be used again."""

from __future__ import annotations

from bot.dashboard.tables import web_login_nonces, web_sessions
from bot.platform.personal import Delete, PersonalData, Pseudonymise, Section

PERSONAL_DATA = (
    # The cookie's hash and the nonce are secrets of the login, not shown.
    PersonalData(
        web_sessions, ("user_id",), erase=Delete(),
        export=(Section("dashboard_sessions", columns=("created_at", "expires_at", "revoked_at"),
                        order_by=("created_at",)),),
    ),
    PersonalData(
        web_login_nonces, ("user_id",), erase=Pseudonymise(),
        export=(Section("dashboard_logins", columns=("used_at",), order_by=("used_at",)),),
    ),
)
