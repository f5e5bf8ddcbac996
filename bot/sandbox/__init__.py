"""The real bot against the loopback emulator: the test harness, the scenario runner and ``kudos sandbox``."""
