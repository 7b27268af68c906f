"""Network and kernel-log probes for nix/tests/run-host-tests.sh (Python 3 standard library only).

Subcommands:
  serve PORT                 listen on 0.0.0.0 and [::] (TCP), answer "ok\\n"; answer every UDP datagram
                             to PORT on both with "ok\\n"; print "ready" once bound
  connect TIMEOUT ADDR:PORT… TCP connect to each target in turn; print "ADDR reached|blocked|refused|<error>"
  udp-ask TIMEOUT ADDR:PORT… send one UDP datagram to each target in turn; print "ADDR reached|blocked|<error>"
  udp ADDR PORT COUNT        send COUNT datagrams as fast as possible; print how many send() calls failed
  echo ADDR                  send one ICMP/ICMPv6 echo request through a ping socket
  kmsg-seq                   print the sequence number of the newest /dev/kmsg record
  kmsg-since SEQ PREFIX      print the text of every /dev/kmsg record after SEQ starting with PREFIX
  set-elements               read `nft -j list set …` on stdin; print "ELEMENT PACKETS" per element
"""

import errno
import ipaddress
import json
import os
import socket
import sys
import threading


def serve(port):
    listeners = []
    for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        s.listen(64)
        listeners.append(s)

    def loop(s):
        while True:
            conn, _ = s.accept()
            try:
                conn.sendall(b"ok\n")
            finally:
                conn.close()

    def udp_loop(s):
        while True:
            _, peer = s.recvfrom(2048)
            s.sendto(b"ok\n", peer)

    udp_sockets = []
    for family, addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        s = socket.socket(family, socket.SOCK_DGRAM)
        if family == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        udp_sockets.append(s)

    threads = [threading.Thread(target=loop, args=(s,), daemon=True) for s in listeners]
    threads += [threading.Thread(target=udp_loop, args=(s,), daemon=True) for s in udp_sockets]
    for t in threads:
        t.start()
    print("ready", flush=True)
    for t in threads:
        t.join()


def split_target(target):
    host, _, port = target.rpartition(":")
    return host.strip("[]"), int(port)


def connect(timeout, targets):
    for target in targets:
        host, port = split_target(target)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect((host, port))
        except socket.timeout:
            result = "blocked"
        except OSError as e:
            # A drop in the output hook surfaces as EPERM on some paths; both mean "not reached".
            # A reset (a denied local port) is "refused".
            if e.errno == errno.EPERM:
                result = "blocked"
            elif e.errno == errno.ECONNREFUSED:
                result = "refused"
            else:
                result = "error:" + errno.errorcode.get(e.errno, str(e.errno))
        else:
            # Connected is what the policy decides; the banner only proves the peer is ours.
            # A generous timeout for it, so a loaded machine does not turn "reached" into "blocked".
            s.settimeout(5)
            try:
                banner = s.recv(16)
                result = "reached" if banner == b"ok\n" else "answered:" + repr(banner)
            except OSError as e:
                result = "connected-without-banner:" + str(e)
        finally:
            s.close()
        print(host, result, flush=True)


def udp_ask(timeout, targets):
    for target in targets:
        host, port = split_target(target)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_DGRAM)
        s.settimeout(timeout)
        try:
            s.sendto(b"x", (host, port))
            answer, _ = s.recvfrom(16)
            result = "reached" if answer == b"ok\n" else "answered:" + repr(answer)
        except socket.timeout:
            result = "blocked"
        except OSError as e:
            result = "blocked" if e.errno == errno.EPERM else "error:" + errno.errorcode.get(e.errno, str(e.errno))
        finally:
            s.close()
        print(host, result, flush=True)


def udp(host, port, count):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
    failed = 0
    for _ in range(count):
        try:
            s.sendto(b"x", (host, port))
        except OSError:
            failed += 1
    print(failed)


def echo(host):
    if ":" in host:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM, socket.IPPROTO_ICMPV6)
        packet = bytes([128, 0, 0, 0, 0, 1, 0, 1]) + b"probe"
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
        packet = bytes([8, 0, 0, 0, 0, 1, 0, 1]) + b"probe"  # the kernel fills in id and checksum
    try:
        s.sendto(packet, (host, 0))
        print("sent")
    except OSError as e:
        print("error:" + errno.errorcode.get(e.errno, str(e.errno)))


def kmsg_records():
    """Yield (seq, message) for every record currently in the kernel ring buffer."""
    fd = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    try:
        while True:
            try:
                raw = os.read(fd, 16384)
            except BlockingIOError:
                return
            except OSError as e:
                if e.errno == errno.EPIPE:  # overwritten while we read: skip to the next record
                    continue
                raise
            header, _, rest = raw.decode("utf-8", "replace").partition(";")
            seq = int(header.split(",")[1])
            # The message is the first line; continuation lines carry device metadata.
            yield seq, rest.split("\n", 1)[0]
    finally:
        os.close(fd)


def kmsg_seq():
    last = -1
    for seq, _ in kmsg_records():
        last = seq
    print(last)


def kmsg_since(after, prefix):
    for seq, message in kmsg_records():
        if seq > after and message.startswith(prefix):
            sys.stdout.write(message + "\n")


def set_elements():
    doc = json.load(sys.stdin)
    for item in doc["nftables"]:
        if "set" not in item:
            continue
        for elem in item["set"].get("elem", []):
            inner = elem.get("elem", {"val": elem}) if isinstance(elem, dict) else {"val": elem}
            val = inner["val"]
            if isinstance(val, dict) and "prefix" in val:
                text = "%s/%d" % (val["prefix"]["addr"], val["prefix"]["len"])
            else:
                text = str(val)
            packets = inner.get("counter", {}).get("packets", "none")
            print(text, packets)


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "serve":
        serve(int(args[0]))
    elif cmd == "connect":
        connect(float(args[0]), args[1:])
    elif cmd == "udp-ask":
        udp_ask(float(args[0]), args[1:])
    elif cmd == "udp":
        udp(args[0], int(args[1]), int(args[2]))
    elif cmd == "echo":
        echo(args[0])
    elif cmd == "kmsg-seq":
        kmsg_seq()
    elif cmd == "kmsg-since":
        kmsg_since(int(args[0]), args[1])
    elif cmd == "set-elements":
        set_elements()
    elif cmd == "exploded":
        print(ipaddress.ip_address(args[0]).exploded)
    else:
        sys.exit("unknown subcommand " + cmd)


if __name__ == "__main__":
    main(sys.argv)
