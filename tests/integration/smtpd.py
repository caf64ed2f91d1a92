#!/usr/bin/python3
"""A scriptable SMTP server for the kapd tests (Debian's python3-aiosmtpd).

    smtpd.py --spool DIR [--host 127.0.0.1] [--port 0] [--tls starttls|smtps|none]
             [--cert PEM --key PEM] [--user NAME --password-file FILE]
             [--fault CMD=ACTION[:N]]... [--delay SECONDS] [--no-save]

Listens on HOST:PORT (port 0: a free one) and prints the port on a line of its own once
it accepts connections.  Runs until SIGTERM or SIGINT.

TLS: "starttls" (default) offers STARTTLS and refuses every command but EHLO, NOOP, QUIT
and STARTTLS before it; "smtps" speaks TLS from the first byte; "none" offers no TLS at
all and, so that a client sending in clear would be caught, then requires no AUTH either.
With --user, AUTH (PLAIN, LOGIN) is required and only offered over TLS.

Each accepted message is saved as DIR/NNNN.eml (the bytes as received, dot-stuffing
removed) with DIR/NNNN.json (envelope: mail_from, rcpt_tos, conn, tls, auth).  Every
connection, fault and message is appended to DIR/events.jsonl as one JSON object per line.

Faults (--fault, repeatable): CMD is one of greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT,
DATA, DOT (the reply to the end of the message), QUIT.  ACTION is
  NNN       reply with that code instead (421 also closes the connection)
  drop      close the connection without replying
  hang      never reply (the connection stays open until the client leaves)
  savedrop  only for DOT: save the message, then drop without replying
:N applies the fault to the first N occurrences only (counted over all connections).
--delay holds every reply (the greeting too) for SECONDS: a slow but working server.
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import ssl
import logging
import sys
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

COMMANDS = ("greeting", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "DOT", "QUIT")


class State:
    """What all connections share: the faults, counters and the spool directory."""

    def __init__(self, args):
        self.spool = args.spool
        self.save = not args.no_save
        self.connections = 0
        self.messages = 0
        self.faults = {}
        for spec in args.fault:
            cmd, _, action = spec.partition("=")
            action, _, times = action.partition(":")
            if cmd not in COMMANDS or not action:
                raise SystemExit("smtpd.py: bad --fault %r" % spec)
            self.faults[cmd] = [action, int(times) if times else None]
        self.delay = args.delay
        self.events = open(os.path.join(self.spool, "events.jsonl"), "a", encoding="utf-8")

    def event(self, **kw):
        self.events.write(json.dumps(kw, sort_keys=True) + "\n")
        self.events.flush()

    def take(self, cmd):
        """The fault action for this occurrence of cmd, or None."""
        rule = self.faults.get(cmd)
        if rule is None or rule[1] == 0:
            return None
        if rule[1] is not None:
            rule[1] -= 1
        return rule[0]


class Handler:
    def __init__(self, state):
        self.state = state

    async def handle_DATA(self, server, session, envelope):
        st = self.state
        action = st.take("DOT")
        if action in (None, "savedrop"):
            name = self.save_message(server, envelope)
            if action is None:
                return "250 2.0.0 OK queued as %s" % name
        st.event(ev="fault", cmd="DOT", action=action, conn=server.conn_no)
        if action in ("drop", "savedrop"):
            server.transport.close()
            await asyncio.sleep(3600)  # cancelled when the connection is gone
        if action == "hang":
            await asyncio.sleep(3600)
        return "%s %s.3.0 scripted failure at the end of the message" % (action, action[0])

    def save_message(self, server, envelope):
        st = self.state
        st.messages += 1
        name = "%04d" % st.messages
        env = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
               "conn": server.conn_no, "tls": server.tls_active(),
               "auth": server.auth_user(), "size": len(envelope.original_content)}
        if st.save:
            with open(os.path.join(st.spool, name + ".eml"), "wb") as f:
                f.write(envelope.original_content)
            with open(os.path.join(st.spool, name + ".json"), "w", encoding="utf-8") as f:
                json.dump(env, f)
        st.event(ev="message", name=name, **env)
        return name


class FaultySMTP(SMTP):
    def __init__(self, handler, state, implicit_tls, **kw):
        super().__init__(handler, **kw)
        self.state = state
        self.implicit_tls = implicit_tls
        self.conn_no = 0

    def tls_active(self):
        return self.implicit_tls or self._tls_protocol is not None

    def auth_user(self):
        data = getattr(self.session, "auth_data", None)
        return data.login.decode("utf-8", "replace") if isinstance(data, LoginPassword) \
            else None

    async def _handle_client(self):
        st = self.state
        st.connections += 1
        self.conn_no = st.connections
        st.event(ev="connect", conn=self.conn_no)
        if await self.fault("greeting"):
            return
        await super()._handle_client()

    async def push(self, status):
        if self.state.delay:
            await asyncio.sleep(self.state.delay)
        await super().push(status)

    def connection_lost(self, error):
        self.state.event(ev="disconnect", conn=self.conn_no)
        super().connection_lost(error)

    async def fault(self, cmd):
        """Applies a scripted fault for cmd; True when the command must not run."""
        action = self.state.take(cmd)
        if action is None:
            return False
        self.state.event(ev="fault", cmd=cmd, action=action, conn=self.conn_no)
        if action == "drop":
            self.transport.close()
        elif action == "hang":
            await asyncio.sleep(3600)
        else:
            await self.push("%s %s.3.0 scripted failure of %s" % (action, action[0], cmd))
            if action == "421":
                self.transport.close()
        return True

    async def smtp_EHLO(self, arg):
        if not await self.fault("EHLO"):
            await super().smtp_EHLO(arg)

    async def smtp_STARTTLS(self, arg):
        if not await self.fault("STARTTLS"):
            await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):
        if not await self.fault("AUTH"):
            await super().smtp_AUTH(arg)

    async def smtp_MAIL(self, arg):
        if not await self.fault("MAIL"):
            await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        if not await self.fault("RCPT"):
            await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg):
        if not await self.fault("DATA"):
            await super().smtp_DATA(arg)

    async def smtp_QUIT(self, arg):
        if not await self.fault("QUIT"):
            await super().smtp_QUIT(arg)


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.login == user.encode() and \
            data.password == password.encode()
        return AuthResult(success=ok, handled=False, auth_data=data if ok else None)
    return authenticate


def tls_context(args):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)
    return ctx


async def serve(args):
    state = State(args)
    loop = asyncio.get_running_loop()
    ctx = tls_context(args) if args.tls != "none" else None
    password = None
    if args.user:
        with open(args.password_file, encoding="utf-8") as f:
            password = f.read().rstrip("\r\n")
    auth = {}
    if args.user and args.tls != "none":
        # aiosmtpd 1.4 only counts STARTTLS as TLS; with smtps every byte is encrypted.
        auth = {"auth_required": True, "auth_require_tls": args.tls == "starttls",
                "authenticator": make_authenticator(args.user, password)}

    def factory():
        return FaultySMTP(Handler(state), state, args.tls == "smtps", hostname="kapd-test-smtpd",
                          tls_context=ctx if args.tls == "starttls" else None,
                          require_starttls=args.tls == "starttls", loop=loop,
                          data_size_limit=10 * 1024 * 1024, **auth)

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    server = await loop.create_server(factory, sock=sock, backlog=128,
                                      ssl=ctx if args.tls == "smtps" else None)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write("%d\n" % sock.getsockname()[1])
    sys.stdout.flush()
    await stop.wait()
    server.close()


def main():
    # aiosmtpd 1.4 logs a warning about its own use of Session.login_data.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--spool", required=True)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--tls", choices=("starttls", "smtps", "none"), default="starttls")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password-file")
    p.add_argument("--fault", action="append", default=[])
    p.add_argument("--delay", type=float, default=0.0)
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args()
    if args.tls != "none" and not (args.cert and args.key):
        p.error("--tls %s needs --cert and --key" % args.tls)
    if args.user and not args.password_file:
        p.error("--user needs --password-file")
    os.makedirs(args.spool, exist_ok=True)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
