"""``python -m bot`` is the same as the ``kudos`` command."""

from bot.cli import main

if __name__ == "__main__":  # the chart process (spawned) imports this module as __mp_main__
    raise SystemExit(main())
