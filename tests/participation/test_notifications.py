"""notify(), e-mails (immediately and daily digests) to a real SMTP server, phase announcements and the
event handlers other packages publish to."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale, lazy_gettext as _l
from sqlalchemy import func, select, update

from participation.events import publish
from participation.extensions import db
from participation.jobs import commit
from participation.models import EmailPreference, OutboxJob, PhaseKind, Role, User, utcnow
from participation.notifications import audiences, operations, tasks
from participation.notifications.models import Notification, NotificationDigest
from participation.notifications.operations import message_for, notify, register_kind
from participation.notifications.phases import tick

from ..factories import grant, make_commune, make_process, make_user
from .test_jobs_helpers import SlowSink, bulk_users, private_queue  # noqa: F401 - fixture

register_kind("test.thing", _l("Something happened to %(what)s"))


@pytest.fixture(autouse=True)
def _queue(private_queue):  # noqa: F811
    yield


def notes(user_id: int | None = None) -> list[Notification]:
    db.session.expire_all()
    query = select(Notification).order_by(Notification.id)
    if user_id is not None:
        query = query.where(Notification.user_id == user_id)
    return list(db.session.scalars(query))


def test_notify_creates_one_notification_per_person_and_mails_only_who_wants_it_now(smtp, run_jobs):
    now_ = make_user(email="now@example.org")
    daily = make_user(email="daily@example.org")
    never = make_user(email="never@example.org")
    unconfirmed = make_user(email="unconfirmed@example.org", confirmed=False)
    daily.email_preference, never.email_preference = EmailPreference.daily, EmailPreference.never
    db.session.commit()
    everyone = [now_.id, daily.id, never.id, unconfirmed.id]
    assert notify(everyone, kind="test.thing", dedupe_key="thing:1", params={"what": "x"}) == 4
    run_jobs()
    assert notify(everyone + [everyone[0]], kind="test.thing", dedupe_key="thing:1", params={"what": "x"}) == 0
    run_jobs()
    smtp.wait_for(1)
    assert [m["To"] for m in smtp.messages] == ["now@example.org"]
    assert len(notes()) == 4
    assert [n.emailed_at is not None for n in notes()] == [True, False, False, False]


def test_the_email_is_in_the_readers_language_with_text_html_and_one_click_unsubscribe(app, smtp, run_jobs, client):
    en = make_user(email="en@example.org", locale="en").id
    fr = make_user(email="fr@example.org", locale="fr").id
    notify([en, fr], kind="test.thing", dedupe_key="thing:2", url="/somewhere/",
           params={"what": {"en": "the park", "fr": "le parc"}})
    run_jobs()
    smtp.wait_for(2)
    by_to = {m["To"]: m for m in smtp.messages}
    msg = by_to["en@example.org"]
    assert msg["Subject"] == "Something happened to the park"
    assert "le parc" in by_to["fr@example.org"]["Subject"]
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Something happened to the park" in text and app.config["BASE_URL"] + "/somewhere/" in text
    assert '<html lang="en">' in html and 'href="' + app.config["BASE_URL"] + '/somewhere/"' in html
    note = notes(en)[0]
    assert msg["Message-ID"].startswith(f"<notification-{note.id}@")
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = msg["List-Unsubscribe"].strip("<>")
    assert unsubscribe in text and unsubscribe in html
    # RFC 8058: the mail client POSTs without any session or CSRF token.
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(unsubscribe.replace(app.config["BASE_URL"], ""),
                               data={"List-Unsubscribe": "One-Click"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(User, en).email_preference == EmailPreference.never
    assert db.session.get(User, fr).email_preference == EmailPreference.immediately


def test_a_large_fan_out_is_split_into_batches_each_mailed_exactly_once(smtp, run_jobs, monkeypatch):
    monkeypatch.setattr(operations, "BATCH", 4)
    ids = bulk_users(10)
    assert notify(ids, kind="test.thing", dedupe_key="thing:3", params={"what": "x"}) == 10
    run_jobs()
    smtp.wait_for(10)
    mail_jobs = db.session.scalars(select(OutboxJob).where(
        OutboxJob.task == "participation.notifications.tasks.email_notifications")).all()
    assert len(mail_jobs) == 3
    assert sorted(len(j.args["notification_ids"]) for j in mail_jobs) == [2, 4, 4]
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        db.session.scalars(select(User.email).where(User.id.in_(ids))))
    # Running a batch again (a redelivery) sends nothing: every message is marked.
    tasks.email_notifications(mail_jobs[0].args["notification_ids"])
    assert len(smtp.messages) == 10


def test_a_batch_interrupted_mid_way_resumes_where_it_stopped(app, smtp, run_jobs, monkeypatch):
    ids = bulk_users(6)
    real = tasks.notification_email
    calls = {"n": 0}

    def crash_on_the_fourth(user, notification):
        calls["n"] += 1
        if calls["n"] == 4:
            raise ConnectionResetError("the network went away")
        return real(user, notification)

    monkeypatch.setattr(tasks, "notification_email", crash_on_the_fourth)
    notify(ids, kind="test.thing", dedupe_key="thing:4", params={"what": "x"})
    run_jobs()
    job = db.session.scalar(select(OutboxJob).where(OutboxJob.task.like("%email_notifications")))
    db.session.refresh(job)
    assert (job.status.value, job.attempts) == ("pending", 1)
    assert len(smtp.wait_for(3)) == 3
    db.session.execute(update(OutboxJob).where(OutboxJob.id == job.id).values(run_after=utcnow()))
    commit()
    run_jobs()
    smtp.wait_for(6)
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        db.session.scalars(select(User.email).where(User.id.in_(ids))))
    assert all(n.emailed_at for n in notes())


def test_an_address_the_server_refuses_does_not_block_the_others(app, run_jobs, monkeypatch):
    ids = bulk_users(3, prefix="refused")
    with SlowSink(refuse=("refused1@example.org",)) as sink:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
        notify(ids, kind="test.thing", dedupe_key="thing:5", params={"what": "x"})
        run_jobs()
        assert sink.wait_for(lambda m: len(m) == 2)
    assert sorted(m["To"] for m in sink.messages) == ["refused0@example.org", "refused2@example.org"]
    job = db.session.scalar(select(OutboxJob).where(OutboxJob.task.like("%email_notifications")))
    db.session.refresh(job)
    assert job.status.value == "done"
    assert [n.emailed_at is not None for n in notes()] == [True, False, True]


def test_daily_digest_one_email_per_person_and_day(app, smtp, run_jobs):
    daily = bulk_users(2, preference=EmailPreference.daily, locale="en", prefix="daily")
    now_ = bulk_users(1, prefix="now")
    notify(daily + now_, kind="test.thing", dedupe_key="thing:6", params={"what": "the bench"})
    notify(daily, kind="test.thing", dedupe_key="thing:7", params={"what": "the tree"})
    run_jobs()
    smtp.wait_for(1)
    assert [m["To"] for m in smtp.messages] == ["now0@example.org"]
    read = notes(daily[1])[0]
    read.read_at = utcnow()  # already seen on the site: not worth an e-mail
    db.session.commit()

    assert tasks.schedule_digests() == 1
    run_jobs()
    smtp.wait_for(3)
    digests = {m["To"]: m for m in smtp.messages[1:]}
    assert sorted(digests) == ["daily0@example.org", "daily1@example.org"]
    first = digests["daily0@example.org"]
    assert first["Subject"] == "Your daily summary: 2 new notifications"
    assert first["List-Unsubscribe"] and first["Message-ID"].startswith(f"<digest-{daily[0]}-")
    body = first.get_body(("plain",)).get_content()
    assert "Something happened to the bench" in body and "Something happened to the tree" in body
    assert digests["daily1@example.org"]["Subject"] == "Your daily summary: 1 new notification"

    assert tasks.schedule_digests() == 0  # idempotent on the same day
    tasks.send_digests(daily, tasks.local_today().isoformat())  # even if the job ran twice
    notify(daily[:1], kind="test.thing", dedupe_key="thing:8", params={"what": "the fountain"})
    assert tasks.schedule_digests() == 0  # one digest a day: this one waits for tomorrow
    run_jobs()
    assert len(smtp.messages) == 3
    assert tasks.schedule_digests(now=utcnow() + timedelta(days=1)) == 1
    run_jobs()
    smtp.wait_for(4)
    assert "the fountain" in smtp.messages[3].get_body(("plain",)).get_content()
    assert db.session.scalar(select(func.count(NotificationDigest.id))) == 3


def test_params_render_in_the_readers_language(app):
    note = Notification(kind="ballot.paper_refused", params={
        "budget": {"fr": "Budget du quartier", "en": "District budget"}, "channel": "paper",
        "time": "2026-03-01T10:30:00"})
    with app.test_request_context(), force_locale("en"):
        text = message_for(note)
    assert "District budget" in text and "on paper" in text and "2026" in text and "T10" not in text
    assert message_for(Notification(kind="unknown.kind", params={})) == "unknown.kind"


@pytest.fixture
def followers():
    """A package registering the followers of a process (e.g. people who follow its budget)."""
    followed: dict[int, set[int]] = {}

    @audiences.process_followers
    def provider(process_id: int):
        return followed.get(process_id, set())
    yield followed
    audiences._PROCESS_FOLLOWERS.remove(provider)


def test_tick_announces_a_vote_phase_once_to_residents_and_followers(app, run_jobs, followers):
    commune = make_commune()
    residents = [grant(make_user(), commune, Role.resident).id for _ in range(2)]
    moderator = grant(make_user(), commune, Role.moderator).id
    outsider = make_user().id
    process = make_process(commune, active=PhaseKind.vote)
    slug = process.slug
    followers[process.id] = {outsider}
    make_process(commune, active=PhaseKind.proposals)  # not announced
    vote = process.phase_of_kind(PhaseKind.vote)
    vote_id, ends_at = vote.id, vote.ends_at

    assert tick() == [f"phase.opened:{vote_id}"]
    run_jobs()
    tick()
    run_jobs()
    got = {n.user_id: n for n in notes()}
    assert set(got) == set(residents) | {outsider}
    assert moderator not in got
    note = got[outsider]
    assert note.kind == "phase.opened" and note.url.endswith(f"/processes/{slug}/")
    with app.test_request_context(), force_locale("en"):
        assert message_for(note).startswith(f"The \u201cVoting\u201d phase of \u201cProcess {slug}\u201d is open")

    # Two days before the end: a reminder, once.
    soon = ends_at - timedelta(hours=20)
    assert tick(now=soon) == [f"phase.opened:{vote_id}", f"phase.closing_soon:{vote_id}"]
    run_jobs()
    tick(now=soon)
    run_jobs()
    assert sorted(n.kind for n in notes(outsider)) == ["phase.closing_soon", "phase.opened"]


def test_unpublished_processes_are_not_announced(run_jobs):
    commune = make_commune()
    grant(make_user(), commune, Role.resident)
    make_process(commune, active=PhaseKind.vote, published=False)
    assert tick() == []


def test_results_and_refused_paper_ballots_reach_the_people_concerned(app, run_jobs, followers):
    commune = make_commune()
    commune_id = commune.id
    resident = grant(make_user(locale="en"), commune, Role.resident).id
    voter = make_user(locale="en").id
    process = make_process(commune, active=PhaseKind.results)
    other = make_process(commune, active=PhaseKind.results).id
    publish("results.published", dedupe_key=f"results.published:{process.id}", process_id=process.id)
    publish("ballot.paper_refused", dedupe_key="ballot.paper_refused:b-1", user_id=voter,
            budget={"en": "District budget"}, channel="online", time="2026-05-04T08:00:00",
            commune_id=commune_id, ballot_key="b-1")
    commit()
    run_jobs()
    assert [n.kind for n in notes(resident)] == ["results.published"]
    refused = notes(voter)
    assert [n.kind for n in refused] == ["ballot.paper_refused"]
    with app.test_request_context(), force_locale("en"):
        assert "District budget" in message_for(refused[0]) and "(online)" in message_for(refused[0])
    # An explicit list of people, as the votes package may pass:
    publish("results.published", dedupe_key=f"results.published:{other}", process_id=other,
            user_ids=[voter])
    commit()
    run_jobs()
    assert [n.kind for n in notes(voter)] == ["ballot.paper_refused", "results.published"]
    assert len(notes(resident)) == 1


def test_cli_commands_tick_and_digest(app, run_jobs):
    commune = make_commune()
    grant(make_user(), commune, Role.resident)
    make_process(commune, active=PhaseKind.vote)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["tick"])
    assert result.exit_code == 0, result.output
    assert "1 phase event(s) due" in result.output
    result = runner.invoke(args=["digest"])
    assert result.exit_code == 0 and "0 digest job(s) queued" in result.output


def test_workers_schedule_digests_only_after_digest_hour(app, smtp, run_jobs, monkeypatch):
    daily = bulk_users(1, preference=EmailPreference.daily, prefix="evening")
    notify(daily, kind="test.thing", dedupe_key="thing:9", params={"what": "x"})
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 24)  # never reached
    tasks.digests_when_due()
    run_jobs()
    assert smtp.messages == []
    monkeypatch.setitem(app.config, "DIGEST_HOUR", 0)  # already passed
    tasks.digests_when_due()
    run_jobs()
    assert [m["To"] for m in smtp.wait_for(1)] == ["evening0@example.org"]
