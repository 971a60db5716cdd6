"""The load test's arithmetic, on locust's per-endpoint JSON, without starting anything."""

from tests.bench.loadtest import percentile, summarize


def _entry(name, times, start, last, failures=0):
    return {
        "name": name,
        "method": "GET",
        "num_requests": sum(times.values()),
        "num_failures": failures,
        # JSON object keys are strings, as in the file locust writes.
        "response_times": {str(millis): count for millis, count in times.items()},
        "start_time": start,
        "last_request_timestamp": last,
    }


def test_percentile_is_the_smallest_time_that_covers_the_share():
    times = {10: 50, 20: 45, 300: 5}
    assert percentile(times, 0.50) == 10
    assert percentile(times, 0.95) == 20
    assert percentile(times, 0.99) == 300
    assert percentile({}, 0.50) == 0


def test_it_leaves_signing_in_out_of_rates_and_percentiles_but_counts_its_failures():
    entries = [
        _entry("sign in (POST)", {900: 4}, start=100.0, last=101.0, failures=1),
        _entry("/path/", {12: 60}, start=102.0, last=112.0),
        _entry("status POST (htmx)", {40: 40}, start=102.5, last=111.0, failures=2),
    ]
    result = summarize(entries, ["2x POST status POST (htmx): 403"])
    assert result["requests"] == 100
    assert result["req_s"] == 10.0
    assert (result["p50"], result["p95"], result["p99"]) == (12, 40, 40)
    assert result["errors"] == 3
    assert result["pages"]["/path/"] == {"requests": 60, "p50": 12, "p95": 12}
    assert "sign in (POST)" not in result["pages"]
