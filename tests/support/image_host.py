"""A tiny HTTP server for reference-image URLs in tests: routes path -> (status, headers, body), each
request recorded as (path, Host header). Bind it to 127.0.0.2 (a loopback alias Linux answers without
setup) and let that through with SEIDRA_REFERENCE_FETCH_ALLOW=127.0.0.2/32; one on 127.0.0.1 stands
for the server's own network, which must never be reached."""

import http.server
import ssl
import threading

HANG = "hang"  # a route's status that never answers (until the server stops)


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.server.seen.append((self.path, self.headers.get("Host")))
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"missing"))
        if status == HANG:
            self.server.release.wait()
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class ImageHost:
    """`tls` (an ssl.SSLContext for the server side) serves https instead."""

    def __init__(self, host: str, routes: dict | None = None, *, tls: ssl.SSLContext | None = None) -> None:
        self.server = http.server.ThreadingHTTPServer((host, 0), _Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.server.seen = []
        self.server.routes = dict(routes or {})
        self.server.release = threading.Event()
        self.routes = self.server.routes
        self.seen = self.server.seen
        self.port = self.server.server_address[1]
        self.base = f"{'https' if tls else 'http'}://{host}:{self.port}"

    def start(self) -> "ImageHost":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.release.set()
        self.server.shutdown()
        self.server.server_close()


def tls_certificates(directory, host_name: str = "localhost") -> tuple[str, str, str]:
    """(CA certificate, server certificate, server key) files: a throw-away CA and a certificate it
    signed for `host_name`, so a client that trusts the CA can check the name."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SEIDRA test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    server = (
        x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host_name)]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host_name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    paths = [f"{directory}/ca.pem", f"{directory}/server.pem", f"{directory}/server.key"]
    with open(paths[0], "wb") as out:
        out.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(paths[1], "wb") as out:
        out.write(server.public_bytes(serialization.Encoding.PEM))
    with open(paths[2], "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return paths[0], paths[1], paths[2]
