"""Risk engine benchmarks, each side by side in one run on one broker (Tansu, Apache Kafka or both):

1. marks/s of the risk engine against a faust agent that does nothing with the same marks;
2. mark-to-alert latency p50/p99 at a steady 1,000 marks/s: as registers arrive (one of 40 marks
   every 40 ms), and, harsher, the whole second's marks at once;
3. bytes written to the state changelog per mark;
4. a borough-year replay: wall time, peak memory, memory per pupil, with one and two workers.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psutil
from kafka import KafkaConsumer, TopicPartition
from kafka.partitioner.default import murmur2
from prometheus_client.parser import text_string_to_metric_families

from bench.harness import embedded_broker, per_broker, record
from infra.local.broker import ENGINES
from infra.local.local_http import LOCAL
from infra.local.metrics import read_metric
from infra.local.processes import service_commands, service_env
from infra.local.readiness import free_port, wait_until
from services.risk_engine.output import BatchProducer, Record
from shared.events import AttendanceMark
from shared.kafka import make_producer
from shared.topics import MARKS, PUPIL_ATTENDANCE
from synthetic.calendar import academic_year, school_days

SCHOOL = "123456"
DAYS = [day for day, _ in school_days(*academic_year(2025))]


def mark_bytes(pupil: int, day: dt.date, session: str) -> tuple[bytes, bytes]:
    code = (
        ("N" if session == "AM" else "I")
        if (pupil * 7 + day.toordinal()) % 11 == 0
        else ("/" if session == "AM" else "\\")
    )
    event = AttendanceMark(
        pupil_id=f"pupil-{pupil:06d}", school_urn=SCHOOL, date=day, session=session, code=code,
        recorded_at=dt.datetime.combine(day, dt.time(9, 30), tzinfo=dt.UTC),
    )  # fmt: skip
    return MARKS.key_of(event), event.to_bytes()


def preload(kafka, pupils: int, days: list[dt.date]) -> int:
    """Day by day, every pupil's AM then PM, as registers are taken; each pupil's marks on the partition
    the default partitioner gives their key, as ingest's producer puts them. Sent in batches with the
    engine's own producer (a borough-year is 9.5 million marks: one by one it took most of an hour)."""
    return asyncio.run(_send_marks(kafka, pupils, days))


async def _send_marks(kafka, pupils: int, days: list[dt.date], chunk: int = 50_000) -> int:
    producer = BatchProducer(kafka, client_id="bench-preload")
    partitions = MARKS.partition_count(kafka.pupil_partitions)
    await producer.start()
    sent, records = 0, []
    try:
        for day in days:
            for session in ("AM", "PM"):
                for pupil in range(pupils):
                    key, value = mark_bytes(pupil, day, session)
                    records.append(Record(MARKS.name, (murmur2(key) & 0x7FFFFFFF) % partitions, key, value))
                if len(records) >= chunk:
                    await producer.send(records)
                    sent, records = sent + len(records), []
        await producer.send(records)
        return sent + len(records)
    finally:
        await producer.stop()


@contextmanager
def worker(command: list[str], env: dict, port: int, log: Path):
    with log.open("ab") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass(frozen=True)
class Rate:
    marks_per_s: float  # from the first mark to the last
    cpu_us_per_mark: float  # the worker's own CPU time (user and system) over the same marks
    watching_cpu_pct: float  # this benchmark's own CPU meanwhile, as a share of one core


def rate_of(process: subprocess.Popen, url: str, total: int, name: str = "risk_engine_events_total") -> Rate:
    """How fast a worker got through `total` marks, and the CPU it spent on each: on two shared cores
    the rate moves with whatever else runs, the CPU a mark costs much less."""
    cpu = psutil.Process(process.pid)
    wait_until(lambda: read_metric(url, name) > 0, 120, "the first mark")
    started, first, cpu_before, watching = time.monotonic(), read_metric(url, name), _cpu_seconds(cpu), _own_cpu()
    wait_until(lambda: read_metric(url, name) >= total, 3600, "every mark", interval_s=0.1)
    elapsed, cpu_spent = time.monotonic() - started, _cpu_seconds(cpu) - cpu_before
    return Rate((total - first) / elapsed, cpu_spent / (total - first) * 1e6, _share(_own_cpu() - watching, elapsed))


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _own_cpu() -> float:
    """This benchmark's CPU time: on two cores, watching the workers must leave them the machine."""
    return _cpu_seconds(psutil.Process())


def _share(cpu_s: float, elapsed_s: float) -> float:
    return round(100 * cpu_s / elapsed_s, 1)


def engine_env(kafka, data_dir: Path, port: int, app_id: str) -> dict:
    return {
        **os.environ,
        **service_env(data_dir, kafka.bootstrap_servers),
        "RISK_ENGINE_PORT": str(port),
        "RISK_ENGINE_APP_ID": app_id,
        "RISK_ENGINE_DATA_DIR": str(data_dir / app_id),
    }


def histogram_quantiles(before: dict[float, float], after: dict[float, float], qs=(0.5, 0.99)) -> dict[float, float]:
    """Quantiles of the observations between two scrapes of a cumulative histogram (linear in a bucket)."""
    bounds = sorted(after)
    counts = [after[b] - before.get(b, 0.0) for b in bounds]
    total = counts[-1]
    out = {}
    for q in qs:
        target, lower, below = q * total, 0.0, 0.0
        for bound, cumulative in zip(bounds, counts, strict=True):
            if cumulative >= target:
                inside = cumulative - below
                out[q] = (
                    lower + (bound - lower) * ((target - below) / inside if inside else 1.0)
                    if bound != float("inf")
                    else lower
                )
                break
            lower, below = bound, cumulative
    return out


def latency_buckets(url: str) -> dict[float, float]:
    text = LOCAL.get(f"{url}/metrics", timeout=5).text
    return {
        float(s.labels["le"]): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
        if s.name == "risk_engine_processing_seconds_bucket"
    }


REGISTER_MARKS = 40  # a class's register: what a connector posts at once


def steady_load(kafka, plan: list[tuple[int, dt.date, str]], per_second: int, seconds: int, batch: int) -> int:
    """`per_second` marks a second from `plan`, sent `batch` at a time at even intervals; each batch is
    made just before it is sent, so its marks' latency counts from then."""
    producer = make_producer(kafka, client_id="bench-steady")
    batches, interval = seconds * per_second // batch, batch / per_second
    sent, started = 0, time.monotonic()
    for index in range(batches):
        for pupil, day, session in plan[index * batch : (index + 1) * batch]:
            key, value = mark_bytes(pupil, day, session)  # occurred_at is now: latency counts from here
            producer.send(MARKS.name, key=key, value=value)
            sent += 1
        producer.flush()
        time.sleep(max(0.0, started + (index + 1) * interval - time.monotonic()))
    producer.close()
    return sent


def latency_under_load(kafka, url: str, plan: list[tuple[int, dt.date, str]], processed: int, batch: int) -> dict:
    """Mark-to-alert p50 and p99 (ms) and the marks sent, at 1,000 marks/s for 30 s."""
    before = latency_buckets(url)
    sent = steady_load(kafka, plan, per_second=1_000, seconds=30, batch=batch)
    wait_until(lambda: read_metric(url, "risk_engine_events_total") >= processed + sent, 120, "the steady marks")
    quantiles = histogram_quantiles(before, latency_buckets(url))
    return {"marks": sent, "p50_ms": round(quantiles[0.5] * 1000), "p99_ms": round(quantiles[0.99] * 1000)}


def peak_rss(process: psutil.Process, stop: threading.Event, peaks: list[int]) -> None:
    while not stop.is_set():
        try:
            peaks.append(process.memory_info().rss)
        except psutil.Error:
            return
        stop.wait(0.5)


def records_until_quiet(consumer: KafkaConsumer):
    """The records an assigned and positioned consumer reads until nothing more comes (Tansu's end
    offsets cannot be trusted to say where a partition ends)."""
    quiet = 0
    while quiet < 3:
        batches = consumer.poll(timeout_ms=500)
        quiet = 0 if batches else quiet + 1
        yield from (record for batch in batches.values() for record in batch)


def changelog_bytes(kafka, topic: str) -> int:
    """Keys and values written to a changelog topic, read back from its start."""
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return sum(len(r.key or b"") + len(r.value or b"") for r in records_until_quiet(consumer))
    finally:
        consumer.close()


def throughput_and_latency(pupils: int, broker: str) -> dict:
    with embedded_broker(broker) as (kafka, data_dir):
        total = preload(kafka, pupils, DAYS[:50])
        noop_port = free_port()
        noop_env = {
            **os.environ,
            "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "NOOP_PORT": str(noop_port),
            "NOOP_DATA_DIR": str(data_dir / "noop"),
        }
        noop_command = [sys.executable, "-m", "bench.noop_agent"]
        with worker(noop_command, noop_env, noop_port, data_dir / "noop.log") as (process, url):
            noop = rate_of(process, url, total, "bench_noop_events_total")
        port = free_port()
        env = engine_env(kafka, data_dir, port, "bench-engine")
        with worker(service_commands()["risk_engine"], env, port, data_dir / "engine.log") as (process, url):
            engine = rate_of(process, url, total)
            plan = [(pupil, day, session) for day in DAYS[50:] for session in ("AM", "PM") for pupil in range(pupils)]
            registers = latency_under_load(kafka, url, plan, total, batch=REGISTER_MARKS)
            bursts = latency_under_load(kafka, url, plan[registers["marks"] :], total + registers["marks"], 1_000)
        steady = registers["marks"] + bursts["marks"]
        changelog = changelog_bytes(kafka, "bench-engine-pupil-state-changelog")
    return {
        "marks": total,
        "pupils": pupils,
        "noop_faust_agent_marks_per_s": round(noop.marks_per_s),
        "risk_engine_marks_per_s": round(engine.marks_per_s),
        "ratio_to_noop": round(engine.marks_per_s / noop.marks_per_s, 2),
        "noop_cpu_us_per_mark": round(noop.cpu_us_per_mark),
        "risk_engine_cpu_us_per_mark": round(engine.cpu_us_per_mark),
        "cpu_ratio_to_noop": round(noop.cpu_us_per_mark / engine.cpu_us_per_mark, 2),
        "watching_cpu_pct_noop_engine": [noop.watching_cpu_pct, engine.watching_cpu_pct],
        "steady_marks_per_s": 1_000,
        "steady_marks": steady,
        "mark_to_alert_p50_ms": registers["p50_ms"],
        "mark_to_alert_p99_ms": registers["p99_ms"],
        "each_second_at_once_p50_ms": bursts["p50_ms"],
        "each_second_at_once_p99_ms": bursts["p99_ms"],
        "changelog_bytes_per_mark": round(changelog / (total + steady)),
    }


def replays(pupils: int, worker_counts: list[int], broker: str) -> list[dict]:
    """The same year of marks, preloaded once, replayed by each worker count as its own app."""
    if not worker_counts:
        return []
    with embedded_broker(broker) as (kafka, data_dir):
        total = preload(kafka, pupils, DAYS)
        return [replay(kafka, data_dir, total, pupils, workers) for workers in worker_counts]


def sessions_short(kafka, pupils: int, sessions: int) -> int:
    """Sessions missing from the pupils' final figures (every benchmark mark is a possible session),
    read from the last snapshot of each pupil. The count of marks processed cannot show a lost mark
    when marks read again after a rebalance make up the number; the figures can. The year's last
    day comes last, so each pupil's last snapshots are in the tail of its partition: only the last
    few per pupil are read. A pupil with none there counts as having nothing."""
    consumer = KafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, enable_auto_commit=False)
    try:
        topic = PUPIL_ATTENDANCE.name
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        for tp, end in consumer.end_offsets(partitions).items():
            consumer.seek(tp, max(0, end - 4 * pupils // len(partitions)))
        latest = {}
        for record in records_until_quiet(consumer):
            snapshot = PUPIL_ATTENDANCE.decode(record.value)
            latest[snapshot.pupil_id] = snapshot.possible
        return sessions * (pupils - len(latest)) + sum(sessions - possible for possible in latest.values())
    finally:
        consumer.close()


def broker_process() -> psutil.Process:
    """The broker this benchmark started: a child process running Apache Kafka or Tansu."""
    for child in psutil.Process().children(recursive=True):
        command = " ".join(child.cmdline())
        if "kafka.Kafka" in command or "tansu" in command:
            return child
    raise RuntimeError("no broker process among this benchmark's children")


def wait_for_replay(processed, urls: list[str], total: int, idle_s: float = 60) -> int:
    """Wait until the workers have processed `total` marks, or have nothing left to read and have
    processed nothing for `idle_s` (a mark skipped would otherwise hang the run); returns the count."""
    last, still_since = -1.0, time.monotonic()
    while (done := processed()) < total:
        if done != last:
            last, still_since = done, time.monotonic()
        elif time.monotonic() - still_since > idle_s and all(
            read_metric(url, "risk_engine_consumer_lag") == 0 for url in urls
        ):
            break
        time.sleep(0.5)
    return int(done)


def changelog_on_disk(data_dir: Path, app_id: str) -> int | None:
    """Bytes of the state changelog's segment files in Apache Kafka's log directory (not the index
    files, which Kafka preallocates at 10 MB each); Tansu's memory store has none. Nothing is
    compacted during a run (segments roll at 1 GB or after 7 days), so this is what was written."""
    folders = list((data_dir / "kafka" / "log").glob(f"{app_id}-pupil-state-changelog-*"))
    if not folders:
        return None
    return sum(f.stat().st_size for folder in folders for f in folder.glob("*.log"))


def replay(kafka, data_dir: Path, total: int, pupils: int, workers: int) -> dict:
    app_id = f"bench-replay-{workers}"
    ports = [free_port() for _ in range(workers)]
    stops, peaks, threads = threading.Event(), [[] for _ in ports], []
    broker_peaks: list[int] = []
    broker_thread = threading.Thread(target=peak_rss, args=(broker_process(), stops, broker_peaks), daemon=True)
    broker_thread.start()
    threads.append(broker_thread)
    with ExitStack() as stack:
        handles = [
            stack.enter_context(
                worker(
                    service_commands()["risk_engine"],
                    engine_env(kafka, data_dir, port, app_id),
                    port,
                    data_dir / f"{app_id}-{port}.log",
                )
            )
            for port in ports
        ]
        for (process, _), peak in zip(handles, peaks, strict=True):
            thread = threading.Thread(target=peak_rss, args=(psutil.Process(process.pid), stops, peak), daemon=True)
            thread.start()
            threads.append(thread)

        def processed() -> float:
            return sum(read_metric(url, "risk_engine_events_total") for _, url in handles)

        wait_until(lambda: processed() > 0, 120, "the first mark")
        baseline = sum(peak[-1] for peak in peaks if peak)  # loaded and connected, no pupils yet
        started, watching = time.monotonic(), _own_cpu()
        done = wait_for_replay(processed, [url for _, url in handles], total)
        elapsed, watching = time.monotonic() - started, _own_cpu() - watching
        stops.set()
        for thread in threads:
            thread.join()  # the peaks are final before they are read
    peak = sum(max(p) for p in peaks)
    figures = {
        "workers": workers,
        "pupils": pupils,
        "marks": total,
        "wall_s": round(elapsed, 1),
        "marks_per_s": round(done / elapsed),
        "marks_missing": total - done,  # nonzero only if the workers went idle with marks unprocessed
        "sessions_short": sessions_short(kafka, pupils, sessions=2 * len(DAYS)),
        "peak_rss_mb": round(peak / 2**20),
        "memory_per_pupil_kb": round((peak - baseline) / pupils / 1024, 1),
        "broker_peak_rss_mb": round(max(broker_peaks) / 2**20),
        "watching_cpu_pct": _share(watching, elapsed),
    }
    on_disk = changelog_on_disk(data_dir, app_id)
    if on_disk is not None:
        figures |= {
            "changelog_on_disk_mb": round(on_disk / 2**20, 1),
            "changelog_bytes_per_mark": round(on_disk / total),
        }
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pupils", type=int, default=1_000, help="pupils for the throughput and latency runs")
    parser.add_argument(
        "--replay-pupils", type=int, default=1_000, help="pupils for the borough-year replay (25,000 is a borough)"
    )
    parser.add_argument(
        "--replay-workers", type=int, nargs="*", default=[1, 2], help="worker counts to replay with (none: skip)"
    )
    parser.add_argument("--skip-throughput", action="store_true", help="only the replay")
    parser.add_argument("--brokers", nargs="*", default=list(ENGINES), help="tansu and/or kafka")
    args = parser.parse_args(argv)

    def on_broker(broker: str) -> dict:
        figures = {} if args.skip_throughput else throughput_and_latency(args.pupils, broker)
        return figures | {"replay": replays(args.replay_pupils, args.replay_workers, broker)}

    figures = {
        "brokers": per_broker(args.brokers, on_broker),
        "targets": {"ratio_to_noop": ">= 0.6", "mark_to_alert_p99_ms": "< 500", "changelog_bytes_per_mark": "<= 500"},
    }
    record("risk_engine" if not args.skip_throughput else f"risk_engine_replay_{args.replay_pupils}", figures)


if __name__ == "__main__":
    main()
