"""What a `kill -9` of the server loses from the access log, measured.

    python3 bench/kill9.py --demo target/release/sharelink-demo [--rounds 5] [--clients 16]

Each round starts the demo server on a fresh data folder (SQLite, files from
`target/bench-data/files`, made by `bench/run`), has `--clients` keep-alive clients
download a 4 KiB file through one share link as fast as they can, kills the server with
SIGKILL after a random 1–3 s, starts it again on the same data and reads the share's
download count from the management API. Every download a client received in full must
have its access-log row unless the server died between sending the last byte and
committing the row; the difference (downloads completed minus rows) is what was lost.
Prints one line per round and the worst round. Not part of CI (bench/README.md).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402


def downloads_logged(port: int, share_id) -> int:
    admin = harness.sign_in(port)
    status, _, body = admin.request(
        "GET", f"/share/api/shares/{share_id}/statistics", headers={"Accept": "application/json"}
    )
    if status != 200:
        raise harness.BenchError(f"statistics gave {status}: {body[:200]!r}")
    return int(json.loads(body)["downloads"])


def hammer(port: int, path: str, cookie: str, stop: threading.Event, done: list[int], i: int) -> None:
    """Downloads `path` until `stop`; counts the downloads received in full."""
    while not stop.is_set():
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            while not stop.is_set():
                conn.request("GET", path, headers={"Cookie": cookie})
                r = conn.getresponse()
                data = r.read()
                if r.status == 200 and len(data) == 4096:
                    done[i] += 1
        except (OSError, http.client.HTTPException):
            return  # the server is gone


def round_once(demo: str, clients: int, rng: random.Random) -> tuple[int, int]:
    data = harness.RUN / "kill9"
    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    port = harness.free_port()
    argv = [demo, "--listen", f"127.0.0.1:{port}", "--data", str(data),
            "--storage", f"file://{harness.FILES}", "--daily-quota", "0"]
    srv = harness.Server("sharelink", argv, port, data / "out-1.log")
    admin = harness.sign_in(port)
    share = harness.create_share(admin, "kill9", ["small"])
    cookie = harness.visitor(port, share).cookie_header()
    path = f"{share['path']}/dl/small/4k.bin"
    stop = threading.Event()
    done = [0] * clients
    threads = [threading.Thread(target=hammer, args=(port, path, cookie, stop, done, i)) for i in range(clients)]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(1.0, 3.0))
    os.killpg(srv.proc.pid, 9)
    srv.proc.wait()
    stop.set()
    for t in threads:
        t.join()
    srv.log.close()
    completed = sum(done)
    again = harness.Server("sharelink", argv, port, data / "out-2.log")
    try:
        logged = downloads_logged(port, share["id"])
    finally:
        again.stop()
    return completed, logged


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--clients", type=int, default=16)
    args = ap.parse_args()
    if not (harness.FILES / "small" / "4k.bin").exists():
        harness.prepare_data()
    rng = random.Random(9)
    worst = 0
    for n in range(args.rounds):
        completed, logged = round_once(args.demo, args.clients, rng)
        lost = completed - logged
        worst = max(worst, lost)
        print(f"round {n + 1}: {completed} downloads completed, {logged} logged, lost {lost}", flush=True)
    print(f"worst round: {worst} lost")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except harness.BenchError as e:
        print(f"kill9: {e}", file=sys.stderr)
        sys.exit(1)
