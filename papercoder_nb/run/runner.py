"""Running the stages: one artifact at a time, or everything that can run.

The runner generates only missing or stale artifacts, and only once everything an
artifact reads is approved (``auto_approve`` approves each result as it lands, for
batch work). Per-file analyses run in parallel; a file's code starts as soon as its
analysis and the code of the files it imports are done. Each prompt holds exactly its
inputs, so the order in which parallel calls finish changes nothing in the results.

The runner never prints: it reports ``Event``s to a callback (the CLI draws progress,
the panel queues them for its main-thread drain).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ..checks.hooks import record_check_findings
from ..llm.base import (
    Backend,
    BackendError,
    CancelledError,
    CancelToken,
    Completion,
    Message,
    Request,
    Usage,
    capabilities_of,
)
from ..llm.call import Throttle
from ..llm.continuation import MAX_CONTINUATIONS, continuation_request, stitch
from ..llm.limits import ModelLimits, limits_of
from ..paper.tokens import estimate_tokens
from ..session.artifacts import PLANNING
from ..session.graph import logic_problem, nodes, statuses
from ..session.paid_answers import PaidAnswers
from ..session.store import ArtifactRecord, Session
from ..session.writer_lock import session_writer
from ..stages import spec_for
from ..stages.context import build_request
from ..stages.specs import ArtifactSpec, Parsed, code_needs_repair
from ..util.fsutil import sha256_file
from ..util.templates import load_prompt, render
from . import review
from .artifact_calls import ArtifactCalls
from .budget import Budget, BudgetExceeded, StageError  # the errors live beside the budget
from .events import CALL_WEIGHT, STAGES, Event, RunResult, critical_path_rank, stage_of

__all__ = ["CALL_WEIGHT", "STAGES", "BudgetExceeded", "Event", "RunResult", "Runner", "StageError",
           "critical_path_rank", "stage_of"]


class Runner:
    def __init__(
        self,
        session: Session,
        backend: Backend,
        *,
        auto_approve: bool = False,
        on_event: Callable[[Event], None] | None = None,
        cancel: CancelToken | None = None,
        concurrency: int = 4,
        prompt_dir: str | None = None,
        budget_usd: float | None = None,
        max_attempts: int = 6,
        budget_tokens: int | None = None,
    ) -> None:
        self.session = session
        self.backend = backend
        self.auto_approve = auto_approve
        self.left_for_review: set[str] = set()  # auto-approve refused (failing checks), run went on
        self.on_event = on_event or (lambda e: None)
        self.cancel = cancel or CancelToken()
        self.concurrency = max(1, concurrency if capabilities_of(backend).concurrent else 1)
        self.prompt_dir = prompt_dir
        self.budget_usd = budget_usd
        # Refuses a dollar budget it can't price before anything runs (see budget.py).
        self.budget = Budget(backend, usd=budget_usd, tokens=budget_tokens)
        self.limits: ModelLimits = limits_of(backend)
        self.max_attempts = max_attempts
        self.runs_of: dict[str, int] = {}  # generations per artifact in this run (reordering guard)
        self.throttle = Throttle()
        self.paid = PaidAnswers(session.calls())  # answers a killed run paid for
        session.state.model = backend.spec
        session.state.base_url = str(capabilities_of(backend).base_url or "")
        session.save()

    # -- one artifact ----------------------------------------------------------
    def paid_answer(self, artifact_id: str, request: Request) -> Completion | None:
        """An answer already paid for since the artifact's last write (see paid_answers)."""
        rec = self.session.record(artifact_id)
        return self.paid.take(request, rec.updated_at if rec and rec.content_hash else "")

    def generate(self, artifact_id: str, feedback: str | None = None) -> ArtifactRecord:
        """Generate (or regenerate) one artifact, with one repair request if needed."""
        with session_writer(self.session.root):
            return self._generate(artifact_id, feedback)

    def _generate(self, artifact_id: str, feedback: str | None) -> ArtifactRecord:
        spec = spec_for(artifact_id)
        # Budgeting uses the model-independent estimate, not a backend's tokenizer, so the
        # same session builds the same prompts on any backend (replay depends on it).
        built = build_request(
            self.session, spec, limits=self.limits, count=estimate_tokens, feedback=feedback,
            prompt_dir=self.prompt_dir,
        )
        self.budget.check(self.session, built.request)
        self.on_event(Event("start", artifact_id, "; ".join(built.notes)))
        input_hash = self._input_hash(artifact_id)
        on_disk = sha256_file(self.session.path(artifact_id))  # a hand edit during the call is kept
        calls = ArtifactCalls(self, artifact_id,
                              lambda kind, text="", **kw: self.on_event(Event(kind, artifact_id, text, **kw)))
        try:
            parsed = self._answer(artifact_id, spec, built.request, calls, feedback)
        except CancelledError:
            self.on_event(Event("error", artifact_id, "cancelled"))
            raise
        except BackendError as e:
            self.session.record_error(artifact_id, str(e))
            self.on_event(Event("error", artifact_id, str(e)))
            raise StageError(f"{artifact_id}: {e}") from e
        except StageError as e:
            self.session.record_error(artifact_id, str(e))
            self.on_event(Event("error", artifact_id, str(e)))
            raise
        return self._land(artifact_id, parsed, calls, feedback, (input_hash, on_disk), built.notes)

    def _answer(self, artifact_id: str, spec: ArtifactSpec, request: Request, calls: ArtifactCalls,
                feedback: str | None) -> Parsed:
        """The answer, parsed; one repair request when it does not parse (or compile)."""
        text, parsed_obj = calls.ask(request)
        text = self._continue_cut(calls.ask, lambda: calls.finish, request, text, artifact_id)
        error = self._still_cut(calls, request)
        if not error:
            try:
                parsed = spec.parse(text, parsed_obj)
                error = code_needs_repair(parsed)
            except ValueError as e:
                error = str(e)
        if not error:
            return parsed
        self.on_event(Event("info", artifact_id, f"repairing: {error}"))
        repair = self._repair_request(spec, text, error, feedback)
        text2, parsed_obj2 = calls.ask(repair, repairing=True)
        text2 = self._continue_cut(calls.ask, lambda: calls.finish, repair, text2, artifact_id)
        cut = self._still_cut(calls, repair)
        try:
            if cut:  # a cut answer is never stored as the artifact, however well it parses
                raise ValueError(cut)
            return spec.parse(text2, parsed_obj2)
        except ValueError as e:
            saved = self._save_rejected(artifact_id, text2)
            fix = ("raise the output limit (--max-output) if the model allows more, or regenerate with "
                   "feedback asking for a shorter answer") if cut else "regenerate with feedback"
            raise StageError(
                f"{artifact_id}: the model's answer is unusable after one repair ({e}). "
                f"Its last answer is in {saved}; fix it by hand into "
                f"{self.session.path(artifact_id)} or {fix}"
            ) from e

    @staticmethod
    def _still_cut(calls: ArtifactCalls, request: Request) -> str | None:
        """Why the answer is incomplete: the output limit cut it and continuing did not finish it."""
        if calls.finish != "length":
            return None
        how = "" if request.schema is not None else f" after {MAX_CONTINUATIONS} continuations at most"
        return (f"the answer was cut at the output limit ({request.max_tokens:,} tokens a call){how}, "
                "so it is incomplete; write a complete, shorter answer")

    def _repair_request(self, spec: ArtifactSpec, text: str, error: str, feedback: str | None) -> Request:
        """The same prompt, the bad answer (whole where the window allows) and what is wrong."""
        cap = max(12_000, self.limits.context_window)
        shown = text if len(text) < cap else text[:cap]
        rebuilt = build_request(
            self.session, spec, limits=self.limits, count=estimate_tokens, feedback=feedback,
            prompt_dir=self.prompt_dir, reserve=estimate_tokens(shown) + 200,
        ).request
        return rebuilt.model_copy(
            update={
                # A little more randomness: at 0.2 a small model repeats its bad answer.
                "temperature": max(rebuilt.temperature, 0.7),
                "messages": [
                    *rebuilt.messages,
                    Message.of("assistant", shown),
                    Message.of("user", render(load_prompt("repair", self.prompt_dir), error=error)),
                ],
            }
        )

    def _land(self, artifact_id: str, parsed: Parsed, calls: ArtifactCalls, feedback: str | None,
              hashes: tuple[str, str | None], notes: list[str]) -> ArtifactRecord:
        """Write the answer with its usage (unless the file was edited by hand meanwhile:
        ``hashes`` is (input hash, the file's hash before the call)), check it, and approve
        it when allowed."""
        spec = spec_for(artifact_id)
        found = self._import_notes(spec.kind, spec.file, parsed.content)
        for note in found:
            self.on_event(Event("info", artifact_id, note))
        input_hash, on_disk = hashes
        with self.session.lock:
            if sha256_file(self.session.path(artifact_id)) != on_disk:
                return self._keep_hand_edit(artifact_id, parsed.content)
            rec = self._write(artifact_id, parsed.content, feedback, input_hash, calls.usage, calls.cost,
                              calls.calls, [*notes, *parsed.warnings, *found, *calls.flagged])
        checked = record_check_findings(self.session, artifact_id)  # static cross-file check
        if checked:
            self.on_event(Event("info", artifact_id, f"fails {len(checked)} static check(s): {checked[0]}"))
        if self.auto_approve:  # never approves what fails its checks: that waits for a reviewer
            refused = review.auto_approve(self.session, artifact_id)
            if refused:
                self.on_event(Event("info", artifact_id, refused))
        self.on_event(Event("done", artifact_id, "; ".join(parsed.warnings), usage=calls.usage,
                            cost_usd=calls.cost))
        return rec

    def _write(self, artifact_id: str, content: str, feedback: str | None, input_hash: str,
               usage: Usage, cost: float | None, calls: int, warnings: list[str]) -> ArtifactRecord:
        return self.session.write(
            artifact_id,
            content,
            by="model",
            input_hash=input_hash,
            model=self.backend.spec,
            usage=usage,
            cost_usd=cost,
            calls=calls,
            feedback=feedback,
            warnings=warnings,
        )

    def _keep_hand_edit(self, artifact_id: str, answer: str) -> ArtifactRecord:
        """The file was edited (or created) by hand while its call was running: the edit
        wins and goes into history; the model's answer is kept beside, not written over it."""
        self.session.sync_edits()
        saved = self._save_rejected(artifact_id, answer)
        msg = f"kept your edit of {artifact_id} made while it was generating; the model's answer is in {saved}"
        self.on_event(Event("info", artifact_id, msg))
        self.on_event(Event("done", artifact_id, msg))
        rec = self.session.record(artifact_id)
        assert rec is not None  # sync_edits adopted the file
        return rec

    def _input_hash(self, artifact_id: str) -> str:
        from ..session.graph import input_hash

        graph = {n.id: n for n in nodes(self.session)}
        return input_hash(self.session, graph[artifact_id], graph, self.prompt_dir)

    def _save_rejected(self, artifact_id: str, text: str) -> str:
        from ..session.store import now
        from ..util.fsutil import atomic_write_text

        p = self.session.root / "history" / "rejected" / f"{artifact_id.replace('/', '_').replace(':', '_')}-{now().replace(':', '')}.txt"
        atomic_write_text(p, text)
        return str(p.relative_to(self.session.root))

    def _continue_cut(self, ask: Callable[[Request], tuple[str, object]], finish: Callable[[], str],
                      request: Request, text: str, artifact_id: str) -> str:
        """An answer the output limit cut is continued, not asked again from scratch."""
        rounds = 0
        while finish() == "length" and request.schema is None and rounds < MAX_CONTINUATIONS:
            follow = continuation_request(request, text, load_prompt("continue", self.prompt_dir), self.limits,
                                          estimate_tokens)
            if follow is None:
                break
            rounds += 1
            self.on_event(Event("info", artifact_id, f"asking for the rest of the cut answer ({rounds})"))
            more, _ = ask(follow)
            longer = stitch(text, more)
            if longer == text:  # the continuation added nothing: asking again would pay for the same
                break
            text = longer
        return text

    def _import_notes(self, kind: str, file: str | None, code: str) -> list[str]:
        """A code file's written imports against the logic design's dependencies."""
        if kind != "code" or not file:
            return []
        from ..session.coding_context import import_notes
        from ..session.graph import file_graph

        graph = file_graph(self.session)
        return import_notes(graph, file, code, graph.order) if graph else []

    # -- everything that can run -------------------------------------------------
    def run(self, until: str | None = None, only: list[str] | None = None) -> RunResult:
        """Generate every missing or stale artifact whose inputs are approved.

        ``until`` stops after a stage (``planning``, ``analysis``, ``coding``) or a
        planning artifact; ``only`` limits the run to the given artifact ids. Refused
        (``SessionBusy``) while another process writes the session.
        """
        with session_writer(self.session.root):
            return self._run(until, only)

    def _run(self, until: str | None, only: list[str] | None) -> RunResult:
        result = RunResult()
        last_stage = until if until in STAGES else ("planning" if until in PLANNING else None)
        try:
            for aid in PLANNING:
                if only and aid not in only:
                    continue
                if not self._step(aid, result):
                    return result
                if until == aid:
                    result.stopped_at = aid
                    return result
            if last_stage == "planning":
                result.stopped_at = "planning"
                return result
            problem = self._logic_problem()
            if problem:
                result.failed["logic"] = problem
                self.on_event(Event("error", "logic", problem))
                return result
            self._run_files(result, last_stage, only)
        except CancelledError:
            result.cancelled = True
        return result

    def _logic_problem(self) -> str | None:
        """A hand-edited logic design that no longer parses must stop the run, loudly:
        without it there is no file list, and the run would silently do nothing."""
        text = self.session.read("logic")
        if text is None:
            return None
        try:
            spec_for("logic").parse(text, None)
        except ValueError:
            return f"logic: {logic_problem(self.session) or self.session.path('logic')}"
        return None

    def _step(self, aid: str, result: RunResult) -> bool:
        """Generate one planning artifact if needed; False when the run must stop here."""
        st = statuses(self.session, self.prompt_dir)
        if st[aid] in ("missing", "stale"):
            blocked = self._blocked_inputs(aid, st)
            if blocked:
                result.waiting_for_approval = blocked
                self.on_event(Event("waiting", aid, f"waiting for approval of {', '.join(blocked)}"))
                return False
            try:
                self.generate(aid)
                result.generated.append(aid)
            except StageError as e:
                result.failed[aid] = str(e)
                return False
            st = statuses(self.session, self.prompt_dir)
        if st[aid] != "approved":
            problem = self._edit_problem(aid) if self.auto_approve else None
            if problem:  # a hand edit that breaks the artifact is not approved and built on
                result.failed[aid] = problem
                self.on_event(Event("error", aid, problem))
                return False
            refused = review.auto_approve(self.session, aid, st) if self.auto_approve else "no auto-approve"
            if refused:
                result.waiting_for_approval = [aid]
                self.on_event(Event("waiting", aid, refused if self.auto_approve else f"review and approve {aid}"))
                return False
        return True

    def _edit_problem(self, aid: str) -> str | None:
        """Why a hand-edited design artifact can't be approved as it is (later stages parse it)."""
        rec, text = self.session.record(aid), self.session.read(aid)
        if aid not in ("architecture", "logic", "config") or rec is None or rec.by != "user" or text is None:
            return None
        try:
            spec_for(aid).parse(text, None)
        except ValueError as e:
            return f"{aid}: your edit of {self.session.path(aid)} is not valid ({e}); fix it, then resume"
        return None

    def _blocked_inputs(self, aid: str, st: dict[str, str]) -> list[str]:
        graph = {n.id: n for n in nodes(self.session)}
        blocked = []
        for i in graph[aid].inputs:
            if st.get(i) == "approved":
                continue
            if self.auto_approve and st.get(i) in ("generated", "edited"):
                if review.auto_approve(self.session, i, st) is None:
                    continue
                if i.startswith("code:") and review.approval_problem(self.session, i, st) is None:
                    # Fails only its checks: later files may still be written from it (as
                    # PaperCoder does), but it stays unapproved and is listed for review.
                    self.left_for_review.add(i)
                    continue
            blocked.append(i)
        return blocked

    def _approve_written(self, result: RunResult, kinds: set[str], only: list[str] | None, failed: set[str]) -> None:
        """Files written but never approved (a run killed after the write, a file nothing
        reads): approved now when they pass their checks, else listed for review."""
        st = statuses(self.session, self.prompt_dir)
        left = [aid for aid, state in st.items()
                if aid.split(":")[0] in kinds and not (only and aid not in only) and aid not in failed
                and state in ("generated", "edited") and review.auto_approve(self.session, aid, st) is not None]
        if left:
            result.waiting_for_approval = sorted({*result.waiting_for_approval, *left})

    def _run_files(self, result: RunResult, last_stage: str | None, only: list[str] | None) -> None:
        allowed_kinds = {"analysis"} if last_stage == "analysis" else {"analysis", "code"}
        in_flight: dict[Future[ArtifactRecord], str] = {}
        failed: set[str] = set()
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="papercoder") as pool:
            while True:
                if self.cancel.cancelled:
                    break
                st = statuses(self.session, self.prompt_dir)
                graph = {n.id: n for n in nodes(self.session)}
                rank = critical_path_rank(graph)
                waiting: list[str] = []
                # Longest remaining chain first: a free slot goes to the work that holds up
                # the most, so the run approaches the critical-path bound.
                for aid in sorted(graph, key=lambda a: -rank.get(a, 0.0)):
                    node = graph[aid]
                    if aid.split(":")[0] not in allowed_kinds or (only and aid not in only):
                        continue
                    if st[aid] not in ("missing", "stale") or aid in failed or aid in in_flight.values():
                        continue
                    if self.runs_of.get(aid, 0) >= 2:  # reordered by its imports and still not settled
                        continue
                    if any(i in failed for i in node.inputs):
                        continue
                    if len(in_flight) >= self.concurrency:
                        break
                    pending = [i for i in node.inputs if i in in_flight.values()]
                    if pending:
                        continue
                    blocked = self._blocked_inputs(aid, st)
                    if blocked:
                        waiting.extend(b for b in blocked if st.get(b) in ("generated", "edited"))
                        continue
                    self.runs_of[aid] = self.runs_of.get(aid, 0) + 1
                    in_flight[pool.submit(self.generate, aid)] = aid
                if not in_flight:
                    waiting += [a for a in self.left_for_review if statuses(self.session, self.prompt_dir).get(a) != "approved"]
                    result.waiting_for_approval = sorted(set(waiting))
                    if waiting:
                        self.on_event(Event("waiting", "", f"waiting for approval of {', '.join(sorted(set(waiting)))}"))
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for fut in done:
                    aid = in_flight.pop(fut)
                    try:
                        fut.result()
                        result.generated.append(aid)
                    except CancelledError:
                        self.cancel.cancel()
                        result.cancelled = True
                    except StageError as e:
                        failed.add(aid)
                        result.failed[aid] = str(e)
        if self.auto_approve and not self.cancel.cancelled:
            self._approve_written(result, allowed_kinds, only, failed)
        if self.cancel.cancelled:
            result.cancelled = True
        if last_stage:
            result.stopped_at = last_stage
