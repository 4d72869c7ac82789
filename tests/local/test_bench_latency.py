"""The latency bench at a small size: it runs end to end and reports what make bench prints."""

from __future__ import annotations

from local.bench_latency import P50_TARGET_MS, latency_figures, print_latency


def test_latency_figures_small_run_reports_both_series(capsys) -> None:
    # WHEN the bench runs on 3,000 interactions with 40 requests per series
    figures = latency_figures(rows=3000, users=100, items=200, requests=40)

    # THEN the three series have ordered percentiles, and the printout names the target and the verdict
    assert set(figures) == {
        "interactions",
        "users",
        "items",
        "requests",
        "setupSeconds",
        "getRecommendations",
        "getRecommendationsFiltered",
        "inEmulator",
        "p50TargetMet",
    }
    for key in ("getRecommendations", "getRecommendationsFiltered", "inEmulator"):
        series = figures[key]
        assert 0 < series["p50Ms"] <= series["p99Ms"]
    assert figures["p50TargetMet"] == (figures["getRecommendations"]["p50Ms"] < P50_TARGET_MS)
    print_latency(figures)
    verdict = "met" if figures["p50TargetMet"] else "MISSED"
    assert f"p50 < {P50_TARGET_MS:.0f} ms (no filter, through boto3): {verdict}" in capsys.readouterr().out
