"""The announcements' personal data (see :mod:`bot.platform.personal`): who scheduled a post (kept under the
pseudonym). The post's text is staff's announcement, not personal data."""

from __future__ import annotations

from bot.announcements.tables import announcements
from bot.platform.personal import PersonalData, Pseudonymise

PERSONAL_DATA = (PersonalData(announcements, ("created_by",), erase=Pseudonymise()),)
