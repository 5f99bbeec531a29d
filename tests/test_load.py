"""suggest.loadtest against the real app on a loopback port: bounded, and its table adds up."""

from __future__ import annotations


import pytest

from suggest.tools.loadtest import run_loadtest
from suggest.settings import load_settings
from webapp import create_app


@pytest.fixture(scope="module")
def base_url(engine, tmp_path_factory, live_server):
    app = create_app(load_settings(tmp_path_factory.mktemp("load-home"), env={}), engine=engine)
    with live_server(app) as url:
        yield url


def test_loadtest_table(base_url):
    table = run_loadtest(base_url, ["能便宜点吗", "发什么快递", "/yj"], concurrency_levels=(1, 4),
                         duration_s=1.0, max_requests=40)
    lines = table.splitlines()
    assert lines[1].split() == ["concurrency", "requests", "errors", "req/s", "p50", "ms", "p99", "ms"]
    rows = [line.split() for line in lines[2:]]
    assert [row[0] for row in rows] == ["1", "4"]
    for row in rows:
        requests, errors = int(row[1]), int(row[2])
        assert 0 < requests <= 40 and errors == 0
        assert float(row[3]) > 0 and float(row[4]) <= float(row[5])


def test_loadtest_counts_errors(base_url):
    table = run_loadtest(base_url + "/nowhere", ["能便宜点吗"], concurrency_levels=(2,), duration_s=0.5,
                         max_requests=10)
    row = table.splitlines()[2].split()
    assert row[1] == row[2] == "10"  # every request answered 404: all errors
    assert "404 x10" in table


@pytest.mark.parametrize("url", ["http://example.com", "https://127.0.0.1:8000", "http://10.0.0.1:8000",
                                 "ftp://localhost"])
def test_loadtest_refuses_anything_but_loopback(url):
    with pytest.raises(ValueError):
        run_loadtest(url, ["x"], duration_s=0.1, max_requests=1)
