# A TCP proxy that waits LAG seconds before passing on each request (a store far away):
#   python3 bench/lag.py LISTEN_PORT UPSTREAM_PORT LAG_SECONDS
import socket, sys, threading, time
listen, upstream, lag = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
def pipe(src, dst, state, delay):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if delay and state["answered"]:
                time.sleep(lag)
                state["answered"] = False
            if not delay:
                state["answered"] = True
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
def serve(c):
    u = socket.create_connection(("127.0.0.1", upstream))
    state = {"answered": True}
    threading.Thread(target=pipe, args=(c, u, state, True), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c, state, False), daemon=True).start()
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", listen)); s.listen(256)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
