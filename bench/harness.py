#!/usr/bin/env python3
"""Measures sharelink's demo server beside nginx, dufs and miniserve; writes bench/RESULTS.md.

Run through `bench/run`, which installs the peers and builds the demo first. Standard
library only. Every server serves the same generated folder on 127.0.0.1; each figure is
the median of several runs. Peak memory is the server's peak resident set (VmHWM), reset
before each run through /proc/PID/clear_refs, summed over its processes (nginx: master and
workers).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "target" / "bench-tools" / "bin"
DATA = ROOT / "target" / "bench-data"
FILES = DATA / "files"
RUN = ROOT / "target" / "bench-run"
KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "sharelink_bench"
PG_URL = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"


class _SkipServers(Exception):
    """Only parts 5 and 6 run: the single-process servers are not started."""


class BenchError(Exception):
    """A step of the benchmark failed; the run stops with this message."""


def log(msg: str) -> None:
    print(msg, flush=True)


# ---------------------------------------------------------------------------------------
# Data


def write_random(path: Path, size: int, seed: int) -> None:
    """Writes `size` incompressible bytes (so no server gains from compression)."""
    rng = random.Random(seed)
    block = rng.randbytes(4 * MIB)
    with open(path, "wb") as f:
        left = size
        n = 0
        while left > 0:
            # Vary each block a little so blocks are not identical (no dedup anywhere).
            chunk = n.to_bytes(8, "little") + block[8 : min(left, len(block))]
            f.write(chunk[:left])
            left -= len(chunk[:left])
            n += 1


def prepare_data() -> None:
    """The tree every server serves; made once and kept in target/bench-data."""
    marker = DATA / ".complete-v1"
    if marker.exists():
        return
    log("== generating data (once) in target/bench-data")
    shutil.rmtree(DATA, ignore_errors=True)
    (FILES / "big").mkdir(parents=True)
    (FILES / "small").mkdir()
    (FILES / "many").mkdir()
    (FILES / "gig").mkdir()
    (FILES / "five").mkdir()
    write_random(FILES / "big" / "1g.bin", GIB, 1)
    write_random(FILES / "small" / "4k.bin", 4 * KIB, 2)
    rng = random.Random(3)
    for i in range(1000):
        (FILES / "many" / f"f{i:04}.bin").write_bytes(rng.randbytes(4 * KIB))
    for i in range(16):
        write_random(FILES / "gig" / f"part{i:02}.bin", 64 * MIB, 100 + i)
    # 5 GiB folder: five hard links to the 1 GiB file (distinct names, no extra disk).
    for i in range(5):
        os.link(FILES / "big" / "1g.bin", FILES / "five" / f"copy{i}.bin")
    marker.write_text("ok\n")


# ---------------------------------------------------------------------------------------
# Processes and memory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, name: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"{name} exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise BenchError(f"{name} did not listen on {port} within {timeout} s")


def children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


class Server:
    """One server process (and its children) listening on `port`."""

    def __init__(self, name: str, argv: list[str], port: int, log_path: Path, env=None):
        self.name = name
        self.port = port
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(
            argv, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        wait_port(port, self.proc, name)

    def pids(self) -> list[int]:
        return [self.proc.pid] + children(self.proc.pid)

    def reset_peak(self) -> None:
        for pid in self.pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError as e:
                raise BenchError(f"cannot reset the peak memory of {self.name}: {e}") from e

    def peak_rss(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1]) * KIB
            except OSError:
                pass
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 15)
                self.proc.wait(10)
            except (subprocess.TimeoutExpired, ProcessLookupError):
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------------------------------
# HTTP


class Client:
    """A keep-alive HTTP/1.1 client with a cookie jar (all cookies sent everywhere)."""

    def __init__(self, port: int, timeout: float = 600):
        self.port = port
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = self.cookie_header()
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                if attempt:
                    raise
        for v in r.headers.get_all("Set-Cookie") or []:
            name, _, rest = v.partition("=")
            value = rest.split(";")[0]
            if "max-age=0" in v.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return r.status, r.headers, data

    def close(self) -> None:
        self.conn.close()


def sign_in(port: int, user: str = "admin") -> Client:
    c = Client(port)
    # As the page does: the form's token (the demo_csrf cookie's), then the form.
    status, _, page = c.request("GET", "/")
    found = re.search(r'name="csrf" value="([^"]*)"', page.decode() if isinstance(page, bytes) else page)
    if status != 200 or not found:
        raise BenchError(f"the demo's sign-in page answered {status} without a form token")
    status, _, body = c.request(
        "POST",
        "/login",
        body=urllib.parse.urlencode({"user": user, "password": user, "csrf": found.group(1)}),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 303 or "demo_session" not in c.cookies:
        raise BenchError(f"sign-in as {user} failed: {status} {body[:200]!r}")
    return c


def create_share(admin: Client, name: str, paths: list[str], settings=None, password=None) -> dict:
    body = {
        "name": name,
        "items": [{"path": p, "alias": None} for p in paths],
        "settings": settings or {},
        "password": password,
        "custom_key": None,
    }
    status, _, data = admin.request(
        "POST",
        "/share/api/shares",
        body=json.dumps(body),
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if status != 201:
        raise BenchError(f"creating share {name} failed: {status} {data[:300]!r}")
    share = json.loads(data)
    share["path"] = urllib.parse.urlparse(share["link"]).path
    return share


def visitor(port: int, share: dict, expect=(200,)) -> Client:
    """A visitor who has opened the link (holds the browser and session cookies)."""
    c = Client(port)
    status, headers, data = c.request("GET", share["path"])
    # A browser's first fetch goes round once with its new cookie before the share opens.
    for _ in range(3):
        location = headers.get("Location")
        if status not in (301, 302, 303, 307, 308) or not location:
            break
        status, headers, data = c.request("GET", location)
    if status not in expect:
        raise BenchError(f"opening {share['path']} gave {status}: {data[:300]!r}")
    return c


# ---------------------------------------------------------------------------------------
# Measuring tools


def curl_time(url: str, cookie: str | None = None, out: str = "/dev/null") -> tuple[float, int]:
    """Downloads `url`; returns (seconds, bytes). Fails on a non-200 answer."""
    argv = ["curl", "-sS", "-o", out, "-w", "%{http_code} %{time_total} %{size_download}"]
    if cookie:
        argv += ["-H", f"Cookie: {cookie}"]
    res = subprocess.run(argv + [url], capture_output=True, text=True)
    if res.returncode != 0:
        raise BenchError(f"curl {url}: {res.stderr.strip()}")
    code, secs, size = res.stdout.split()
    if code != "200":
        raise BenchError(f"curl {url}: HTTP {code}")
    return float(secs), int(size)


UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def parse_duration(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        raise BenchError(f"unreadable wrk duration {text!r}")
    return float(m.group(1)) * UNIT[m.group(2)]


def wrk(url: str, connections: int, seconds: int, threads: int = 2, cookie=None, script=None,
        all_ok: bool = True):
    """Runs wrk; returns dict with rps, p50, p99 (seconds) and the raw output. With
    `all_ok`, any non-2xx answer or socket error fails the run."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if cookie:
        argv += ["-H", f"Cookie: {cookie}"]
    if script:
        argv += ["-s", str(script)]
    res = subprocess.run(argv + [url], capture_output=True, text=True)
    out = res.stdout
    if res.returncode != 0:
        raise BenchError(f"wrk failed: {res.stderr}{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"\n\s+50%\s+(\S+)", out)
    p99 = re.search(r"\n\s+99%\s+(\S+)", out)
    if not (rps and p50 and p99):
        raise BenchError(f"unreadable wrk output:\n{out}")
    if all_ok and ("Non-2xx or 3xx responses" in out or "Socket errors" in out):
        raise BenchError(f"{url}: some answers were errors:\n{out}")
    return {
        "rps": float(rps.group(1)),
        "p50": parse_duration(p50.group(1)),
        "p99": parse_duration(p99.group(1)),
        "out": out,
    }


def median(xs):
    return statistics.median(xs)


def fmt_s(x: float) -> str:
    if x < 1e-3:
        return f"{x * 1e6:.0f} µs"
    if x < 1:
        return f"{x * 1e3:.1f} ms" if x < 0.1 else f"{x * 1e3:.0f} ms"
    return f"{x:.2f} s"


def fmt_mem(b: int) -> str:
    return f"{b / MIB:.0f} MiB" if b >= 10 * MIB else f"{b / MIB:.1f} MiB"


def fmt_ratio(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×"


# ---------------------------------------------------------------------------------------
# The servers


def start_nginx(port: int) -> Server:
    d = RUN / "nginx"
    d.mkdir(parents=True, exist_ok=True)
    conf = d / "nginx.conf"
    conf.write_text(
        f"""
user root;
worker_processes auto;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 4096; }}
http {{
    default_type application/octet-stream;
    access_log {d}/access.log;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {FILES};
        autoindex on;
    }}
}}
"""
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return Server("nginx", [nginx, "-e", str(d / "error.log"), "-c", str(conf)], port, d / "out.log")


def start_dufs(port: int) -> Server:
    d = RUN / "dufs"
    d.mkdir(parents=True, exist_ok=True)
    argv = [str(TOOLS / "dufs"), str(FILES), "--bind", "127.0.0.1", "--port", str(port), "--allow-archive"]
    return Server("dufs", argv, port, d / "out.log")


def start_miniserve(port: int) -> Server:
    d = RUN / "miniserve"
    d.mkdir(parents=True, exist_ok=True)
    argv = [str(TOOLS / "miniserve"), "--interfaces", "127.0.0.1", "--port", str(port), "--enable-zip", str(FILES)]
    return Server("miniserve", argv, port, d / "out.log")


def start_serve_dir(binary: str, port: int) -> Server:
    d = RUN / "serve-dir"
    d.mkdir(parents=True, exist_ok=True)
    return Server("axum ServeDir", [binary, str(FILES), f"127.0.0.1:{port}"], port, d / "out.log")


def start_sharelink(demo: str, port: int, name="sharelink", database=None, attempt_limit=None) -> Server:
    d = RUN / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    # Every load generator connects from 127.0.0.1, as clients behind a proxy would: the
    # per-address connection limit (64 by default) would refuse wrk's 64 + the admin's.
    argv = [demo, "--listen", f"127.0.0.1:{port}", "--data", str(d), "--storage", f"file://{FILES}",
            "--max-connections-per-address", "4096"]
    if database:
        argv += ["--database", database]
    if attempt_limit:
        argv += ["--attempt-limit", str(attempt_limit)]
    return Server(name, argv, port, d / "out.log")


# ---------------------------------------------------------------------------------------
# The measurements


class Results:
    def __init__(self):
        self.sections: list[tuple[str, list[str]]] = []

    def table(self, title: str, header: list[str], rows: list[list[str]], notes: str = "") -> None:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(r) + " |" for r in rows]
        if notes:
            lines += ["", notes]
        self.sections.append((title, lines))
        log(f"\n### {title}\n" + "\n".join(lines) + "\n")


def urls_for(servers: dict, shares: dict) -> dict:
    """Per server: the URLs of the 1 GiB file, the 4 KiB file and the two ZIPs."""
    out = {}
    for name, srv in servers.items():
        base = f"http://127.0.0.1:{srv.port}"
        if name in ("nginx", "axum ServeDir"):
            out[name] = dict(big=f"{base}/big/1g.bin", small=f"{base}/small/4k.bin")
        elif name == "dufs":
            out[name] = dict(
                big=f"{base}/big/1g.bin", small=f"{base}/small/4k.bin",
                many_zip=f"{base}/many?zip", gig_zip=f"{base}/gig?zip",
            )
        elif name == "miniserve":
            out[name] = dict(
                big=f"{base}/big/1g.bin", small=f"{base}/small/4k.bin",
                many_zip=f"{base}/many/?download=zip", gig_zip=f"{base}/gig/?download=zip",
            )
        else:
            mine = shares[name]
            out[name] = dict(
                big=f"{base}{mine['big']['path']}/dl/big/1g.bin",
                small=f"{base}{mine['small']['path']}/dl/small/4k.bin",
                many_zip=f"{base}{mine['many']['path']}/zip" if "many" in mine else None,
                gig_zip=f"{base}{mine['gig']['path']}/zip" if "gig" in mine else None,
            )
    return out


def cookie(urls: dict, kind: str) -> str | None:
    """The visitor cookie sharelink needs for one of its URLs (None for the peers)."""
    return urls.get("cookies", {}).get(kind)


def timed_downloads(srv: Server, url: str, runs: int, cookie=None, expect=None):
    times, peaks = [], []
    for _ in range(runs):
        srv.reset_peak()
        secs, size = curl_time(url, cookie)
        if expect is not None and size != expect:
            raise BenchError(f"{srv.name}: {url} gave {size} bytes, expected {expect}")
        times.append(secs)
        peaks.append(srv.peak_rss())
    return median(times), max(peaks)


def bench_big(res: Results, servers, urls, runs: int) -> dict:
    log("== 1. one 1 GiB file")
    figures = {}
    for name, srv in servers.items():
        u = urls[name]
        curl_time(u["big"], cookie(u, "big"))  # warm the page cache
        figures[name] = timed_downloads(srv, u["big"], runs, cookie(u, "big"), expect=GIB)
    base = figures["nginx"][0]
    rows = [
        [n, fmt_s(t), f"{GIB / t / MIB:,.0f} MiB/s", fmt_mem(m), fmt_ratio(t / base)]
        for n, (t, m) in figures.items()
    ]
    res.table(
        "1. Download of one 1 GiB file",
        ["server", "time (median)", "throughput", "peak server memory", "time ÷ nginx"],
        rows,
        f"curl over loopback, median of {runs} runs after one warm-up; sharelink serves it "
        "through a share link (key and session looked up in its database, policy decided, "
        "the download logged): SQLite, and PostgreSQL on 127.0.0.1 in the row so named. "
        "axum ServeDir is a plain axum + tower-http server on the same files "
        "(bench/serve-dir): the ceiling of an axum server here.",
    )
    return figures


def bench_small(res: Results, servers, urls, seconds: int, runs: int) -> dict:
    log("== 2. a 4 KiB file, 64 concurrent clients")
    figures = {}
    for name, srv in servers.items():
        u = urls[name]
        results = [wrk(u["small"], 64, seconds, cookie=cookie(u, "small")) for _ in range(runs)]
        figures[name] = (median([w["rps"] for w in results]), median([w["p99"] for w in results]))
    base = figures["nginx"][0]
    rows = [[n, f"{r:,.0f}", fmt_s(p), fmt_ratio(r / base)] for n, (r, p) in figures.items()]
    res.table(
        "2. A 4 KiB file, 64 concurrent keep-alive clients (wrk, 2 threads)",
        ["server", "requests/s", "p99 latency", "requests/s ÷ nginx"],
        rows,
        f"Median of {runs} wrk runs of {seconds} s; wrk runs on the same 2 cores. Every "
        "sharelink request resolves the share key and the visitor session (SQLite, or "
        "PostgreSQL in the row so named), decides the policy and logs the download; no "
        "answer was an error. axum ServeDir: a plain axum + tower-http server on the same "
        "files (bench/serve-dir).",
    )
    return figures


def bench_zip(res: Results, servers, urls, runs_many: int, runs_gig: int) -> dict:
    log("== 3. ZIP of 1,000 × 4 KiB and of a 1 GiB folder")
    figures = {}
    for name, srv in servers.items():
        u = urls[name]
        if "many_zip" not in u:
            continue
        many = timed_downloads(srv, u["many_zip"], runs_many, cookie(u, "many_zip"))
        gig = timed_downloads(srv, u["gig_zip"], runs_gig, cookie(u, "gig_zip"))
        figures[name] = (many, gig)
    rows = []
    base_many = figures["miniserve"][0][0]
    base_gig = figures["miniserve"][1][0]
    for n, ((tm, mm), (tg, mg)) in figures.items():
        rows.append([n, fmt_s(tm), fmt_mem(mm), fmt_ratio(tm / base_many), fmt_s(tg), fmt_mem(mg), fmt_ratio(tg / base_gig)])
    rows.append(["nginx", "no archive download", "", "", "", "", ""])
    res.table(
        "3. Download-all as ZIP",
        ["server", "1,000 × 4 KiB: time", "peak memory", "÷ miniserve", "1 GiB folder (16 × 64 MiB): time", "peak memory", "÷ miniserve"],
        rows,
        f"Median of {runs_many} (1,000 files) and {runs_gig} (1 GiB) runs; peak is the largest "
        "of the runs. nginx has no archive download, so the ratios are to miniserve.",
    )
    return figures


def check_zip(path: Path, expect_files: int) -> str:
    res = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True)
    if res.returncode != 0 or "No errors detected" not in res.stdout:
        raise BenchError(f"unzip -t rejected {path}:\n{res.stdout[-2000:]}{res.stderr[-2000:]}")
    tested = len(re.findall(r"^\s+testing: ", res.stdout, re.M))
    if tested != expect_files:
        raise BenchError(f"unzip -t tested {tested} files in {path}, expected {expect_files}")
    return res.stdout.strip().splitlines()[-1]


def bench_five(res: Results, srv: Server, base: str, share: dict, cookie: str) -> None:
    log("== 3b. ZIP of a 5 GiB folder, checked by unzip -t")
    out = RUN / "five.zip"
    srv.reset_peak()
    secs, size = curl_time(f"{base}{share['path']}/zip", cookie, out=str(out))
    peak = srv.peak_rss()
    verdict = check_zip(out, 5)
    out.unlink()
    res.table(
        "3b. ZIP of a 5 GiB folder (ZIP64), sharelink",
        ["archive size", "time", "peak server memory", "unzip -t"],
        [[f"{size / GIB:.2f} GiB", fmt_s(secs), fmt_mem(peak), verdict]],
        "Written to disk by curl, then every entry's CRC checked by Info-ZIP's `unzip -t`.",
    )


GUESS_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) codes = {} end
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("codes")) do total[k] = (total[k] or 0) + v end
  end
  for k, v in pairs(total) do io.write(string.format("status %d %d\\n", k, v)) end
end
"""


def bench_guessing(res: Results, srv: Server, base: str, admin: Client, small: dict, seconds: int, runs: int) -> None:
    log("== 4. 32 downloaders, alone and beside 50 password guessers")
    guarded = create_share(admin, "bench-guarded", ["small"], {"password": True}, password="correct horse battery")
    guesser = visitor(srv.port, guarded, expect=(401,))  # the password prompt
    script = RUN / "guess.lua"
    form = urllib.parse.urlencode({"csrf": guesser.cookies.get("sl_csrf", ""), "password": "wrong guess"})
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = "{form}"\n'
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n' + GUESS_LUA
    )
    dl = visitor(srv.port, small)
    url = f"{base}{small['path']}/dl/small/4k.bin"
    alone = [wrk(url, 32, seconds, cookie=dl.cookie_header()) for _ in range(runs)]
    beside, guess_rates, guess_codes = [], [], {}
    for _ in range(runs):
        holder = {}

        def guess():
            holder["w"] = wrk(f"{base}{guarded['path']}/password", 50, seconds + 2, threads=1,
                              cookie=guesser.cookie_header(), script=script, all_ok=False)

        t = threading.Thread(target=guess)
        t.start()
        time.sleep(1)
        w = wrk(url, 32, seconds, cookie=dl.cookie_header())
        t.join()
        beside.append(w)
        g = holder["w"]
        guess_rates.append(g["rps"])
        for code, n in re.findall(r"status (\d+) (\d+)", g["out"]):
            guess_codes[code] = guess_codes.get(code, 0) + int(n)
    a99, b99 = median([w["p99"] for w in alone]), median([w["p99"] for w in beside])
    a50, b50 = median([w["p50"] for w in alone]), median([w["p50"] for w in beside])
    codes = ", ".join(f"{n:,} × {c}" for c, n in sorted(guess_codes.items()))
    res.table(
        "4. 32 downloaders of a 4 KiB file, alone and beside 50 password guessers (sharelink)",
        ["", "downloads/s", "p50", "p99"],
        [
            ["alone", f"{median([w['rps'] for w in alone]):,.0f}", fmt_s(a50), fmt_s(a99)],
            ["beside 50 guessers", f"{median([w['rps'] for w in beside]):,.0f}", fmt_s(b50), fmt_s(b99)],
        ],
        f"Median of {runs} runs of {seconds} s. The guessers (wrk, 50 connections) posted wrong "
        f"passwords at {median(guess_rates):,.0f}/s; answers: {codes}. The server ran with "
        "`--attempt-limit 1000000000` so that every guess is checked with argon2id (the "
        "default limits would refuse all but 5 per client and 100 per share in 15 minutes "
        f"without hashing). p99 beside guessing ÷ alone: {b99 / a99:.2f}×.",
    )


def bench_exactly(res: Results, demo: str, rounds: int) -> None:
    log("== 5. one-time and max-10 links, 256 concurrent requests across 4 processes on PostgreSQL")
    reset_pg()
    ports = [free_port() for _ in range(4)]
    procs = []
    try:
        procs.append(start_sharelink(demo, ports[0], "pg-0", database=PG_URL))
        for i in range(1, 4):  # after the first has migrated the database
            procs.append(start_sharelink(demo, ports[i], f"pg-{i}", database=PG_URL))
        admin = sign_in(ports[0])
        outcomes = {1: [], 10: []}
        elapsed = {1: [], 10: []}
        for r in range(rounds):
            for limit in (1, 10):
                share = create_share(admin, f"bench-limit-{limit}-{r}", ["small"],
                                     {"use_limit": {"max": limit, "unit": "download"}})
                with concurrent.futures.ThreadPoolExecutor(32) as pool:
                    visitors = list(pool.map(lambda i: visitor(ports[i % 4], share), range(256)))
                barrier = threading.Barrier(256)

                def hit(i):
                    v = visitors[i]
                    barrier.wait()
                    # A counted download is confirmed by a POST with the CSRF token (a
                    # GET answers with a confirmation page, so link scanners spend nothing).
                    status, _, body = v.request(
                        "POST", f"{share['path']}/dl/small/4k.bin",
                        body=urllib.parse.urlencode({"csrf": v.cookies.get("sl_csrf", "")}),
                        headers={"Content-Type": "application/x-www-form-urlencoded"},
                    )
                    return status, len(body)

                t0 = time.perf_counter()
                with concurrent.futures.ThreadPoolExecutor(256) as pool:
                    answers = list(pool.map(hit, range(256)))
                elapsed[limit].append(time.perf_counter() - t0)
                ok = sum(1 for s, n in answers if s == 200 and n == 4 * KIB)
                others = {s for s, _ in answers if s != 200}
                if any(s >= 500 for s in others):
                    raise BenchError(f"server errors under the race: {sorted(others)}")
                outcomes[limit].append(ok)
                for v in visitors:
                    v.close()
        for limit in (1, 10):
            if any(o != limit for o in outcomes[limit]):
                raise BenchError(f"max-{limit} link: successes per round {outcomes[limit]}, expected {limit}")
        rows = [
            ["one-time (max 1)", ", ".join(map(str, outcomes[1])), fmt_s(median(elapsed[1]))],
            ["max 10 downloads", ", ".join(map(str, outcomes[10])), fmt_s(median(elapsed[10]))],
        ]
        res.table(
            "5. Use limits under a race: 256 concurrent downloads across 4 server processes, one PostgreSQL",
            ["link", "successful downloads per round", "time for the 256 answers (median)"],
            rows,
            f"{rounds} rounds, each with a new link and 256 visitors (sessions opened beforehand, "
            "spread over the 4 processes), released together by a barrier. Every other answer "
            "was a refusal (no 5xx).",
        )
    finally:
        for p in procs:
            p.stop()


def psql(sql: str, db: str = PG_DB) -> str:
    res = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
        capture_output=True, text=True,
    )
    if res.returncode != 0:
        raise BenchError(f"psql failed: {res.stderr.strip()}\n{sql}")
    return res.stdout.strip()


def reset_pg() -> None:
    psql(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)", db="postgres")
    psql(f"CREATE DATABASE {PG_DB}", db="postgres")


def latency(fn, n: int) -> tuple[float, float]:
    times = []
    for i in range(n):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    times.sort()
    return median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


def bench_million(res: Results, demo: str, count: int, samples: int) -> None:
    log(f"== 6. {count:,} shares in PostgreSQL")
    reset_pg()
    port = free_port()
    srv = start_sharelink(demo, port, "pg-million", database=PG_URL)
    try:
        admin = sign_in(port)
        template = create_share(admin, "bench-template", ["small"])
        t0 = time.perf_counter()
        table = psql("SELECT table_name FROM information_schema.tables WHERE table_name LIKE '%shares' "
                     "AND table_schema = 'public'")
        cols = psql(
            f"SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM information_schema.columns "
            f"WHERE table_name = '{table}' AND column_name NOT IN ('id', 'key_text', 'key_folded', 'created_at', 'updated_at')"
        )
        psql(
            f"INSERT INTO {table} (key_text, key_folded, created_at, updated_at, {cols}) "
            f"SELECT 'bench' || g, 'bench' || g, t.created_at - g::bigint * 1000000, t.updated_at, "
            + ", ".join(f"t.{c}" for c in cols.split(","))
            + f" FROM {table} t, generate_series(1, {count - 1}) g WHERE t.id = {template['id']}"
        )
        psql(f"ANALYZE {table}")
        seeded = time.perf_counter() - t0
        total = int(psql(f"SELECT count(*) FROM {table}"))
        if total < count:
            raise BenchError(f"expected {count} shares, found {total}")
        rng = random.Random(7)
        keys = [f"bench{rng.randint(1, count - 1)}" for _ in range(samples)]
        c = Client(port)

        # A browser that has been to this site before (it holds its browser cookie) opens
        # a link it has not opened: the share is found and a visitor session is written.
        # (A browser's very first fetch goes round once to store that cookie: a 303.)
        status, headers, _ = c.request("GET", f"/share/s/{keys[0]}")
        if status == 303 and headers.get("Location"):
            c.request("GET", headers["Location"])
        if "sl_b" not in c.cookies:
            raise BenchError("no browser cookie after a first visit")

        def open_link(i):
            for name in [n for n in c.cookies if n not in ("sl_b", "sl_csrf")]:
                c.cookies.pop(name)
            s, _, body = c.request("GET", f"/share/s/{keys[i]}")
            if s != 200:
                raise BenchError(f"opening bench key {keys[i]} gave {s}: {body[:200]!r}")

        def unknown(i):
            s, _, _ = c.request("GET", f"/share/s/nosuchkey{i}")
            if s != 404:
                raise BenchError(f"unknown key gave {s}")

        def first_page(i):
            s, _, body = admin.request("GET", "/share/api/shares", headers={"Accept": "application/json"})
            if s != 200 or len(json.loads(body)["shares"]) == 0:
                raise BenchError(f"admin listing gave {s}: {body[:200]!r}")

        for f in (open_link, unknown, first_page):
            f(0)  # warm
        o50, o99 = latency(open_link, samples)
        u50, u99 = latency(unknown, samples)
        l50, l99 = latency(first_page, max(20, samples // 10))
        status, _, body = admin.request("GET", "/share/api/shares", headers={"Accept": "application/json"})
        page = len(json.loads(body)["shares"])
        res.table(
            f"6. {total:,} shares in PostgreSQL (sharelink)",
            ["request", "p50", "p99"],
            [
                ["open a link: resolve a random key, open a visitor session, render the page", fmt_s(o50), fmt_s(o99)],
                ["unknown key (404)", fmt_s(u50), fmt_s(u99)],
                [f"admin listing, first page ({page} shares, newest first)", fmt_s(l50), fmt_s(l99)],
            ],
            f"{samples} sequential requests on one keep-alive connection ({max(20, samples // 10)} for "
            f"the listing). The shares were copied from one made through the API with one "
            f"INSERT … SELECT ({seeded:.0f} s). Opening a link (by a browser that has been to the "
            "site before, so no cookie round trip) writes the new visitor session and the visit's "
            "log row.",
        )
    finally:
        srv.stop()


# ---------------------------------------------------------------------------------------


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = int(Path("/proc/meminfo").read_text().split()[1]) * KIB
    return f"{os.cpu_count()} cores ({cpu}), {mem / GIB:.0f} GiB RAM, Linux {platform.release()}"


def versions() -> str:
    def first(argv):
        r = subprocess.run(argv, capture_output=True, text=True)
        return (r.stdout + r.stderr).strip().splitlines()[0]

    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    return "; ".join([
        first([nginx, "-v"]),
        first([str(TOOLS / "dufs"), "--version"]),
        first([str(TOOLS / "miniserve"), "--version"]),
        first(["wrk", "--version"]).split(" Copyright")[0],
        first(["curl", "--version"]).split(" (")[0],
    ])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", required=True, help="path of the release sharelink-demo binary")
    ap.add_argument("--serve-dir", required=True, help="path of the release serve-dir binary (bench/serve-dir)")
    ap.add_argument("--quick", action="store_true", help="fewer runs, shorter loads (smoke run)")
    ap.add_argument("--only", default="", help="comma-separated parts to run, e.g. 1,2")
    ap.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = ap.parse_args()
    only = set(filter(None, args.only.split(",")))
    want = lambda part: not only or part in only  # noqa: E731
    q = args.quick
    started = time.time()
    prepare_data()
    shutil.rmtree(RUN, ignore_errors=True)
    RUN.mkdir(parents=True)
    res = Results()
    servers: dict[str, Server] = {}
    try:
        if not any(want(part) for part in "1234"):
            raise _SkipServers()
        servers["nginx"] = start_nginx(free_port())
        servers["axum ServeDir"] = start_serve_dir(args.serve_dir, free_port())
        servers["dufs"] = start_dufs(free_port())
        servers["miniserve"] = start_miniserve(free_port())
        servers["sharelink"] = start_sharelink(args.demo, free_port(), attempt_limit=1_000_000_000)
        if want("1") or want("2"):
            reset_pg()
            servers["sharelink (PostgreSQL)"] = start_sharelink(args.demo, free_port(), "sharelink-pg", database=PG_URL)
        sl = servers["sharelink"]
        admin = sign_in(sl.port)
        shares = {name: create_share(admin, f"bench-{name}", [name]) for name in ("big", "small", "many", "gig", "five")}
        # One visitor per share (a visitor session belongs to one share).
        cookies = {name: visitor(sl.port, shares[name]).cookie_header() for name in shares}
        per_server = {"sharelink": shares}
        if "sharelink (PostgreSQL)" in servers:
            pg = servers["sharelink (PostgreSQL)"]
            pg_admin = sign_in(pg.port)
            per_server["sharelink (PostgreSQL)"] = {
                name: create_share(pg_admin, f"bench-{name}", [name]) for name in ("big", "small")
            }
        urls = urls_for(servers, per_server)
        urls["sharelink"]["cookies"] = {
            "big": cookies["big"], "small": cookies["small"],
            "many_zip": cookies["many"], "gig_zip": cookies["gig"],
        }
        if "sharelink (PostgreSQL)" in servers:
            pg_shares = per_server["sharelink (PostgreSQL)"]
            urls["sharelink (PostgreSQL)"]["cookies"] = {
                name: visitor(servers["sharelink (PostgreSQL)"].port, pg_shares[name]).cookie_header()
                for name in ("big", "small")
            }
        if want("1"):
            bench_big(res, servers, urls, 3 if q else 5)
        if want("2"):
            bench_small(res, servers, urls, 4 if q else 8, 1 if q else 3)
        # The rest compares archive servers only.
        for other in ("axum ServeDir", "sharelink (PostgreSQL)"):
            if other in servers:
                servers.pop(other).stop()
        if want("3"):
            bench_zip(res, servers, urls, 3 if q else 5, 1 if q else 3)
            for other in ("nginx", "dufs", "miniserve"):
                servers.pop(other).stop()
            bench_five(res, sl, f"http://127.0.0.1:{sl.port}", shares["five"], cookies["five"])
        if want("4"):
            bench_guessing(res, sl, f"http://127.0.0.1:{sl.port}", admin, shares["small"], 4 if q else 8, 1 if q else 3)
    except _SkipServers:
        pass
    finally:
        for s in servers.values():
            s.stop()
    if want("5"):
        bench_exactly(res, args.demo, 2 if q else 5)
    if want("6"):
        bench_million(res, args.demo, 100_000 if q else 1_000_000, 200 if q else 1000)
    took = time.time() - started
    write_results(Path(args.output), res, took, q)
    return 0


KEPT_MARKER = "<!-- measured by hand: bench/run keeps what follows -->"


def write_results(path: Path, res: Results, took: float, quick: bool) -> None:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# sharelink benchmark results",
        "",
        f"Measured {now} by `bench/run{' --quick' if quick else ''}` in {took / 60:.1f} minutes "
        "(measurements only; installs and builds not counted).",
        "",
        f"- Machine: {machine()}",
        f"- Peers: {versions()}",
        "- Everything on 127.0.0.1; the load generator shares the machine with the server.",
        "- sharelink: the demo server (`sharelink-demo`, release build), SQLite database, "
        "files in a local folder, serving each file through a share link.",
        "",
    ]
    for title, body in res.sections:
        lines += [f"## {title}", ""] + body + [""]
    # Figures measured by hand (the backend moves) stay below the marker, as they were.
    kept = ""
    if path.exists():
        old = path.read_text()
        if KEPT_MARKER in old:
            kept = old[old.index(KEPT_MARKER):]
    path.write_text("\n".join(lines) + ("\n" + kept if kept else ""))
    log(f"== wrote {path}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench: {e}", file=sys.stderr)
        sys.exit(1)
