"""A consumer of dom's events on NATS JetStream: a durable pull consumer that de-duplicates.

    pip install nats-py==2.16.0
    python examples/nats_consumer.py --url nats://127.0.0.1:4222 --durable billing

dom publishes every event at least once, each order's events in order (``seq`` 1, 2, 3...).
JetStream already drops a repeat published within the stream's duplicate window (the message
id is the event id), but a repeat can still reach a consumer: published again after the window
(a relay down for longer), or redelivered because this consumer died before its ack. So:

- handle, then ack: a crash in between means the event comes again, never that it is lost;
- skip what was already handled: an order's ``seq`` only grows, so remembering the last seq
  per order is enough (``Dom-Order-Id`` and ``Dom-Seq`` headers carry them, the body too).
  A real consumer keeps that table where it keeps its effects, in the same transaction.

The durable consumer remembers its position on the server: stop this script, start it
again, and it carries on where it left off. One JSON line is printed per event handled.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from typing import Any

import nats
from nats.errors import TimeoutError as FetchTimeout
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy


class Deduplicator:
    """The last seq handled per order: an event at or below it is a repeat."""

    def __init__(self) -> None:
        self.last_seq: dict[str, int] = {}

    def is_new(self, order_id: str, seq: int) -> bool:
        return seq > self.last_seq.get(order_id, 0)

    def handled(self, order_id: str, seq: int) -> None:
        self.last_seq[order_id] = seq


def handle(event: dict[str, Any]) -> None:
    """Your business here (it must be safe to run again for the same event after a crash
    between it and the ack, or be done in one transaction with the de-duplication table)."""
    line = json.dumps({key: event[key] for key in ("id", "order_id", "seq", "type")})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def consume(args: argparse.Namespace) -> int:
    client = await nats.connect(args.url, name=f"dom-consumer-{args.durable}")
    js = client.jetstream()
    config = ConsumerConfig(durable_name=args.durable, ack_policy=AckPolicy.EXPLICIT,
                            deliver_policy=DeliverPolicy.ALL, ack_wait=30, max_ack_pending=1)
    # max_ack_pending=1: one event in flight, so a redelivery cannot overtake a later event.
    subscription = await js.pull_subscribe(f"{args.prefix}.>", durable=args.durable,
                                           stream=args.stream, config=config)
    seen = Deduplicator()
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    idle = 0.0
    handled = skipped = 0
    try:
        while not stopping.is_set():
            try:
                messages = await subscription.fetch(batch=args.batch, timeout=1.0)
            except FetchTimeout:
                idle += 1.0
                if args.exit_when_idle and idle >= args.exit_when_idle:
                    break
                continue
            idle = 0.0
            for message in messages:
                event = json.loads(message.data)
                if seen.is_new(event["order_id"], event["seq"]):
                    handle(event)
                    seen.handled(event["order_id"], event["seq"])
                    handled += 1
                else:
                    skipped += 1  # a repeat: acknowledged, not handled again
                await message.ack()
    finally:
        await client.close()
    sys.stderr.write(f"handled {handled} events, skipped {skipped} repeats\n")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="nats://127.0.0.1:4222")
    parser.add_argument("--stream", default="DOM_EVENTS", help="DOM_NATS_STREAM")
    parser.add_argument("--prefix", default="dom.events", help="DOM_NATS_SUBJECT_PREFIX; "
                        "narrow it to one type with e.g. dom.events.order")
    parser.add_argument("--durable", default="example", help="the consumer's name on the "
                        "server: the same name resumes where it stopped")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--exit-when-idle", type=float, default=0.0, metavar="SECONDS",
                        help="stop after this long without a message (0: never)")
    return asyncio.run(consume(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
