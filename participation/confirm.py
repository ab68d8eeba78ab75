"""Confirmation before an action that cannot be undone, without JavaScript.

A destructive button posts its form; the view asks `confirmed()` and, until the person confirms,
answers with a page that says what will happen and re-posts the same fields with `confirmed=yes`:

    if not confirmed():
        return ask_confirmation(_("Delete the phase “Vote”?"), cancel_url=..., confirm_label=_("Delete"))
"""
from __future__ import annotations

from flask import render_template, request


def confirmed() -> bool:
    return request.method == "POST" and request.form.get("confirmed") == "yes"


def ask_confirmation(question: str, *, cancel_url: str, confirm_label: str, details: str | None = None,
                     danger: bool = True):
    fields = [(k, v) for k, v in request.form.items(multi=True) if k not in ("csrf_token", "confirmed")]
    return render_template("participation/confirm.html", question=question, details=details, fields=fields,
                           action=request.path, cancel_url=cancel_url, confirm_label=confirm_label, danger=danger)
