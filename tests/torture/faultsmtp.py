#!/usr/bin/python3
"""A small fault-injecting SMTP server for the torture suite (stdlib asyncio only).

    faultsmtp.py --spool DIR --cert PEM --key PEM [--seed N] [--p-fault 0.1]
                 [--mode random|refuse451|ok] [--delay S] [--no-unknown]

Speaks SMTP over TLS from the first byte (smtps, RFC 8314), without AUTH, and prints its
port on a line of its own once it listens.  Each accepted message is saved as
DIR/NNNNNN.eml (dot-stuffing removed) and appended to DIR/received.jsonl with its
Message-ID and envelope.  Faults are drawn per command from a seeded random generator
with probability --p-fault: a 451 reply, a 421 and close, a dropped connection, a slow
reply, or (only after the final dot) saving the message and dropping the connection
without a reply, the one case where a client cannot know the outcome (--no-unknown
leaves that one out).  --mode refuse451
answers every MAIL with 451 (an outage that still accepts connections); the file
DIR/mode, when present, overrides --mode at each new connection, so a test can end an
outage without restarting the server.  SIGTERM stops it.
"""

import argparse
import asyncio
import json
import os
import random
import re
import signal
import ssl
import sys

FAULTS = ("451", "421", "drop", "slow")


class Server:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.count = 0
        self.log = open(os.path.join(args.spool, "received.jsonl"), "a", encoding="utf-8")

    def mode(self):
        try:
            with open(os.path.join(self.args.spool, "mode"), encoding="ascii") as f:
                return f.read().strip() or self.args.mode
        except OSError:
            return self.args.mode

    def fault(self, mode):
        if mode != "random" or self.rng.random() >= self.args.p_fault:
            return None
        return self.rng.choice(FAULTS)

    def save(self, data, mail_from, rcpts):
        self.count += 1
        name = "%06d" % self.count
        with open(os.path.join(self.args.spool, name + ".eml"), "wb") as f:
            f.write(data)
        m = re.search(rb"^Message-ID:\s*(\S+)", data, re.M | re.I)
        self.log.write(json.dumps({"name": name, "message_id": m.group(1).decode()
                                   if m else None, "from": mail_from, "to": rcpts}) + "\n")
        self.log.flush()

    async def handle(self, reader, writer):
        mode = self.mode()

        async def reply(text):
            if self.args.delay:
                await asyncio.sleep(self.args.delay)
            writer.write(text.encode() + b"\r\n")
            await writer.drain()

        async def injected(cmd):
            """True when a fault replaced the command's normal reply."""
            f = self.fault(mode)
            if f is None:
                return False
            if f == "slow":
                await asyncio.sleep(0.2)
                return False
            if f == "451":
                await reply("451 4.3.0 injected fault at %s" % cmd)
                return True
            if f == "421":
                await reply("421 4.3.0 injected closing at %s" % cmd)
            writer.close()
            raise ConnectionError("injected %s" % f)

        mail_from, rcpts = None, []
        try:
            await reply("220 faultsmtp ESMTP")
            while True:
                line = await reader.readline()
                if not line:
                    break
                cmd = line.decode("utf-8", "replace").strip()
                verb = cmd.split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    await reply("250-faultsmtp\r\n250-8BITMIME\r\n250 SIZE 10485760"
                                if verb == "EHLO" else "250 faultsmtp")
                elif verb == "MAIL":
                    if mode == "refuse451":
                        await reply("451 4.3.0 outage")
                        continue
                    if not await injected("MAIL"):
                        mail_from, rcpts = cmd[10:].strip(" <>").split(">")[0], []
                        await reply("250 2.1.0 OK")
                elif verb == "RCPT":
                    if not await injected("RCPT"):
                        rcpts.append(cmd[8:].strip(" <>").split(">")[0])
                        await reply("250 2.1.5 OK")
                elif verb == "DATA":
                    if await injected("DATA"):
                        continue
                    await reply("354 go ahead")
                    data = bytearray()
                    while True:
                        l = await reader.readline()
                        if not l:
                            raise ConnectionError("eof in data")
                        if l in (b".\r\n", b".\n"):
                            break
                        data += l[1:] if l.startswith(b"..") else l
                    f = self.fault(mode)
                    if f == "drop" and self.args.unknown and self.rng.random() < 0.5:
                        self.save(bytes(data), mail_from, rcpts)   # accepted, unanswered
                        writer.close()
                        return
                    if f in ("451", "421"):
                        await reply("%s 4.3.0 injected fault at the dot" % f)
                        if f == "421":
                            writer.close()
                            return
                        continue
                    self.save(bytes(data), mail_from, rcpts)
                    await reply("250 2.0.0 queued")
                elif verb == "RSET":
                    mail_from, rcpts = None, []
                    await reply("250 2.0.0 OK")
                elif verb == "NOOP":
                    await reply("250 2.0.0 OK")
                elif verb == "QUIT":
                    await reply("221 2.0.0 bye")
                    break
                else:
                    await reply("502 5.5.2 not implemented")
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, OSError):
            pass
        finally:
            try:
                writer.close()
            except Exception:
                pass


async def main_async(args):
    srv = Server(args)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    server = await asyncio.start_server(srv.handle, "127.0.0.1", 0, ssl=ctx)
    sys.stdout.write("%d\n" % server.sockets[0].getsockname()[1])
    sys.stdout.flush()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--spool", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--p-fault", type=float, default=0.1)
    p.add_argument("--mode", choices=("random", "refuse451", "ok"), default="random")
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--no-unknown", dest="unknown", action="store_false")
    args = p.parse_args()
    os.makedirs(args.spool, exist_ok=True)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
