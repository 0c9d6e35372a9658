"""Examples that run against Slack or the local emulator; each behind the extra it names."""
