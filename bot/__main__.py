"""``python -m bot`` is the same as the ``kudos`` command."""

from bot.cli import main

raise SystemExit(main())
