"""sequex's client library: ``sequex.client`` (an asyncio OUCH 4.2 client of a sequex host)."""
