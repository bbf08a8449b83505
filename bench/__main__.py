"""`make bench`: run the benchmarks that exist, write BENCHMARKS.md and bench/results.json.

Figures not measured are absent, never invented. Each run replaces the figures it measures
and keeps the others (with the date they were measured).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import broadcast, export, groups, hostile, langid, rounds, scale, startup, updates

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results.json"
REPORT = ROOT / "BENCHMARKS.md"

GOALS = {
    "updates_per_s": ("≥ 1,000", lambda v: v >= 1000),
    "p99_ms": ("≤ 15 ms", lambda v: v <= 15),
    "updates_ratio": ("≥ 0.8", lambda v: v >= 0.8),
    "p99_during_export_ms": ("≤ 50 ms", lambda v: v <= 50),
    "broadcast_rate_ratio": ("≥ 0.95", lambda v: v >= 0.95),
    "broadcast_busiest_second": ("≤ 200 (the configured rate)", lambda v: v <= 200),
    "broadcast_delivered_once": ("true", lambda v: v is True),
    "broadcast_25_busiest_second": ("≤ 25", lambda v: v <= 25),
    "broadcast_25_ratio": ("≥ 0.95", lambda v: v >= 0.95),
    "broadcast_25_delivered_once": ("true", lambda v: v is True),
    "export_csv_s": ("≤ 10 s", lambda v: v <= 10),
    "export_peak_mb": ("≤ 500 MB", lambda v: v <= 500),
    "export_xlsx_s": ("≤ 30 s", lambda v: v <= 30),
    "xlsx_floor_ratio": ("≤ 2", lambda v: v <= 2),
    "xlsx_peak_mb": ("≤ 500 MB", lambda v: v <= 500),
    "startup_s": ("≤ 2 s", lambda v: v <= 2),
    "idle_rss_mb": ("≤ 150 MB", lambda v: v <= 150),
    "langid_accuracy": ("≥ 0.99", lambda v: v >= 0.99),
    "langid_short_accuracy": ("≥ 0.98", lambda v: v >= 0.98),
    "langid_kk_stripped": ("≥ 0.90", lambda v: v >= 0.90),
    "langid_median_ms": ("≤ 2 ms", lambda v: v <= 2),
    "langid_load_ms": ("≤ 500 ms (start-up cost)", lambda v: v <= 500),
    "hostile_worst_ms": ("≤ 50 ms", lambda v: v <= 50),
    "hostile_errors": ("0", lambda v: v == 0),
    "rounds_screen_ms": ("≤ 2 ms", lambda v: v <= 2),
    "rounds_invite_s": ("≤ 5 s", lambda v: v <= 5),
    "groups_s": ("≤ 10 s", lambda v: v <= 10),
    "groups_peak_mb": ("≤ 500 MB", lambda v: v <= 500),
    "scale_stats_s": ("≤ 2 s", lambda v: v <= 2),
    "scale_csv_s": ("≤ 90 s", lambda v: v <= 90),
    "scale_csv_peak_mb": ("≤ 1,024 MB", lambda v: v <= 1024),
    "scale_p99_ms": ("≤ 15 ms", lambda v: v <= 15),
    "scale_scans": ("0", lambda v: v == 0),
    "scale_xlsx_s": ("≤ 300 s", lambda v: v <= 300),
    "scale_startup_s": ("≤ 2 s", lambda v: v <= 2),
}
LABELS = {
    "updates_per_s": "updates handled per second, 1,000 respondents interleaved, real SQLite",
    "p50_ms": "latency of one update, p50 (ms)",
    "p99_ms": "latency of one update, p99 (ms)",
    "max_ms": "latency of one update, max (ms)",
    "updates_measured": "updates in that run",
    "bare_updates_per_s": "the same harness, a bare PTB handler that only replies (updates/s)",
    "updates_ratio": "this bot's updates/s ÷ the bare handler making the same Bot API calls "
    "(median of 5 rounds of 300 respondents each, the bot and the two bare handlers alternating)",
    "updates_ratio_pairs": "each round's ratio",
    "one_commit_ratio": "that bare handler writing one row and committing it first (the "
    "user's step, through the repository) ÷ the bare handler: the ceiling of updates_ratio for "
    "a bot that stores what it was told before it answers",
    "one_commit_ratio_pairs": "each round's one-commit ratio",
    "updates_ratio_to_one_commit": "this bot's updates/s ÷ that one-commit handler's (median of "
    "the rounds)",
    "cost_ratio": "bare framework ÷ this bot (how many times slower than PTB alone)",
    "bare_same_calls_per_s": "a bare PTB handler making the Bot API calls a tap makes (answer the "
    "button, edit its message, send the next): updates/s",
    "p99_during_export_ms": "p99 latency of one update while the 100,000-respondent export runs",
    "updates_during_export": "updates measured during the export",
    "export_still_running_at_end": "the export was still running when those updates ended",
    "broadcast_rate_ratio": "broadcast: achieved ÷ configured rate, Telegram's pause included",
    "broadcast_rate_ratio_without_pause": "broadcast: the same, the 2 s pause left out",
    "broadcast_recipients": "broadcast: recipients (1% of them blocked the bot)",
    "broadcast_configured_rate": "broadcast: configured rate (messages/s)",
    "broadcast_seconds": "broadcast: seconds from the start to the last answer",
    "broadcast_delivered_once": "broadcast: everyone who had not blocked the bot got it once",
    "broadcast_blocked": "broadcast: recipients marked blocked",
    "broadcast_busiest_second": "broadcast: most messages in any one-second window",
    "broadcast_25_recipients": "broadcast at 25/s through PTB's rate limiter: recipients",
    "broadcast_25_busiest_second": "broadcast at 25/s: most messages in any one-second window",
    "broadcast_25_ratio": "broadcast at 25/s: achieved ÷ configured rate, pause included",
    "broadcast_25_ratio_without_pause": "broadcast at 25/s: the same, the 2 s pause left out",
    "broadcast_25_delivered_once": "broadcast at 25/s: every recipient once",
    "export_respondents": "export benchmark: synthetic respondents",
    "export_csv_s": "export pack, CSV files (s)",
    "export_peak_mb": "export pack, CSV files: peak memory of the exporting processes (MB)",
    "export_xlsx_s": "export pack, XLSX workbook on top (s)",
    "export_charts_s": "export pack, charts and summaries on top (s)",
    "export_full_peak_mb": "export pack with the workbook: peak memory (MB)",
    "export_answers_csv_mb": "answers.csv size (MB)",
    "export_xlsx_mb": "consultation.xlsx size (MB)",
    "xlsx_floor_ratio": "the workbook rewritten from the pack's CSV files ÷ a minimal XlsxWriter "
    "loop over the same cells, same run",
    "xlsx_floor_s": "that minimal XlsxWriter loop (constant memory) (s)",
    "xlsx_rewritten_s": "the bot's workbook rewritten from the same CSV files (s)",
    "xlsx_peak_mb": "the process writing that workbook, pandas and all: peak memory (MB)",
    "startup_s": "start-up: process start to its first getUpdates, median of 3 (s)",
    "startup_max_s": "start-up: the slowest of the 3 (s)",
    "idle_rss_mb": "resident memory of the idle bot process, 5 s after start-up (MB)",
    "rss_after_run_mb": "resident memory of the benchmark process, the bot in it, after the "
    "1,000-respondent run (MB)",
    "langid_accuracy": "language detection, accuracy on the 900 corpus rows",
    "langid_short_accuracy": "language detection, accuracy on rows of 1–4 words",
    "langid_kk_stripped": "the corpus's Kazakh typed on a Russian keyboard, recognised as Kazakh",
    "langid_median_ms": "language detection, median time per call (ms)",
    "langid_p99_ms": "language detection, p99 time per call (ms)",
    "langid_load_ms": "language detection, import and model load (ms)",
    "langid_model_kb": "language model file (KiB, gzip)",
    "langid_memory_mb": "language detection, resident memory added by import and load (MB)",
    "langid_model_ngrams": "language model n-grams (Russian + Kazakh on a Russian keyboard)",
    "langid_rows": "corpus rows",
    "langid_short_rows": "corpus rows of 1–4 words",
    "hostile_worst_ms": "hostile text on the comment path: worst time of one update, median of "
    "3 rounds (ms)",
    "hostile_median_ms": "hostile text on the comment path: median time of one update (ms)",
    "hostile_worst_input": "hostile text on the comment path: the worst input",
    "hostile_updates": "hostile text on the comment path: updates timed (3 rounds)",
    "hostile_parts_worst_ms": "100 parts of 4,000 characters on one comment: worst part (ms)",
    "hostile_last_parts_ms": "100 parts of 4,000 characters on one comment: worst of the last "
    "10 (ms)",
    "hostile_slowest_call_ms": "hostile text on the comment path: the slowest single call, "
    "machine noise included (ms)",
    "hostile_errors": "hostile text on the comment path: updates that logged an error",
    "rounds_earlier_stances": "rounds: stances given in round 1 (the shares shown)",
    "rounds_invited": "rounds: invitations queued by /round start",
    "rounds_invite_s": "rounds: /round start queueing them, one transaction (s)",
    "rounds_screen_ms": "rounds: a returning respondent's feedback screen (record, shares, their "
    "answers, render), p99 of 999 (ms)",
    "rounds_screen_median_ms": "rounds: the same, median (ms)",
    "rounds_shares_first_ms": "rounds: the first screen, the round's shares counted (ms)",
    "rounds_tap_median_ms": "rounds: a stance tapped in round 2 through the Application, median "
    "(ms)",
    "rounds_tap_p99_ms": "rounds: the same, p99 (ms)",
    "groups_respondents": "opinion groups: respondents who submitted (synthetic)",
    "groups_k": "opinion groups: groups found (k by silhouette)",
    "groups_s": "opinion groups: reading the stances and grouping them (s)",
    "groups_peak_mb": "opinion groups: peak memory of the process doing it (MB)",
    "groups_command_s": "opinion groups: `python -m bot stats --groups` start to answer, as "
    "/stats groups runs it (s)",
    "groups_command_lines": "opinion groups: lines of its answer",
    "scale_respondents": "a million (`make bench scale`, opt-in): synthetic respondents",
    "scale_answers": "a million: answers",
    "scale_outbox": "a million: outbox rows (a broadcast to all who wanted news, a reminder "
    "to all unfinished)",
    "scale_db_mb": "a million: database file (MB)",
    "scale_build_s": "a million: building the synthetic database, once (s)",
    "scale_stats_s": "a million: /stats's reading (`bot.stats.collect`), median of 3 (s)",
    "scale_stats_first_s": "a million: /stats, the first of those 3 (s)",
    "scale_csv_s": "a million: export pack, CSV files (s)",
    "scale_csv_peak_mb": "a million: export pack, CSV files: peak memory of the exporting "
    "processes (MB)",
    "scale_csv_main_peak_mb": "a million: of which the process writing answers.csv (MB)",
    "scale_csv_helper_peak_mb": "a million: of which its helper (respondents.csv, the tables, "
    "the opinion groups) (MB)",
    "scale_answers_csv_mb": "a million: answers.csv size (MB)",
    "scale_xlsx_s": "a million: export pack, XLSX workbook on top (s)",
    "scale_xlsx_unfinished_after_s": "a million: the whole pack was stopped unfinished after "
    "(s): the workbook not measured",
    "scale_full_peak_mb": "a million: the whole pack: peak memory (MB)",
    "scale_p99_ms": "a million: latency of one update, p99 (ms)",
    "scale_p50_ms": "a million: latency of one update, p50 (ms)",
    "scale_updates": "a million: updates in that run",
    "scale_scans": "a million: queries run while respondents answer (per update, reminders, "
    "the pump, /delete and its cascades) that read a big table whole",
    "scale_queries_checked": "a million: query shapes whose plan was checked",
    "scale_startup_scans": "a million: start-up queries that read a big table whole",
    "scale_reminder_query_ms": "a million: the reminder query on the bot's connection, median "
    "of 5 (ms)",
    "scale_reminders_due": "a million: reminders it found due (at most 1,000 a turn)",
    "scale_claim_ms": "a million: the pump's claim, one transaction, median of 20 (ms)",
    "scale_delete_ms": "a million: /delete of a respondent who answered everything, median (ms)",
    "scale_delete_max_ms": "a million: /delete, the slowest (ms)",
    "scale_backup_s": "a million: the daily backup's copy (s)",
    "scale_backup_mb": "a million: the backup's size (MB)",
    "scale_startup_s": "a million: start-up, process start to its first getUpdates (s)",
    "scale_idle_rss_mb": "a million: resident memory of the idle bot, 5 s after start-up (MB)",
}


SUITES = {
    "langid": langid.run,
    "hostile": hostile.run,
    "export": export.run,
    "updates": updates.run,
    "broadcast": broadcast.run,
    "startup": startup.run,
    "rounds": rounds.run,
    "groups": groups.run,
    "scale": scale.run,
}
# Run only when named (`make bench scale`): it builds a 1.5 GB database once and takes minutes.
OPT_IN = {"scale"}


def main() -> None:
    """Run, merge with earlier figures, write both reports."""
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("suites", nargs="*", choices=[*SUITES, []], help="default: all but scale")
    parser.add_argument(
        "--report", action="store_true", help="only rewrite BENCHMARKS.md from the results"
    )
    arguments = parser.parse_args()
    default = [name for name in SUITES if name not in OPT_IN]
    chosen = [] if arguments.report else arguments.suites or default
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    dates = results.pop("measured_at", {})
    for name in chosen:
        print(f"running {name}…", flush=True)
        results.update(SUITES[name]())
        results = {key: value for key, value in results.items() if value is not None}
        dates[name] = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    results["measured_at"] = dates
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `make bench` (`python -m bench [suite ...]`), {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.machine()}; when each suite last ran: "
        + (", ".join(f"{name} {when}" for name, when in sorted(dates.items())) or "never")
        + ". Machine-readable: `bench/results.json`. A figure not measured yet is absent.",
        "",
        "| figure | measured | goal |",
        "|---|---|---|",
    ]
    for key in [*LABELS, *sorted(set(results) - set(LABELS))]:
        if key not in results or isinstance(results[key], dict):
            continue
        goal, met = GOALS.get(key, ("", None))
        verdict = "" if met is None else (" ✅" if met(results[key]) else " ❌")
        lines.append(f"| {LABELS.get(key, key)} | {results[key]}{verdict} | {goal} |")
    notes = ROOT / "bench" / "NOTES.md"
    if notes.exists():
        lines += ["", notes.read_text(encoding="utf-8").strip()]
    REPORT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(REPORT.read_text(encoding="utf-8"))
    sys.exit(0)


if __name__ == "__main__":
    main()
