"""The settings' personal data (see :mod:`bot.platform.personal`): which staff member last changed a key. Erasure
puts the pseudonym in its place (who changed what stays in the audit log, pseudonymised the same way)."""

from __future__ import annotations

from bot.platform.personal import PersonalData, Pseudonymise
from bot.settings.tables import setting_overrides

PERSONAL_DATA = (PersonalData(setting_overrides, ("updated_by",), erase=Pseudonymise()),)
