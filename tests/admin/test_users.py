"""Staff accounts in the admin pages: deactivating ends sessions, a 2FA reset re-enrolls."""
from __future__ import annotations

from tests.factories import PASSWORD
from tests.helpers import SECRET_RE, audit_actions, post_form


def test_admin_deactivates_and_resets_2fa(client, app, auth):
    auth.login(role="admin")
    officer_client = app.test_client()
    officer_id = auth.login(client=officer_client).id
    page = client.get("/admin/users").get_data(as_text=True)
    assert "officer@example.org" in page
    post_form(client, f"/admin/users/{officer_id}/active", {}, page_url="/admin/users")
    assert officer_client.get("/staff/").status_code == 302  # deactivated: the session ends
    post_form(client, f"/admin/users/{officer_id}/active", {}, page_url="/admin/users")
    post_form(client, f"/admin/users/{officer_id}/reset-2fa", {}, page_url="/admin/users")
    assert "user.deactivated" in audit_actions(app) and "user.totp_reset" in audit_actions(app)
    post_form(officer_client, "/staff/login", {"email": "officer@example.org", "password": PASSWORD})
    assert SECRET_RE.search(officer_client.get("/staff/2fa").get_data(as_text=True))  # enrolls again
