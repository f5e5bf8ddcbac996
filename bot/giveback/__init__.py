"""What the brand gives back to members (a read-only ledger): see :mod:`.service`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.platform.lazy import lazy_exports

if TYPE_CHECKING:
    from bot.giveback.service import KIND_TEXT, GivebackService, MemberGiven, Month, ToThank

_EXPORTS = {
    "KIND_TEXT": ("bot.giveback.service", "KIND_TEXT"),
    "GivebackService": ("bot.giveback.service", "GivebackService"),
    "MemberGiven": ("bot.giveback.service", "MemberGiven"),
    "Month": ("bot.giveback.service", "Month"),
    "ToThank": ("bot.giveback.service", "ToThank"),
}
__all__ = ["KIND_TEXT", "GivebackService", "MemberGiven", "Month", "ToThank"]

__getattr__ = lazy_exports(__name__, _EXPORTS)
