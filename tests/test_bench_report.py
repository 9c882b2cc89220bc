"""The bench's report: what each phase cost the machine per message."""

from bench.support import Report


def test_a_phase_reports_the_cpu_every_process_spent_on_one_message():
    report = Report("example", {})
    usage = {"cpu_pct": {"daphne": 30.0, "worker": 55.0, "postgres": 12.0, "client": 3.0}}

    row = report.add("path", seconds=10, requests=500, usage=usage)

    # 100 % of one core over 50 messages a second: 20 ms of CPU for each message.
    assert row["cpu_ms_per_msg"] == 20.0
    assert "CPU ms/msg" in report.table()


def test_a_phase_without_usage_or_messages_reports_no_cpu_per_message():
    report = Report("example", {})

    assert report.add("unmeasured", seconds=10, requests=500)["cpu_ms_per_msg"] is None
    assert (
        report.add("idle", seconds=10, requests=0, usage={"cpu_pct": {"daphne": 5.0}})[
            "cpu_ms_per_msg"
        ]
        is None
    )


def test_the_webhook_to_socket_latency_is_told_second_by_second():
    from bench.webhook_socket import median_by_second

    started = {"a": 100.0, "b": 100.5, "c": 100.9, "d": 102.2, "lost": 102.4}
    received = {"a": 100.010, "b": 100.530, "c": 100.920, "d": 102.500}

    assert median_by_second(started, received) == [20.0, None, 300.0]
