"""``make bench-peers``: the portal, django-allauth and django-two-factor-auth side by side.

All three are served the way ``bench.run`` serves the portal — gunicorn with 2 sync workers,
DEBUG off, a random SECRET_KEY, PostgreSQL (a database of their own, dropped afterwards), one
private redis-server, sessions in the database, Argon2id at the portal's parameters — and are
driven in the same run by the same client (asyncio + aiohttp, a fresh cookie jar per sign-in,
every step a GET of the page and a POST of its form with the CSRF token, codes from pyotp),
at concurrency 1 and 4, taking turns in slices (``--turns``) so that other load on the machine,
and its speed drifting from minute to minute, fall on all three alike.
The peers run from their own virtualenvs under var/peers/ (``make bench-peers`` makes them
from bench/peers/<peer>/requirements.txt).

Per system and concurrency: sign-ins/s, p50/p95 sign-in time, requests and SQL statements
per sign-in (gunicorn's access log; SQL counted by bench/sqlcount.py in every worker), server
CPU per sign-in (utime + stime of the gunicorn master and workers and of the PostgreSQL
backends of the system's database, from /proc before and after) and own CPU = server CPU - one
Argon2 verify (the same hasher for all; timed here before each turn, and subtracted from that
turn's sign-ins). Beside it, for information, the CPU of the verifies as the servers made them
(timed in each request by bench/sqlcount.py and logged) and own CPU by those: a verify in a
request costs more than one in a loop, most at concurrency 4, where two workers' verifies
share the processor's cache. The ratios and targets use the verify timed in the loop, as
the comparison was set. Printed and written to bench/results/peers.json with the ratios and
targets of the comparison.

    python -m bench.peers.run                          # about 5-10 minutes
    python -m bench.peers.run --systems portal --signins 50
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # `python bench/peers/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench import client as browser
from bench import seed
from bench.peers import flows
from bench.run import machine, oidc_phase, signed_in_clients, summary_ms, web_worker_memory
from bench.services import (
    REPO,
    Services,
    children_of,
    cpu_seconds,
    cpu_spent,
    create_database,
    database_url,
    drop_database,
    free_port,
    read_access_log,
    server_pids,
    start_gunicorn,
    stop_process,
)

SYSTEMS = ("portal", "allauth", "two_factor")
PEERS_DIR = REPO / "bench" / "peers"
VENVS = REPO / "var" / "peers"
RESULTS = REPO / "bench" / "results"
# Issue 15, target 3 (docs/performance.md): the portal's own CPU per sign-in at most half the
# best peer's, its sign-ins/s at concurrency 4 at least 1.3 times the best peer's, 150 code
# exchanges/s per core, a web worker's peak RSS at most 120 MiB.
OWN_CPU_RATIO_MAX = 0.5
SIGNINS_RATIO_C4_MIN = 1.3
OIDC_PER_CORE_MIN = 150
WORKER_RSS_MIB_MAX = 120
# Argon2 verifies timed before each turn; their mean CPU is that turn's "one verify".
VERIFIES_PER_TURN = 5


@dataclass
class System:
    """One served system, as the measurement sees it."""

    name: str
    base_url: str
    web: subprocess.Popen
    database: str
    access_log: Path
    clock: browser.TotpClock
    signin: object  # async (base_url, Account) -> step times
    versions: dict[str, str]
    # CPU shown apart, not in the server CPU: the shared redis-server, the portal's Celery worker
    other_pids: dict[str, list[int]] = field(default_factory=dict)

    def pids(self) -> list[int]:
        return server_pids(self.web.pid, self.database)


@dataclass
class Peer:
    """A peer project (bench/peers/<name>/) in its virtualenv (var/peers/<name>/)."""

    name: str
    workdir: Path
    redis_url: str
    argon2: dict
    base_env: dict[str, str]
    database: str = ""
    web: subprocess.Popen | None = None

    @property
    def python(self) -> str:
        return str(VENVS / self.name / "bin" / "python")

    @property
    def project(self) -> Path:
        return PEERS_DIR / self.name

    def env(self) -> dict[str, str]:
        return {
            **self.base_env,
            "DJANGO_SETTINGS_MODULE": f"{self.name}_peer.settings",
            "PYTHONPATH": str(REPO),  # bench.peers.common, bench.sqlcount
            "SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": database_url(self.database),
            "REDIS_URL": self.redis_url,
            "BENCH_ARGON2_TIME_COST": str(self.argon2["time_cost"]),
            "BENCH_ARGON2_MEMORY_KIB": str(self.argon2["memory_cost_kib"]),
            "BENCH_ARGON2_PARALLELISM": str(self.argon2["parallelism"]),
        }

    def run(self, *args: str, env: dict[str, str]) -> str:
        done = subprocess.run(
            [self.python, *args], cwd=self.project, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(args)} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def versions(self) -> dict[str, str]:
        pins = (self.project / "requirements.txt").read_text().splitlines()
        return dict(
            line.split("#")[0].strip().split("==") for line in pins if "==" in line.split("#")[0]
        )

    def start(self, accounts: int, workers: int, redis_pid: int) -> System:
        if not Path(self.python).exists():
            raise SystemExit(f"{self.python} is missing: run `make bench-peers` (it makes it)")
        self.database = f"sso_bench_peers_{self.name}"
        create_database(self.database)
        env = self.env()
        self.run("-m", "django", "migrate", "--noinput", "-v", "0", env=env)
        rows = json.loads(self.run("-m", "bench.peers.seed", str(accounts), seed.PASSWORD, env=env))
        port = free_port()
        self.web = start_gunicorn(
            self.python, "bench.sqlcount:application", port, workers, self.project, env,
            self.workdir,
        )  # fmt: skip
        return System(
            name=self.name,
            base_url=f"http://127.0.0.1:{port}",
            web=self.web,
            database=self.database,
            access_log=self.workdir / f"access-{port}.log",
            clock=browser.TotpClock([seed.Account(u, "", key) for u, key in rows]),
            signin=getattr(flows, f"{self.name}_signin"),
            versions=self.versions(),
            other_pids={"redis_server": [redis_pid]},
        )

    def close(self) -> None:
        if self.web is not None:
            stop_process(self.web, timeout=15)
        if self.database:
            with contextlib.suppress(Exception):
                drop_database(self.database)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--systems", default=",".join(SYSTEMS), help=f"comma-separated, of {','.join(SYSTEMS)}"
    )
    parser.add_argument("--signins", type=int, default=100, help="per system and concurrency")
    parser.add_argument("--concurrency", default="1,4", help="browsers at once, per phase")
    parser.add_argument(
        "--turns", type=int, default=5, help="slices per phase, the systems taking turns"
    )
    parser.add_argument("--accounts", type=int, default=600, help="TOTP accounts per system")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--argon2-rounds", type=int, default=20)
    parser.add_argument("--oidc-seconds", type=float, default=15, help="0: no OIDC phase")
    parser.add_argument("--oidc-clients", type=int, default=4)
    parser.add_argument(
        "--machine-shared",
        choices=("auto", "yes", "no"),
        default="auto",
        help="say whether others use the machine; auto: 1-minute load average ≥ 0.5 at start",
    )
    parser.add_argument(
        "--database", default="sso_bench_peers", help="the portal's database (created afresh)"
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "peers.json")
    args = parser.parse_args(argv)
    args.systems = [s.strip() for s in args.systems.split(",") if s.strip()]
    unknown = set(args.systems) - set(SYSTEMS)
    if unknown or not args.systems:
        parser.error(f"--systems: unknown {', '.join(sorted(unknown))}; choose from {SYSTEMS}")
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    args.turns = max(1, min(args.turns, args.signins))
    return args


def start_portal(services: Services, args: argparse.Namespace) -> tuple[System, str]:
    seed.setup_django(services.prepare())
    accounts = seed.seed_accounts("t", args.accounts, totp=True, email=False)
    client_id = seed.seed_relying_app()
    from django.db import connections

    connections.close_all()
    services.start_smtp()
    # As bench.run serves it, through the statement counter (same for all three).
    base_url = services.start_web(
        {"BENCH_WSGI_APP": "sso.wsgi:application"}, app="bench.sqlcount:application"
    )
    services.start_worker()
    import django

    system = System(
        name="portal",
        base_url=base_url,
        web=services.web,
        database=services.database,
        access_log=services.access_log(),
        clock=browser.TotpClock(accounts),
        signin=browser.full_signin,
        versions={"Django": django.get_version()},
        other_pids={
            "celery_worker": [services.worker.pid, *children_of(services.worker.pid)],
            "redis_server": [services.redis.proc.pid],
        },
    )
    return system, client_id


@dataclass
class Turn:
    """One system's share of a phase: what ``measure_turn`` read around its sign-ins."""

    timings: browser.Timings
    seconds: float
    server_cpu_s: float
    verify_cpu_s: float  # one Argon2 verify, measured just before this turn
    other_cpu_s: dict[str, float]
    client_cpu_s: float
    served: list


async def measure_turn(system: System, concurrency: int, signins: int) -> Turn:
    """``signins`` sign-ins at ``concurrency``, with the CPU of the server and of one Argon2
    verify timed next to them (the machine's speed drifts over a run: a verify timed at its
    start would be subtracted from sign-ins made in a slower or faster minute)."""
    _wall, verify_cpu = seed.time_password_verify(VERIFIES_PER_TURN)
    cpu_before = {pid: cpu_seconds(pid) for pid in system.pids()}
    other_before = {k: {p: cpu_seconds(p) for p in v} for k, v in system.other_pids.items()}
    offset = system.access_log.stat().st_size
    client_cpu = time.process_time()
    timings, elapsed = await browser.signin_load(
        system.base_url, system.clock, concurrency, 600, signins, system.signin
    )
    client_cpu = time.process_time() - client_cpu
    time.sleep(0.3)  # gunicorn logs a request after sending its response
    served, _end = read_access_log(system.access_log, offset)
    return Turn(
        timings=timings,
        seconds=elapsed,
        server_cpu_s=cpu_spent(cpu_before, system.pids()),
        verify_cpu_s=verify_cpu,
        other_cpu_s={k: cpu_spent(b, system.other_pids[k]) for k, b in other_before.items()},
        client_cpu_s=client_cpu,
        served=served,
    )


def phase_result(concurrency: int, turns: list[Turn]) -> dict:
    """One system's figures at ``concurrency`` over its turns: times, requests, SQL and CPU
    per sign-in, own CPU = server CPU - the verify timed next to each turn's sign-ins."""
    timings = browser.Timings()
    for turn in turns:
        timings.merge(turn.timings)
    done = max(len(timings.signins), 1)
    elapsed = sum(t.seconds for t in turns)
    served = [r for t in turns for r in t.served]
    sql = [r.sql for r in served if r.sql is not None]
    server_cpu = sum(t.server_cpu_s for t in turns)
    verify_cpu = sum(t.verify_cpu_s * len(t.timings.signins) for t in turns)
    hashes = [r.hash_cpu_s for r in served if r.hash_cpu_s is not None]
    hash_cpu = sum(hashes) if hashes else None
    other = {k: sum(t.other_cpu_s[k] for t in turns) for k in turns[0].other_cpu_s}
    return {
        "concurrency": concurrency,
        "signins": len(timings.signins),
        "turns": len(turns),
        "errors": dict(timings.errors),
        "seconds": round(elapsed, 2),
        "signins_per_s": round(len(timings.signins) / elapsed, 2),
        "signin": summary_ms(timings.signins),
        "steps": {name: summary_ms(values) for name, values in timings.steps.items()},
        "requests_per_signin": round(len(served) / done, 2),
        "responses": dict(Counter(str(r.status) for r in served)),
        "sql_per_signin": round(sum(sql) / done, 2) if sql else None,
        "server_cpu_ms_per_signin": round(server_cpu * 1000 / done, 1),
        "argon2_verify_cpu_ms": round(verify_cpu * 1000 / done, 1),
        "own_cpu_ms_per_signin": round((server_cpu - verify_cpu) * 1000 / done, 1),
        "argon2_cpu_ms_in_server": None if hash_cpu is None else round(hash_cpu * 1000 / done, 1),
        "own_cpu_ms_per_signin_in_server": (
            None if hash_cpu is None else round((server_cpu - hash_cpu) * 1000 / done, 1)
        ),
        "_server_cpu_s": server_cpu,
        "_verify_cpu_s": verify_cpu,
        **{f"{k}_cpu_ms_per_signin": round(v * 1000 / done, 1) for k, v in other.items()},
        # The driving browsers (this process) share the machine's cores with the servers: when
        # this nears 1000 ms per second, the client, not the system, sets the pace.
        "client_cpu_ms_per_signin": round(sum(t.client_cpu_s for t in turns) * 1000 / done, 1),
    }


async def oidc_measured(system: System, client_id: str, args: argparse.Namespace) -> dict:
    """bench.run's code-exchange phase, with the server CPU the exchanges cost."""
    clients = await signed_in_clients(system.base_url, system.clock, args.oidc_clients)
    cpu_before = {pid: cpu_seconds(pid) for pid in system.pids()}
    result = await oidc_phase(clients, client_id, args.oidc_seconds)
    server_cpu = cpu_spent(cpu_before, system.pids())
    cores = os.cpu_count() or 1
    result["server_cpu_s"] = round(server_cpu, 2)
    result["cores"] = cores
    # Wall clock over every core of the machine (the client shares them) ...
    result["exchanges_per_s_per_core"] = round(result["exchanges_per_s"] / cores, 1)
    # ... and per second of one core's time spent by the server (gunicorn and its PostgreSQL
    # backends), which other load on the machine disturbs far less.
    result["exchanges_per_server_cpu_s"] = round(result["exchanges"] / max(server_cpu, 1e-9), 1)
    return result


async def drive(systems: list[System], client_id: str | None, args, data: dict) -> None:
    print("· warming up every worker", flush=True)
    for system in systems:
        await browser.signin_load(
            system.base_url, system.clock, args.web_workers, 120, args.web_workers * 3,
            system.signin,
        )  # fmt: skip
    for concurrency in args.concurrency:
        # The systems take turns in small slices, so that a slower or faster minute of the
        # machine falls on all of them alike.
        turns: dict[str, list[Turn]] = {system.name: [] for system in systems}
        sizes = [
            args.signins // args.turns + (i < args.signins % args.turns) for i in range(args.turns)
        ]
        for number, size in enumerate(sizes, 1):
            for system in systems:
                print(
                    f"· c={concurrency}, turn {number}/{len(sizes)}: {system.name}, "
                    f"{size} sign-ins",
                    flush=True,
                )
                turns[system.name].append(await measure_turn(system, concurrency, size))
        for system in systems:
            data["systems"][system.name][f"c{concurrency}"] = phase_result(
                concurrency, turns[system.name]
            )
    portal = next((s for s in systems if s.name == "portal"), None)
    if portal is not None and args.oidc_seconds > 0:
        print(f"· portal: OpenID Connect code exchanges for {args.oidc_seconds:g} s", flush=True)
        data["portal_oidc"] = await oidc_measured(portal, client_id, args)


def summarise(data: dict, concurrencies: list[int]) -> None:
    """Own CPU per system (over all its sign-ins), the ratios against the best peer, targets."""
    for result in data["systems"].values():
        phases = [result[f"c{c}"] for c in concurrencies if f"c{c}" in result]
        signins = sum(p["signins"] for p in phases)
        cpu = sum(p.pop("_server_cpu_s") for p in phases)
        verify = sum(p.pop("_verify_cpu_s") for p in phases)
        if signins:
            result["server_cpu_ms_per_signin"] = round(cpu * 1000 / signins, 1)
            result["own_cpu_ms_per_signin"] = round((cpu - verify) * 1000 / signins, 1)
            # For information, not a target: the server CPU leaves out the shared
            # redis-server, where the portal keeps its sessions and counters and the peers
            # their cache; this adds each system's share of it.
            redis_ms = sum(
                phase.get("redis_server_cpu_ms_per_signin", 0) * phase["signins"]
                for phase in phases
            )
            result["own_cpu_with_redis_ms_per_signin"] = round(
                result["own_cpu_ms_per_signin"] + redis_ms / signins, 1
            )
    portal = data["systems"].get("portal")
    peers = {k: v for k, v in data["systems"].items() if k != "portal"}
    own_ratio = c4_ratio = None
    if portal and peers and "own_cpu_ms_per_signin" in portal:
        best = min(peers, key=lambda k: peers[k]["own_cpu_ms_per_signin"])
        own_ratio = round(portal["own_cpu_ms_per_signin"] / peers[best]["own_cpu_ms_per_signin"], 2)
        data["best_peer_own_cpu"] = best
        with_redis = "own_cpu_with_redis_ms_per_signin"
        best_with_redis = min(peers[k][with_redis] for k in peers)
        data["own_cpu_with_redis_ratio_vs_best_peer"] = round(
            portal[with_redis] / best_with_redis, 2
        )
    if portal and peers and "c4" in portal and all("c4" in p for p in peers.values()):
        best = max(peers, key=lambda k: peers[k]["c4"]["signins_per_s"])
        c4_ratio = round(portal["c4"]["signins_per_s"] / peers[best]["c4"]["signins_per_s"], 2)
        data["best_peer_c4"] = best
    data["own_cpu_ratio_vs_best_peer"] = own_ratio
    data["signins_per_s_ratio_vs_best_peer_c4"] = c4_ratio
    oidc = data.get("portal_oidc", {}).get("exchanges_per_server_cpu_s")
    rss = portal["web_worker_memory"]["peak_rss_mib"] if portal else None

    def target(value, bound, at_most: bool) -> dict:
        met = None if value is None else (value <= bound if at_most else value >= bound)
        return {"value": value, "target": f"{'≤' if at_most else '≥'} {bound:g}", "met": met}

    data["targets"] = {
        "own_cpu_ratio_vs_best_peer": target(own_ratio, OWN_CPU_RATIO_MAX, True),
        "signins_per_s_ratio_vs_best_peer_c4": target(c4_ratio, SIGNINS_RATIO_C4_MIN, False),
        "oidc_code_exchanges_per_s_per_core": target(oidc, OIDC_PER_CORE_MIN, False),
        "web_worker_peak_rss_mib": target(rss, WORKER_RSS_MIB_MAX, True),
    }


def print_table(data: dict) -> None:
    m = data["machine"]
    a = data["argon2"]
    print()
    print(
        f"Peers bench — {m['cores']} cores, {m['memory_gib']} GiB, Python {m['python']}; load "
        f"average {m['load_average_at_start'][0]:.1f} at start, "
        f"{data['load_average_at_end'][0]:.1f} at end"
        + (" (machine shared: times are noisy)" if data["machine_shared"] else "")
    )
    print(
        f"each: gunicorn {data['config']['web_workers']} sync workers · PostgreSQL · Redis · "
        f"DEBUG off · sessions in the database (the portal's read from Redis) · "
        f"Argon2id t={a['time_cost']}, "
        f"m={a['memory_cost_kib']} KiB, p={a['parallelism']}: one verify {a['cpu_ms']} ms CPU "
        "at the start (own CPU subtracts the verify timed next to each turn: 'verify ms')"
    )
    print()
    print(
        f"{'system':<11}{'c':>3}{'sign-ins/s':>12}{'p50 ms':>9}{'p95 ms':>9}{'requests':>10}"
        f"{'SQL':>7}{'server CPU ms':>15}{'verify ms':>11}{'own CPU ms':>12}{'errors':>8}"
    )
    for name, result in data["systems"].items():
        for key, phase in result.items():
            if not key.startswith("c") or not isinstance(phase, dict) or "signin" not in phase:
                continue
            print(
                f"{name:<11}{phase['concurrency']:>3}{phase['signins_per_s']:>12}"
                f"{phase['signin']['p50_ms']:>9}{phase['signin']['p95_ms']:>9}"
                f"{phase['requests_per_signin']:>10}{phase['sql_per_signin'] or '-':>7}"
                f"{phase['server_cpu_ms_per_signin']:>15}{phase['argon2_verify_cpu_ms']:>11}"
                f"{phase['own_cpu_ms_per_signin']:>12}"
                f"{sum(phase['errors'].values()):>8}"
            )
    print()
    for name, result in data["systems"].items():
        print(
            f"{name}: own CPU {result.get('own_cpu_ms_per_signin')} ms per sign-in over all its "
            f"sign-ins ({result.get('own_cpu_with_redis_ms_per_signin')} with its share of the "
            f"redis-server); web worker peak RSS {result['web_worker_memory']['peak_rss_mib']} MiB"
        )
    print(
        "verifies timed in the servers (bench/sqlcount.py), ms per sign-in at c=1 / c=4, and "
        "own CPU by them:"
    )
    for name, result in data["systems"].items():
        phases = [result[key] for key in ("c1", "c4") if key in result]
        print(
            f"  {name}: "
            + " / ".join(str(p.get("argon2_cpu_ms_in_server")) for p in phases)
            + ", own "
            + " / ".join(str(p.get("own_cpu_ms_per_signin_in_server")) for p in phases)
        )
    if "portal_oidc" in data:
        o = data["portal_oidc"]
        print(
            f"portal OIDC code exchanges: {o['exchanges_per_s']}/s ({o['exchanges_per_s_per_core']}"
            f"/s per core of the machine; {o['exchanges_per_server_cpu_s']} per second of server"
            f" CPU), {o['errors']} errors"
        )
    print()
    for name, t in data["targets"].items():
        state = {True: "met", False: "NOT met", None: "not measured"}[t["met"]]
        print(f"{name}: {t['value']} (target {t['target']}): {state}")
    if data.get("own_cpu_with_redis_ratio_vs_best_peer") is not None:
        print(
            "own CPU ratio with each system's share of the redis-server (information): "
            f"{data['own_cpu_with_redis_ratio_vs_best_peer']}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    base_env = {k: v for k, v in os.environ.items() if k != "CI"}
    started = time.monotonic()
    load_at_start = os.getloadavg()
    shared = {"yes": True, "no": False}.get(args.machine_shared, load_at_start[0] >= 0.5)
    data: dict = {
        "machine": machine(),
        "machine_shared": shared,
        "config": vars(args) | {"json": str(args.json)},
        "systems": {},
    }
    services = Services(database=args.database, web_workers=args.web_workers)
    peers: list[Peer] = []
    systems: list[System] = []
    client_id = None
    try:
        print("· starting redis-server and the portal (database, migrations, accounts)", flush=True)
        if "portal" in args.systems:
            system, client_id = start_portal(services, args)
            systems.append(system)
        else:  # the hasher's parameters and the Argon2 verify still come from the portal
            services.redis.start()
            services.database_url = database_url(services.database)
            seed.setup_django({**os.environ, **services.production_env()})
        argon2 = seed.argon2_parameters()
        for number, name in enumerate(s for s in args.systems if s != "portal"):
            print(f"· {name}: database, migrations, accounts, gunicorn", flush=True)
            redis_url = services.redis.url.rsplit("/", 1)[0] + f"/{number + 1}"
            peer = Peer(name, services.workdir, redis_url, argon2, base_env)
            peers.append(peer)
            systems.append(peer.start(args.accounts, args.web_workers, services.redis.proc.pid))
        systems.sort(key=lambda s: args.systems.index(s.name))
        print(f"· one Argon2 verify, {args.argon2_rounds} times", flush=True)
        wall, cpu = seed.time_password_verify(args.argon2_rounds)
        data["argon2"] = {**argon2, **summary_ms(wall), "cpu_ms": round(cpu * 1000, 1)}
        for system in systems:
            data["systems"][system.name] = {"versions": system.versions}
        asyncio.run(drive(systems, client_id, args, data))
        for system in systems:
            data["systems"][system.name]["web_worker_memory"] = web_worker_memory(
                children_of(system.web.pid)
            )
    finally:
        for peer in peers:
            peer.close()
        services.close()
    data["load_average_at_end"] = os.getloadavg()
    data["total_seconds"] = round(time.monotonic() - started, 1)
    summarise(data, args.concurrency)
    print_table(data)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")
    shown = args.json.relative_to(REPO) if args.json.is_relative_to(REPO) else args.json
    print(f"\nwritten {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
