"""`python -m seidra.serve --host H --port P`: the web server, N daphne processes on one listening socket.

One daphne process runs Python on one core at a time. This launcher binds the socket once and
starts SEIDRA_WEB_PROCESSES daphne processes that accept on it (`daphne --fd`), so pages and API
calls use every core while HTTP and websockets keep one address (one origin, no proxy needed).
Inside each process, views run on SEIDRA_HTTP_THREADS threads (seidra/http_threads.py).

SIGTERM or SIGINT is passed on to every daphne process and the launcher exits when they have;
a second signal kills them. If one daphne process dies, the others are stopped too, so a
supervisor (make run, Docker, systemd) sees the failure instead of a half-served site.
"""

import argparse
import signal
import socket
import subprocess
import sys
import time

BACKLOG = 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seidra.serve", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="IPv4 address or name to listen on")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--processes", type=int, help="daphne processes (default: SEIDRA_WEB_PROCESSES)")
    args = parser.parse_args(argv)

    from django.conf import settings  # the settings module only; Django is set up in each daphne

    processes = args.processes or settings.SEIDRA_WEB_PROCESSES
    if processes < 1:
        parser.error(f"SEIDRA_WEB_PROCESSES must be at least 1, not {processes}")
    if ":" in args.host:
        # daphne adopts an inherited socket as IPv4 only.
        parser.error(f"--host {args.host}: give an IPv4 address or a name (IPv6 is not supported by `daphne --fd`)")
    try:
        listener = socket.create_server((args.host, args.port), family=socket.AF_INET, backlog=BACKLOG)
    except OSError as error:
        print(f"cannot listen on {args.host}:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    listener.set_inheritable(True)
    fd = listener.fileno()
    command = [sys.executable, "-m", "daphne", "--fd", str(fd), "seidra.asgi:application"]

    children: list[subprocess.Popen] = []
    stops = 0  # the first stop asks (SIGTERM), the next one kills
    signalled = False

    def stop() -> None:
        nonlocal stops
        stops += 1
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM if stops == 1 else signal.SIGKILL)

    def on_signal(_signum: int, _frame) -> None:
        nonlocal signalled
        signalled = True
        stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for _ in range(processes):
        children.append(subprocess.Popen(command, pass_fds=(fd,)))
    listener.close()  # the daphne processes hold it now
    print(
        f"web: {processes} daphne process(es) x {settings.SEIDRA_HTTP_THREADS} HTTP threads on "
        f"http://{args.host}:{args.port}/ (pids {' '.join(str(child.pid) for child in children)})",
        flush=True,
    )

    crashed: subprocess.Popen | None = None
    while any(child.poll() is None for child in children):
        if not signalled and crashed is None:
            crashed = next((child for child in children if child.poll() is not None), None)
            if crashed:
                print(f"web: daphne {crashed.pid} exited ({crashed.returncode}); stopping the others", file=sys.stderr)
                stop()
        time.sleep(0.2)
    if crashed:
        return crashed.returncode or 1
    return 0 if signalled else 1


if __name__ == "__main__":
    sys.exit(main())
