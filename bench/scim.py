"""Users provisioned per second over SCIM 2.0, printed and written as JSON.

Starts the portal under gunicorn with production settings on its own PostgreSQL database and
redis-server (bench/services.py), gives a provisioning client a token (``manage.py
scim_token``), then creates users with scim2-client (the same library systems of record use)
from several threads at once, then groups of those users, and times a filter. Everything it
starts, it stops. Figures, never asserts (design.md, bench/).

    python -m bench.scim                         # 1,000 users, 50 groups, 4 threads
    python -m bench.scim --users 5000 --concurrency 8 --web-workers 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if __package__ in (None, ""):  # `python bench/scim.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Email, EnterpriseUser, Group, GroupMember, SearchRequest, User

from bench.run import machine, summary_ms
from bench.services import PYTHON, REPO, Services

RESULTS = REPO / "bench" / "results"


def _client(base_url: str, token: str) -> SyncSCIMClient:
    http = httpx2.Client(
        base_url=f"{base_url}/scim/v2", headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    client = SyncSCIMClient(http)
    client.discover()
    return client


def _user(n: int) -> User[EnterpriseUser]:
    user = User[EnterpriseUser](
        user_name=f"bench{n:06d}",
        external_id=f"NIP-{n:06d}",
        display_name=f"Pegawai {n}",
        emails=[Email(value=f"bench{n:06d}@example.go.id", primary=True)],
        active=True,
    )
    user[EnterpriseUser] = EnterpriseUser(employee_number=f"{n:06d}", department=f"Unit {n % 20}")
    return user


def provision_users(
    base_url: str, token: str, first: int, count: int, concurrency: int
) -> tuple[list[str], list[float], float]:
    """Creates ``count`` users from ``concurrency`` threads; returns ids, latencies, seconds."""
    clients = [_client(base_url, token) for _ in range(concurrency)]
    latencies: list[float] = []

    def create(n: int) -> str:
        started = time.perf_counter()
        created = clients[n % concurrency].create(_user(n))
        latencies.append(time.perf_counter() - started)
        return created.id

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        ids = list(pool.map(create, range(first, first + count)))
    return ids, latencies, time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--groups", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--json", type=Path, default=RESULTS / "scim.json")
    args = parser.parse_args(argv)

    services = Services(database="sso_bench_scim", web_workers=args.web_workers)
    try:
        env = services.prepare()
        token = subprocess.run(
            [PYTHON, "manage.py", "scim_token", "bench", "--requests-per-minute", "1000000"],
            cwd=REPO, env=env, check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        base = services.start_web()
        warm = 20  # connections, caches and the first queries' plans before timing
        provision_users(base, token, 0, warm, 1)
        _, single_lat, single_s = provision_users(base, token, warm, args.users // 4, 1)
        ids, load_lat, load_s = provision_users(
            base, token, warm + args.users // 4, args.users, args.concurrency
        )
        client = _client(base, token)
        size = max(1, len(ids) // args.groups)
        started = time.perf_counter()
        for g in range(args.groups):
            members = [GroupMember(value=i) for i in ids[g * size : (g + 1) * size]]
            client.create(Group(display_name=f"Bench group {g}", members=members))
        groups_s = time.perf_counter() - started
        filter_lat = []
        for n in range(0, len(ids), max(1, len(ids) // 50)):
            started = time.perf_counter()
            found = client.query(
                User[EnterpriseUser],
                query_parameters=SearchRequest(filter=f'userName eq "bench{n:06d}"'),
            )
            filter_lat.append(time.perf_counter() - started)
            assert found.total_results in (0, 1)
    finally:
        services.close()

    data = {
        "machine": machine(),
        "config": vars(args) | {"json": str(args.json)},
        "users_per_second_concurrency_1": round(len(single_lat) / single_s, 1),
        "users_per_second": round(len(load_lat) / load_s, 1),
        "create_user_latency": summary_ms(load_lat),
        "create_user_latency_concurrency_1": summary_ms(single_lat),
        "groups_per_second": round(args.groups / groups_s, 1),
        "members_per_group": size,
        "filter_userName_eq_latency": summary_ms(filter_lat),
    }
    print(
        f"SCIM provisioning: {data['users_per_second']} users/s at concurrency "
        f"{args.concurrency} ({args.users} users, {args.web_workers} gunicorn workers), "
        f"{data['users_per_second_concurrency_1']} users/s at concurrency 1"
    )
    print(
        f"create p50 {data['create_user_latency']['p50_ms']} ms, p95 "
        f"{data['create_user_latency']['p95_ms']} ms; {data['groups_per_second']} groups/s "
        f"({size} members each); filter userName eq p50 "
        f"{data['filter_userName_eq_latency']['p50_ms']} ms"
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
