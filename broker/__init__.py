"""Message brokers the outbox relay publishes to (NATS JetStream), and the loop that runs it.

``lifecycle.event_relay`` holds the broker-free logic; this package plugs nats-py into it.
"""
