"""What `make bench-peers` reads and reports: the access log with SQL counts, and the ratios
and targets of bench/results/peers.json computed from the phases' figures."""

from bench.client import Timings
from bench.peers.run import Turn, phase_result, summarise
from bench.services import ServedRequest, read_access_log


def test_access_log_lines_with_and_without_a_statement_count(tmp_path):
    log = tmp_path / "access.log"
    log.write_text("GET /accounts/login/ 200 1500 3\nPOST /accounts/login/ 302 25000 -\n")

    served, end = read_access_log(log, 0)

    assert served == [
        ServedRequest("GET", "/accounts/login/", 200, 0.0015, 3),
        ServedRequest("POST", "/accounts/login/", 302, 0.025, None),
    ]
    log.write_text(log.read_text() + "GET / 200 900 2\n")
    assert read_access_log(log, end)[0] == [ServedRequest("GET", "/", 200, 0.0009, 2)]


def test_access_log_lines_with_the_cpu_of_the_requests_argon2_verifies(tmp_path):
    """bench/sqlcount.py logs the CPU microseconds of each request's Argon2 verifies."""
    log = tmp_path / "access.log"
    log.write_text("POST /accounts/login/password/ 200 25000 3 17500\nGET / 200 900 2 0\n")

    served, _end = read_access_log(log, 0)

    assert [(r.sql, r.hash_cpu_s) for r in served] == [(3, 0.0175), (2, 0.0)]


def test_own_cpu_by_the_verifies_timed_in_the_server():
    """Beside the verify timed in a loop next to each turn, the verifies the server made,
    timed where they ran (logged per request): own CPU by those is shown too."""
    served = [
        ServedRequest("POST", "/login/", 200, 0.03, 3, 0.021),
        ServedRequest("GET", "/", 200, 0.003, 1, 0.0),
    ] * 10
    timings = Timings()
    timings.signins.extend([0.04] * 10)
    result = phase_result(4, [Turn(timings, 1.0, 0.5, 0.018, {}, 0.0, served)])

    assert result["argon2_verify_cpu_ms"] == 18.0
    assert result["own_cpu_ms_per_signin"] == 32.0  # 50 ms - 18 ms
    assert result["argon2_cpu_ms_in_server"] == 21.0
    assert result["own_cpu_ms_per_signin_in_server"] == 29.0  # 50 ms - 21 ms


def turn(signins: int, cpu_s: float, seconds: float, verify_ms: float = 26.0) -> Turn:
    """A turn of ``signins`` sign-ins, each of 10 ms, and the verify timed before it."""
    timings = Timings()
    timings.signins.extend([0.01] * signins)
    return Turn(timings, seconds, cpu_s, verify_ms / 1000, {}, 0.0, [])


def phase(concurrency: int, signins: int, cpu_s: float, per_s: float) -> dict:
    """A phase of two equal turns, with a 26 ms verify before each."""
    half = signins // 2
    seconds = signins / per_s
    turns = [turn(half, cpu_s / 2, seconds / 2), turn(signins - half, cpu_s / 2, seconds / 2)]
    return phase_result(concurrency, turns)


def system(c1: dict, c4: dict, rss: float) -> dict:
    return {"c1": c1, "c4": c4, "web_worker_memory": {"peak_rss_mib": rss}}


def test_ratios_against_the_best_peer_and_the_targets():
    data = {
        "systems": {
            # own CPU over both phases: 200 sign-ins, 12 s → 60 ms - 26 ms verify = 34 ms
            "portal": system(phase(1, 100, 5.0, 4.0), phase(4, 100, 7.0, 20.0), 110.0),
            # 100 ms - 26 = 74 ms; 8 sign-ins/s at c=4
            "allauth": system(phase(1, 100, 10.0, 3.0), phase(4, 100, 10.0, 8.0), 90.0),
            # 94 ms - 26 = 68 ms (the lowest own CPU); 10/s at c=4 (the most)
            "two_factor": system(phase(1, 100, 9.4, 3.0), phase(4, 100, 9.4, 10.0), 75.0),
        },
        "portal_oidc": {"exchanges_per_server_cpu_s": 120.0},
    }

    summarise(data, [1, 4])

    portal = data["systems"]["portal"]
    assert portal["own_cpu_ms_per_signin"] == 34.0
    assert portal["c1"]["own_cpu_ms_per_signin"] == 24.0
    assert "_server_cpu_s" not in portal["c4"]
    assert data["best_peer_own_cpu"] == "two_factor"
    assert data["own_cpu_ratio_vs_best_peer"] == 0.5
    assert data["best_peer_c4"] == "two_factor"
    assert data["signins_per_s_ratio_vs_best_peer_c4"] == 2.0
    assert {k: t["met"] for k, t in data["targets"].items()} == {
        "own_cpu_ratio_vs_best_peer": True,
        "signins_per_s_ratio_vs_best_peer_c4": True,
        "oidc_code_exchanges_per_s_per_core": False,
        "web_worker_peak_rss_mib": True,
    }


def test_the_portal_alone_has_no_ratios():
    data = {"systems": {"portal": system(phase(1, 10, 1.0, 2.0), phase(4, 10, 1.0, 3.0), 100.0)}}

    summarise(data, [1, 4])

    assert data["own_cpu_ratio_vs_best_peer"] is None
    assert data["signins_per_s_ratio_vs_best_peer_c4"] is None
    assert data["targets"]["own_cpu_ratio_vs_best_peer"]["met"] is None
    assert data["targets"]["web_worker_peak_rss_mib"]["met"] is True


def test_own_cpu_subtracts_the_verify_timed_next_to_each_turn():
    """The machine got slower between the turns: each turn's sign-ins lose the verify timed
    next to them, not one timed at the start of the run."""
    first = turn(20, 1.0, 1.0, verify_ms=20.0)  # 50 ms a sign-in, 20 of it the verify
    second = turn(80, 5.6, 4.0, verify_ms=30.0)  # 70 ms a sign-in, 30 of it the verify

    result = phase_result(1, [first, second])

    assert result["signins"] == 100
    assert result["turns"] == 2
    assert result["signins_per_s"] == 20.0
    assert result["server_cpu_ms_per_signin"] == 66.0
    assert result["argon2_verify_cpu_ms"] == 28.0  # (20 x 20 + 80 x 30) / 100
    assert result["own_cpu_ms_per_signin"] == 38.0


def test_own_cpu_with_each_systems_share_of_the_redis_server():
    """The server CPU leaves out the shared redis-server (the portal's sessions and counters,
    the peers' cache); its share is added beside it, with the ratio it gives, for information."""

    def with_redis(signins: int, cpu_s: float, redis_s: float) -> dict:
        timings = Timings()
        timings.signins.extend([0.01] * signins)
        return phase_result(1, [Turn(timings, 1.0, cpu_s, 0.026, {"redis_server": redis_s}, 0, [])])

    data = {
        "systems": {
            # 60 - 26 = 34 ms own, + 4 ms of Redis
            "portal": system(with_redis(100, 6.0, 0.4), with_redis(100, 6.0, 0.4), 110.0),
            # 94 - 26 = 68 ms own, + 1 ms
            "two_factor": system(with_redis(100, 9.4, 0.1), with_redis(100, 9.4, 0.1), 75.0),
        }
    }

    summarise(data, [1, 4])

    assert data["systems"]["portal"]["own_cpu_with_redis_ms_per_signin"] == 38.0
    assert data["systems"]["two_factor"]["own_cpu_with_redis_ms_per_signin"] == 69.0
    assert data["own_cpu_ratio_vs_best_peer"] == 0.5
    assert data["own_cpu_with_redis_ratio_vs_best_peer"] == 0.55
    assert "own_cpu_with_redis_ratio_vs_best_peer" not in data["targets"]
