"""An instructor's class: settings file, locks, per-student usage and daily cap, the class server's turns."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from conftest import TRANSFORMER_JSON, scripted
from faultserver import FaultServer

from papercoder_nb.classroom.guard import ClassroomBackend, DailyBudgetReached
from papercoder_nb.classroom.ledger import Ledger, current_user, usage_table
from papercoder_nb.classroom.policy import ModelNotAllowed, choose
from papercoder_nb.classroom.settings import ClassSettings, SettingsError, load_settings
from papercoder_nb.cli.main import main as cli
from papercoder_nb.llm.base import Message, Request
from papercoder_nb.llm.call import Throttle, call_model
from papercoder_nb.paper import load_paper
from papercoder_nb.run.runner import Runner
from papercoder_nb.session.backend import build_backend
from papercoder_nb.session.store import Session

CLASS = """
model = "openai:class-model"
base_url = "http://127.0.0.1:9/v1"
allowed_models = ["openai:class-model", "replay"]
locked = ["model", "base_url"]
reason = "Set by your instructor for the workshop"
usage_dir = "usage"
[budget]
tokens_per_day = 3000
"""


def class_file(tmp_path: Path, text: str = CLASS) -> dict[str, str]:
    path = tmp_path / "papercoder.toml"
    path.write_text(text)
    return {"PAPERCODER_SETTINGS": str(path)}


def request(kind: str = "plan", text: str = "x" * 400) -> Request:
    return Request(messages=[Message.of("user", text)], kind=kind, artifact=kind, max_tokens=500)


# -- the settings file ---------------------------------------------------------------------
def test_no_file_means_no_class(tmp_path: Path) -> None:
    settings = load_settings({})
    assert not settings.active and choose(settings, "openai:gpt-4.1").spec == "openai:gpt-4.1"


def test_the_file_is_read_and_relative_folders_are_beside_it(tmp_path: Path) -> None:
    s = load_settings(class_file(tmp_path))
    assert s.active and s.model == "openai:class-model" and s.budget.tokens_per_day == 3000
    assert s.usage_dir == (tmp_path / "usage").resolve() and s.is_locked("model") and not s.is_locked("reasoning")


@pytest.mark.parametrize(("text", "said"), [
    ("model = ", "not valid TOML"),
    ("modle = 'x'", "modle"),
    ("[budget]\ntokens_per_day = -5", "budget.tokens_per_day"),
    ("locked = ['temperature']", "locked"),
])
def test_a_broken_file_names_itself_and_the_problem(tmp_path: Path, text: str, said: str) -> None:
    env = class_file(tmp_path, text)
    with pytest.raises(SettingsError) as e:
        load_settings(env)
    assert env["PAPERCODER_SETTINGS"] in str(e.value) and said in str(e.value) and "fix the file" in str(e.value)


def test_a_named_file_that_is_missing_is_an_error_not_no_class(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings({"PAPERCODER_SETTINGS": str(tmp_path / "nope.toml")})


# -- which model ---------------------------------------------------------------------------
def test_a_locked_model_fills_in_and_refuses_another_saying_who_and_why(tmp_path: Path) -> None:
    s = load_settings(class_file(tmp_path))
    chosen = choose(s, None)
    assert chosen.spec == "openai:class-model" and chosen.options["base_url"] == "http://127.0.0.1:9/v1"
    assert any("locked by your instructor" in n for n in chosen.notes)
    with pytest.raises(ModelNotAllowed) as e:
        choose(s, "anthropic:claude-sonnet-4-6")
    assert "locked by your instructor" in str(e.value) and "Set by your instructor for the workshop" in str(e.value)
    with pytest.raises(ModelNotAllowed, match="base_url is locked"):
        choose(s, None, {"base_url": "http://127.0.0.1:1/v1"})


def test_allowed_models_and_replay_only(tmp_path: Path) -> None:
    s = load_settings(class_file(tmp_path, 'allowed_models = ["replay", "openai:class-model"]\nmodel = "openai:class-model"'))
    assert choose(s, None).spec == "openai:class-model"
    assert choose(s, "replay:rec").spec == "replay:rec" and "base_url" not in choose(s, "replay:rec").options
    with pytest.raises(ModelNotAllowed, match="not allowed in this class"):
        choose(s, "openai:gpt-4.1")
    only = load_settings(class_file(tmp_path, "replay_only = true"))
    assert choose(only, "replay:rec").spec == "replay:rec"
    with pytest.raises(ModelNotAllowed, match="recorded answers"):
        choose(only, "local")


def test_build_backend_applies_the_lock_and_wraps_paid_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    s = load_settings(class_file(tmp_path))
    built = build_backend(None, settings=s)
    assert isinstance(built.backend, ClassroomBackend)
    assert built.backend.spec == "openai:class-model" and built.backend.base_url == "http://127.0.0.1:9/v1"
    with pytest.raises(ModelNotAllowed):
        build_backend("openai:gpt-4.1", settings=s)
    assert not isinstance(build_backend("scripted", settings=ClassSettings()).backend, ClassroomBackend)


# -- usage and the daily cap ------------------------------------------------------------------
def guarded(tmp_path: Path, user: str, **budget: float) -> ClassroomBackend:
    s = ClassSettings(usage_dir=tmp_path / "usage", budget=budget, source=tmp_path / "papercoder.toml")
    return ClassroomBackend(scripted(), s, Ledger(s.usage_folder(), user), lambda r: min(r.max_tokens, 200))


def test_each_paid_call_is_recorded_per_student_and_the_cap_stops_the_next(tmp_path: Path) -> None:
    alice = guarded(tmp_path, "alice", tokens_per_day=1000)
    bob = guarded(tmp_path, "bob", tokens_per_day=1000)
    call_model(alice, request())
    spent = alice.ledger.spent()
    assert spent.calls == 1 and spent.tokens > 0
    while True:  # until the cap: each call checks what it is expected to add first
        try:
            call_model(alice, request())
        except DailyBudgetReached as e:
            message = str(e)
            break
    assert message.startswith("Daily budget reached: alice has used") and "of 1,000 tokens" in message
    assert "00:00 UTC" in message and "ask your instructor" in message
    assert alice.ledger.spent().tokens <= 1000  # stopped before, not after, passing it
    call_model(bob, request())  # bob's day is his own
    rows = {r["user"]: r for r in usage_table(tmp_path / "usage")}
    assert set(rows) == {"alice", "bob"} and rows["bob"]["calls"] == 1 and rows["alice"]["calls"] >= 2


def test_a_run_past_the_cap_stops_with_one_clear_line_and_loses_nothing(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s", load_paper(TRANSFORMER_JSON), TRANSFORMER_JSON)
    backend = guarded(tmp_path, "carol", tokens_per_day=15_000)
    result = Runner(session, backend, auto_approve=True).run()
    assert not result.ok and result.failed
    assert all("Daily budget reached" in m for m in result.failed.values()), result.failed
    assert session.record("plan").content_hash  # what was paid for before the cap is kept
    assert backend.ledger.spent().tokens <= 15_000


def test_a_dollar_cap_without_a_price_says_to_cap_tokens(tmp_path: Path) -> None:
    b = guarded(tmp_path, "dan", usd_per_day=1.0)
    b.inner.spec = "openai:a-served-model-nobody-prices"  # type: ignore[misc]
    with pytest.raises(DailyBudgetReached, match="tokens_per_day"):
        call_model(b, request())


def test_lines_from_many_threads_stay_whole_and_odd_lines_are_skipped(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path, "erin")
    threads = [threading.Thread(target=lambda: [ledger.record({"input_tokens": 1, "output_tokens": 2,
                                                               "cost_usd": 0.5}) for _ in range(50)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with ledger.path.open("a") as f:
        f.write('{"torn": \n[1, 2]\n')
    spent = ledger.spent()
    assert (spent.calls, spent.tokens, spent.usd) == (200, 600, 100.0)


def test_the_user_is_the_hubs_name_made_safe_for_a_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "../../alice smith")
    assert current_user() == "alice_smith"


def test_usage_and_settings_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    for user in ("alice", "bob"):
        Ledger(tmp_path / "usage", user).record({"input_tokens": 100, "output_tokens": 50, "cost_usd": None})
    monkeypatch.setenv("PAPERCODER_SETTINGS", class_file(tmp_path)["PAPERCODER_SETTINGS"])
    monkeypatch.setenv("COLUMNS", "160")
    assert cli(["usage"]) == 0  # the folder from the settings
    shown = capsys.readouterr().out
    assert "alice" in shown and "bob" in shown and "5% of 3,000 tokens" in shown
    assert cli(["usage", str(tmp_path / "usage"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["user"] for r in rows] == ["alice", "bob"] and rows[0]["tokens"] == 150 and rows[0]["unpriced"] == 1
    assert cli(["settings"]) == 0
    shown = capsys.readouterr().out
    assert "model: openai:class-model  — locked: Set by your instructor" in shown and "3,000 tokens" in shown
    assert cli(["usage", str(tmp_path / "missing")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_the_cli_refuses_a_locked_model_before_writing_anything(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PAPERCODER_SETTINGS", class_file(tmp_path)["PAPERCODER_SETTINGS"])
    code = cli(["run", str(TRANSFORMER_JSON), "--out", str(tmp_path / "s"), "--model", "scripted"])
    assert code == 1 and not (tmp_path / "s").exists()
    assert "locked by your instructor" in capsys.readouterr().err


# -- the class's server: its turns, and 429s without a herd ---------------------------------
def test_max_concurrent_keeps_a_kernels_calls_to_the_class_server_in_turn(tmp_path: Path) -> None:
    import time

    inner, lock, now, most = scripted(), threading.Lock(), [0], [0]

    class Slow:
        spec, context_window = "openai:class-model", 100_000

        def execute(self, request, on_token=None, cancel=None):
            with lock:
                now[0] += 1
                most[0] = max(most[0], now[0])
            time.sleep(0.05)
            with lock:
                now[0] -= 1
            return inner.execute(request, on_token, cancel)

    s = ClassSettings(max_concurrent=2, source=tmp_path / "papercoder.toml")
    guarded_backend = ClassroomBackend(Slow(), s, None, lambda r: 0)
    threads = [threading.Thread(target=lambda: call_model(guarded_backend, request())) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert 1 <= most[0] <= 2  # six callers, two turns


def test_a_429_halves_the_turns_taken_and_answers_give_them_back() -> None:
    t = Throttle()
    for _ in range(4):
        t.acquire()
    t.backoff(0.0)
    assert t.limit == 2
    for _ in range(4):
        t.release(answered=False)
    t.acquire()
    t.acquire()
    blocked = threading.Event()
    third = threading.Thread(target=lambda: (t.acquire(), blocked.set()))
    third.start()
    assert not blocked.wait(0.5)  # a third turn waits for one to end
    t.release(answered=True)  # an answer: its turn back, and one more
    assert blocked.wait(5) and t.limit == 3
    third.join()


def test_a_class_on_a_server_with_two_turns_all_finish(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Eight students' kernels (each its own backend and throttle) against a server that
    refuses a third call at once: everyone gets every answer, none gives up."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-real")
    with FaultServer() as server:
        server.capacity, server.retry_after, server.delay = 2, "0.2", 0.05
        errors: list[BaseException] = []

        def student() -> None:
            backend = build_backend("openai:fake", {"base_url": server.base_url}, settings=ClassSettings()).backend
            throttle = Throttle()
            try:
                for _ in range(3):
                    call_model(backend, request(), throttle=throttle, max_attempts=30, base_delay=0.05)
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=student) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert not errors, errors
    assert server.answered == 24 and server.max_active <= 2 and server.refused > 0
