"""Activity: messages and reactions counted per member, channel and day (write-behind)."""
