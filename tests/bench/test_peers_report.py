"""What `make bench-peers` reads and reports: the access log with SQL counts, and the ratios
and targets of bench/results/peers.json computed from the phases' figures."""

from bench.peers.run import summarise
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


def phase(concurrency: int, signins: int, cpu_s: float, per_s: float) -> dict:
    return {
        "concurrency": concurrency,
        "signins": signins,
        "signins_per_s": per_s,
        "server_cpu_ms_per_signin": round(cpu_s * 1000 / signins, 1),
        "_server_cpu_s": cpu_s,
    }


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

    summarise(data, 26.0, [1, 4])

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

    summarise(data, 26.0, [1, 4])

    assert data["own_cpu_ratio_vs_best_peer"] is None
    assert data["signins_per_s_ratio_vs_best_peer_c4"] is None
    assert data["targets"]["own_cpu_ratio_vs_best_peer"]["met"] is None
    assert data["targets"]["web_worker_peak_rss_mib"]["met"] is True
