"""A small local IMAP4rev1 server for tests, speaking enough of the protocol for imaplib: CAPABILITY, LOGIN,
SELECT, UID SEARCH UNSEEN, UID FETCH (BODY.PEEK[]), UID STORE +FLAGS (\\Seen), NOOP, LOGOUT. It holds one
mailbox in memory; `seen` says which messages a client marked seen, and `fail_store` makes STORE fail (as a
server dropping the connection would) to show nothing is marked seen before its draft is kept."""

import re
import socketserver
import threading
from dataclasses import dataclass, field


@dataclass
class Message:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class FakeImap:
    def __init__(self, user: str = "helpline", password: str = "s3cret pass"):
        self.user, self.password = user, password
        self.messages: list[Message] = []
        self.fail_store = False
        self.commands: list[str] = []
        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                fake._serve(self)

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeImap":
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def add(self, raw: bytes) -> int:
        uid = len(self.messages) + 1
        self.messages.append(Message(uid, raw))
        return uid

    @property
    def seen(self) -> list[int]:
        return [m.uid for m in self.messages if "\\Seen" in m.flags]

    def _serve(self, handler: socketserver.StreamRequestHandler) -> None:
        write = handler.wfile.write
        write(b"* OK [CAPABILITY IMAP4rev1] fake IMAP ready\r\n")
        logged_in = selected = False
        while True:
            line = handler.rfile.readline()
            if not line:
                return
            tag, _, rest = line.decode().rstrip("\r\n").partition(" ")
            command, _, args = rest.partition(" ")
            command = command.upper()
            self.commands.append(f"{command} {args}".strip() if command != "LOGIN" else "LOGIN")
            if command == "CAPABILITY":
                write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + f"{tag} OK CAPABILITY done\r\n".encode())
            elif command == "NOOP":
                write(f"{tag} OK NOOP done\r\n".encode())
            elif command == "LOGIN":
                user, password = _strings(args)
                logged_in = (user, password) == (self.user, self.password)
                write(f"{tag} {'OK' if logged_in else 'NO'} LOGIN\r\n".encode())
            elif command == "LOGOUT":
                write(b"* BYE\r\n" + f"{tag} OK LOGOUT done\r\n".encode())
                return
            elif not logged_in:
                write(f"{tag} BAD sign in first\r\n".encode())
            elif command in ("SELECT", "EXAMINE"):
                selected = True
                write(
                    f"* {len(self.messages)} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen)\r\n"
                    f"{tag} OK [READ-WRITE] SELECT done\r\n".encode()
                )
            elif not selected:
                write(f"{tag} BAD select a mailbox first\r\n".encode())
            elif command == "UID":
                write(self._uid(tag, args))
            else:
                write(f"{tag} BAD unknown command\r\n".encode())

    def _uid(self, tag: str, args: str) -> bytes:
        verb, _, rest = args.partition(" ")
        verb = verb.upper()
        if verb == "SEARCH" and rest.upper() == "UNSEEN":
            uids = " ".join(str(m.uid) for m in self.messages if "\\Seen" not in m.flags)
            return f"* SEARCH {uids}\r\n".replace(" \r", "\r").encode() + f"{tag} OK SEARCH done\r\n".encode()
        uid_text, _, what = rest.partition(" ")
        found = next((m for m in self.messages if str(m.uid) == uid_text), None)
        if found is None:
            return f"{tag} OK nothing\r\n".encode()
        index = self.messages.index(found) + 1
        if verb == "FETCH" and "BODY.PEEK[]" in what.upper():
            head = f"* {index} FETCH (UID {found.uid} BODY[] {{{len(found.raw)}}}\r\n".encode()
            return head + found.raw + b")\r\n" + f"{tag} OK FETCH done\r\n".encode()
        if verb == "STORE" and re.match(r"\+FLAGS(\.SILENT)? \(\\Seen\)", what, re.I):
            if self.fail_store:
                return f"{tag} NO STORE failed\r\n".encode()
            found.flags.add("\\Seen")
            return f"* {index} FETCH (UID {found.uid} FLAGS (\\Seen))\r\n{tag} OK STORE done\r\n".encode()
        return f"{tag} BAD unsupported\r\n".encode()


def _strings(args: str) -> list[str]:
    """LOGIN's arguments: atoms or quoted strings (with \\" and \\\\ escapes)."""
    found = re.findall(r'"((?:[^"\\]|\\.)*)"|(\S+)', args)
    return [re.sub(r"\\(.)", r"\1", quoted) if quoted else atom for quoted, atom in found]
