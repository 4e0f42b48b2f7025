"""An integrator's first script, written against the client that openapi-python-client
generates from the served OpenAPI document (tests/contract/run generates it into
generated/python and runs this with WPT_URL and WPT_DEMO_PASSWORD set).

As the demo officer of DGICM: log in, list the body's activities page by page, record
progress on one, read the body's report in the open cycle with its ETag and save it with
If-Match (and see a stale tag refused), and read the consolidated report. The
secretariat opens a cycle first when the demo has none open.

Strict: the client raises on any status the document does not list for the operation
(`raise_on_unexpected_status`), parsing fails on a missing required field or an unknown
enum value, and `strict()` below fails on any field the document does not declare.
"""

import datetime
import os
import sys

import attrs

from wpt_client import AuthenticatedClient, Client
from wpt_client.api.activities import list_activities
from wpt_client.api.auth import login, logout
from wpt_client.api.cycles import create_cycle, list_cycles, open_cycle, report
from wpt_client.api.me import get_me
from wpt_client.api.progress import record_progress
from wpt_client.api.submissions import get_submission, save_submission
from wpt_client.models import (
    CreateCycle,
    Cycle,
    CycleKind,
    CycleReport,
    EntryRequest,
    ListCyclesState,
    LoginRequest,
    Me,
    PageActivity,
    PageCycle,
    Problem,
    ProgressInput,
    ProgressStatus,
    ProgressUpdate,
    RefreshRequest,
    ReportFormat,
    SaveSubmission,
    Submission,
    TokenPair,
)

BASE = os.environ["WPT_URL"]
PASSWORD = os.environ["WPT_DEMO_PASSWORD"]
BODY = "DGICM"
OFFICER = "officer.dgicm@demo.wpt"
SECRETARIAT = "secretariat@demo.wpt"


def strict(value, where):
    """Fails on a field the document does not declare, at any depth. Objects declared
    as free-form (a map, the states in an amendment) have only `additional_properties`
    and are walked, not checked."""
    if isinstance(value, list):
        for i, item in enumerate(value):
            strict(item, f"{where}[{i}]")
        return
    if not attrs.has(type(value)):
        return
    declared = [a.name for a in attrs.fields(type(value)) if a.name != "additional_properties"]
    extra = getattr(value, "additional_properties", {})
    if declared and extra:
        raise AssertionError(f"{where}: fields the document does not declare: {sorted(extra)}")
    for name in declared:
        strict(getattr(value, name), f"{where}.{name}")
    for key, item in extra.items():
        strict(item, f"{where}[{key!r}]")


def expect(response, status, kind, what):
    """The answer has the status and the type the step expects, and nothing undeclared."""
    if response.status_code != status or not isinstance(response.parsed, kind):
        detail = response.parsed.detail if isinstance(response.parsed, Problem) else response.content[:300]
        raise AssertionError(f"{what}: expected {status} {kind.__name__}, got {response.status_code}: {detail}")
    strict(response.parsed, what)
    print(f"ok  {what}: {status}")
    return response.parsed


def session(email):
    anonymous = Client(base_url=BASE, raise_on_unexpected_status=True)
    pair = login.sync_detailed(client=anonymous, body=LoginRequest(email=email, password=PASSWORD))
    tokens = expect(pair, 200, TokenPair, f"log in as {email}")
    client = AuthenticatedClient(base_url=BASE, token=tokens.access_token, raise_on_unexpected_status=True)
    return client, tokens.refresh_token


def open_cycle_of(plan_id):
    """The plan's open cycle; the secretariat creates and opens one when there is none."""
    secretariat, refresh = session(SECRETARIAT)
    with secretariat as client:
        found = expect(
            list_cycles.sync_detailed(client=client, work_plan=plan_id, state=ListCyclesState.OPEN),
            200,
            PageCycle,
            "list the plan's open cycles",
        )
        if found.items:
            cycle = found.items[0]
        else:
            today = datetime.date.today()
            created = create_cycle.sync_detailed(
                client=client,
                body=CreateCycle(
                    work_plan_id=plan_id,
                    kind=CycleKind.AD_HOC,
                    name="Contract check",
                    meeting_date=today + datetime.timedelta(days=60),
                    period_start=today - datetime.timedelta(days=365),
                    period_end=today - datetime.timedelta(days=1),
                    opens_on=today,
                ),
            )
            planned = expect(created, 201, Cycle, "create a cycle (secretariat)")
            cycle = expect(open_cycle.sync_detailed(planned.id, client=client), 200, Cycle, "open it")
        expect(logout.sync_detailed(client=client, body=RefreshRequest(refresh_token=refresh)), 204, type(None), "log out")
    return cycle


def main():
    officer, refresh = session(OFFICER)
    with officer as client:
        me = expect(get_me.sync_detailed(client=client), 200, Me, "who am I")
        assert me.body == BODY, me.body

        # Every activity the body leads or cooperates on, two per page.
        activities, cursor, pages = [], None, 0
        while True:
            pages += 1
            page = expect(
                list_activities.sync_detailed(client=client, body=BODY, limit=2, **({"cursor": cursor} if cursor else {})),
                200,
                PageActivity,
                f"list {BODY}'s activities (page {pages})",
            )
            activities += page.items
            cursor = page.next_cursor
            if not cursor:
                break
        assert activities, "the demo assigns DGICM activities"
        assert all(BODY == a.lead_body or BODY in a.cooperating_bodies for a in activities)
        activity = activities[0]

        update = expect(
            record_progress.sync_detailed(
                activity.id,
                client=client,
                body=ProgressInput(
                    status=ProgressStatus.ON_TRACK,
                    percent_complete=70,
                    narrative="Checkpoint briefings held in two more provinces (contract check).",
                    evidence_urls=["https://example.org/dgicm/briefings.pdf"],
                ),
            ),
            201,
            ProgressUpdate,
            f"record progress on {activity.code}",
        )
        assert update.body == BODY and update.status == ProgressStatus.ON_TRACK

        cycle = open_cycle_of(activity.work_plan_id)

        read = get_submission.sync_detailed(cycle.id, BODY, client=client)
        submission = expect(read, 200, Submission, f"read {BODY}'s report in {cycle.name}")
        etag = read.headers["etag"]
        entry = next(e for e in submission.entries if e.activity_id == activity.id)
        saved = save_submission.sync_detailed(
            cycle.id,
            BODY,
            client=client,
            if_match=etag,
            body=SaveSubmission(
                entries=[
                    EntryRequest(
                        activity_id=entry.activity_id,
                        status=ProgressStatus.ON_TRACK,
                        percent_complete=70,
                        narrative="Briefings held at 14 of the 20 checkpoints (contract check).",
                    )
                ]
            ),
        )
        expect(saved, 200, Submission, f"save it with If-Match {etag}")
        assert saved.headers["etag"] != etag, "saving moves the ETag"
        stale = save_submission.sync_detailed(
            cycle.id, BODY, client=client, if_match=etag, body=SaveSubmission(entries=[])
        )
        problem = expect(stale, 412, Problem, "save again with the old tag")
        assert problem.code == "precondition_failed", problem.code

        consolidated = expect(
            report.sync_detailed(cycle.id, client=client, format_=ReportFormat.JSON),
            200,
            CycleReport,
            "read the consolidated report",
        )
        assert consolidated.cycle.id == cycle.id
        expect(logout.sync_detailed(client=client, body=RefreshRequest(refresh_token=refresh)), 204, type(None), "log out")
    print("python client: every step answered as documented")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one line for the run's log, then the traceback
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        raise
