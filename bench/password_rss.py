"""Memory of the demo server 10 s after 200 wrong password checks (8 visitors x 25), as
bench/RESULTS.md's "Server memory after password checks" sections measure it.

    python3 bench/password_rss.py target/release/sharelink-demo

Prints the server's VmRSS before and 10 s after the checks. Uses bench/harness.py's data
and helpers (run bench/run once first, or let prepare_data generate the files).
"""

import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness as h  # noqa: E402


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    h.prepare_data()
    port = h.free_port()
    srv = h.start_sharelink(sys.argv[1], port, name="password-rss", attempt_limit=1_000_000_000)

    def rss_mib() -> float:
        kib = 0
        for pid in srv.pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    kib += int(line.split()[1])
        return kib / 1024

    try:
        admin = h.sign_in(port)
        share = h.create_share(admin, "guarded", ["small"], {"password": True}, password="correct horse battery")
        start = rss_mib()
        codes: list[int] = []

        def guess() -> None:
            v = h.visitor(port, share, expect=(401,))
            for _ in range(25):
                form = urllib.parse.urlencode({"csrf": v.cookies.get("sl_csrf", ""), "password": "wrong guess"})
                status, _, _ = v.request(
                    "POST", f"{share['path']}/password", body=form,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                codes.append(status)

        t0 = time.time()
        threads = [threading.Thread(target=guess) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.time() - t0
        time.sleep(10)
        print(f"RSS at start {start:.1f} MiB; 10 s after {len(codes)} checks ({took:.1f} s, "
              f"answers {sorted(set(codes))}): {rss_mib():.1f} MiB")
        return 0 if set(codes) == {401} else 1
    finally:
        srv.stop()


if __name__ == "__main__":
    sys.exit(main())
