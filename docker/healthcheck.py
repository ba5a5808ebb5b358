"""Container HEALTHCHECK: GET /api/health on the local daphne; healthy on 200 (ok or degraded), unhealthy otherwise.

Sends a Host header taken from ALLOWED_HOSTS, since Django answers 400 to a Host it does not allow.
"""

import os
import sys
import urllib.error
import urllib.request


def host_header() -> str:
    hosts = [host.strip() for host in os.environ.get("ALLOWED_HOSTS", "").split(",") if host.strip()]
    host = hosts[0] if hosts else "localhost"
    return "localhost" if host == "*" else host.lstrip(".")


def main() -> int:
    url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/api/health"
    request = urllib.request.Request(url, headers={"Host": host_header()})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through an HTTP(S)_PROXY
    try:
        with opener.open(request, timeout=5) as response:
            print(response.read(500).decode(errors="replace"))
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as error:  # 503: database or Redis down; 400: Host not allowed
        print(f"{url} answered {error.code}: {error.read(500).decode(errors='replace')}", file=sys.stderr)
    except OSError as error:
        print(f"{url} unreachable: {error}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
