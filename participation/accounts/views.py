"""Account pages: thin wrappers around accounts.operations."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale, gettext as _, refresh as refresh_locale
from flask_login import current_user, login_required

from ..errors import DomainError
from ..extensions import limiter
from ..forms import ROLE_NAMES, attach_error, form_status
from ..views import safe_next
from . import invitations, operations, sessions
from .forms import AccountForm, LoginForm, PasswordForm, ResendForm, ResetForm, ResetRequestForm, SignupForm

bp = Blueprint("accounts", __name__, url_prefix="/account")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def signup():
    form = SignupForm()
    if request.method == "GET" and session.get("lang"):
        form.locale.data = session["lang"]
    if form.validate_on_submit():
        try:
            operations.signup(form.email.data, form.nickname.data, form.password.data, form.locale.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            # One whole sentence per message: pieces translated apart can come out in two languages.
            flash(_("Thank you! If the address is valid, you will receive an e-mail in a few minutes. "
                    "Open the link it contains to confirm your account."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/signup.html", form=form), form_status(form)


@bp.get("/confirm/<token>")
def confirm(token: str):
    operations.confirm(token)
    flash(_("Your e-mail address is confirmed. You can log in."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/confirm", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def resend():
    form = ResendForm()
    if form.validate_on_submit():
        operations.resend_confirmation(form.email.data)
        flash(_("If the address is valid, you will receive an e-mail in a few minutes."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/resend.html", form=form), form_status(form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = operations.authenticate(form.email.data, form.password.data)
        except DomainError as exc:
            form.form_errors.append(str(exc.message))
        else:
            sessions.sign_in(user, remember=form.remember.data)
            session.pop("lang", None)  # the account's language now applies,
            refresh_locale()  # to the welcome message too
            flash(_("Welcome, %(name)s.", name=user.nickname), "success")
            return redirect(safe_next(request.args.get("next")) if request.args.get("next") else url_for("platform.home"))
    return render_template("accounts/login.html", form=form), form_status(form)


@bp.post("/logout")
def logout():
    visit_language = str(get_locale())
    sessions.sign_out()
    session["lang"] = visit_language  # the visit goes on in the language it was in
    flash(_("You are logged out."), "success")
    return redirect(url_for("platform.home"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        operations.request_reset(form.email.data)
        flash(_("If the address is valid, you will receive an e-mail in a few minutes."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset_request.html", form=form), form_status(form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str):
    operations.user_for_reset(token)  # a bad link is refused before anything is typed
    form = ResetForm()
    if form.validate_on_submit():
        operations.reset_password(token, form.password.data)
        flash(_("Your password has been changed. You can log in."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), form_status(form)


@bp.route("/", methods=["GET", "POST"])
@login_required
def account():
    form = AccountForm(obj=current_user)
    if request.method == "GET":
        form.email_preference.data = current_user.email_preference.value
    if form.validate_on_submit():
        try:
            operations.update_account(current_user, nickname=form.nickname.data, locale=form.locale.data,
                                      email_preference=form.email_preference.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            session["lang"] = form.locale.data
            refresh_locale()
            flash(_("Your settings are saved."), "success")
            return redirect(url_for("accounts.account"))
    return _account_page(form, PasswordForm(formdata=None))


def _account_page(form, password_form):
    return render_template("accounts/account.html", form=form, password_form=password_form,
                           open_sessions=sessions.count_open(current_user)), \
        max(form_status(form), form_status(password_form))


@bp.post("/password")
@login_required
@limiter.limit(_login_limit)  # the current password is asked: no guessing it from a borrowed browser
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(current_user, form.current.data, form.password.data)
        except DomainError as exc:
            attach_error(form, exc)
        else:
            # Every session ended with the old password; this browser goes on with a new one.
            remembered = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
            sessions.sign_in(current_user._get_current_object(), remember=bool(remembered))
            flash(_("Your password has been changed. You are signed out on every other device."), "success")
            return redirect(url_for("accounts.account"))
    account_form = AccountForm(formdata=None, obj=current_user)
    account_form.email_preference.data = current_user.email_preference.value
    return _account_page(account_form, form)


@bp.post("/sessions/end")
@login_required
def end_sessions():
    visit_language = str(get_locale())
    operations.end_all_sessions(current_user)
    sessions.sign_out()
    session["lang"] = visit_language
    flash(_("You are signed out on every browser and device, this one included."), "success")
    return redirect(url_for("accounts.login"))


@bp.route("/invitations/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """A role offered by e-mail: the addressee, signed in, accepts or declines it."""
    offered = invitations.invitation_for(token)  # an expired, withdrawn or forged link is explained
    if request.method == "POST":
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        answer = request.form.get("answer")
        if answer == "accept":
            invitations.accept(current_user, token)
            flash(_("You now have the role \"%(role)s\" in %(commune)s.", role=ROLE_NAMES[offered.role],
                    commune=offered.commune.title(str(get_locale()))), "success")
            return redirect(url_for("communes.home", commune=offered.commune.slug))
        if answer == "decline":
            invitations.decline(current_user, token)
            flash(_("You declined the invitation."), "success")
            return redirect(url_for("platform.home"))
        abort(400)
    addressee = current_user.is_authenticated and current_user.email == offered.email
    return render_template("accounts/invitation.html", invitation=offered, role_name=ROLE_NAMES[offered.role],
                           addressee=addressee)
