"""disruptor package."""
