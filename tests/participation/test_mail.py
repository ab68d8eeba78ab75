"""participation.mail against a real SMTP server (aiosmtpd), and the file outbox used in development."""
from __future__ import annotations

from email import message_from_bytes, policy

from participation import mail

from .test_jobs_helpers import SlowSink


def test_long_unsubscribe_headers_stay_one_plain_url(app):
    url = "https://participation.example.org/notifications/unsubscribe/" + "x" * 120
    msg = mail.build_message("a@example.org", "Line one\nline two", "text", "<p>html</p>",
                             headers={"List-Unsubscribe": f"<{url}>"}, message_id="<n-1@example.org>")
    raw = bytes(msg).decode()
    assert f"List-Unsubscribe: <{url}>\r\n" in raw  # not folded into =?utf-8?q?...?= words
    assert "Subject: Line one line two\r\n" in raw
    assert "Message-ID: <n-1@example.org>" in raw
    parsed = message_from_bytes(bytes(msg), policy=policy.default)
    assert parsed.get_body(("plain",)).get_content().strip() == "text"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>html</p>"
    assert parsed["List-Unsubscribe"] == f"<{url}>"


def test_non_ascii_subjects_and_bodies_survive_the_trip(app):
    msg = mail.build_message("a@example.org", "Résultats du budget : « Parc »", "Voilà l'été", "<p>été</p>")
    parsed = message_from_bytes(bytes(msg), policy=policy.default)
    assert parsed["Subject"] == "Résultats du budget : « Parc »"
    assert parsed.get_body(("plain",)).get_content().strip() == "Voilà l'été"
    assert mail.text_of(msg).strip() == "Voilà l'été"


def test_a_batch_shares_one_smtp_session(app, monkeypatch):
    with SlowSink() as sink:
        monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(app.config, "MAIL_PORT", sink.port)
        with mail.connection() as out:
            for i in range(3):
                out.send(mail.build_message(f"p{i}@example.org", f"Hello {i}", "body"))
        mail.send(mail.build_message("q@example.org", "Alone", "body"))
        assert sink.wait_for(lambda m: len(m) == 4)
    assert [m["To"] for m in sink.messages] == ["p0@example.org", "p1@example.org", "p2@example.org",
                                                "q@example.org"]
    assert len(sink.peers) == 2  # the batch's session, then one for the single message


def test_without_smtp_mail_is_written_to_the_outbox_folder(app, monkeypatch, tmp_path, caplog):
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX_DIR", str(tmp_path / "outbox"))
    mail.send(mail.build_message("dev@example.org", "In development", "Read me", message_id="<dev-1@example.org>"))
    files = list((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == ["dev-1_example.org.eml"]
    assert message_from_bytes(files[0].read_bytes(), policy=policy.default).get_content().strip() == "Read me"
    assert "dev@example.org" in caplog.text and "Read me" in caplog.text
