#!/usr/bin/env python3
"""Starts a proxy on listening sockets bound here, so a test never needs a fixed port.

Usage: launch-with-listeners.py COUNT CONFIG PROGRAM [ARGS...]

Binds COUNT TCP sockets on 127.0.0.1 port 0 and makes them listen, puts them on descriptors 3, 4, ... (inheritable),
replaces @PORT0@, @PORT1@, ... in the file CONFIG by their ports, prints the ports on one line and replaces itself with
PROGRAM. HAProxy takes the sockets as `bind fd@3`; nginx through the NGINX variable ("3;4;"), set here, when a `listen`
names the same address and port. The sockets listen before the proxy starts, so a client that connects early waits
in the backlog instead of being refused, and nothing between the bind and the proxy can take the port.
"""
import fcntl
import os
import socket
import sys


def main():
    count, config, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    ports, parked = [], []
    for i in range(count):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(511)
            ports.append(listener.getsockname()[1])
            # Parked above the targets first, so moving one to 3 + i never closes another.
            parked.append(fcntl.fcntl(listener.fileno(), fcntl.F_DUPFD, 100 + i))
    for i, fd in enumerate(parked):
        os.dup2(fd, 3 + i)  # dup2 leaves the new descriptor inheritable
        os.close(fd)
    with open(config) as f:
        text = f.read()
    for i, port in enumerate(ports):
        text = text.replace("@PORT%d@" % i, str(port))
    with open(config, "w") as f:
        f.write(text)
    os.environ["NGINX"] = "".join("%d;" % (3 + i) for i in range(count))
    print(" ".join(map(str, ports)), flush=True)
    os.execvp(argv[0], argv)


main()
