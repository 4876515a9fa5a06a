"""The user admin screen (admins): add users, change roles, disable, enable, end sessions.
Every change is audited; no one changes their own role or disables themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from review_queue.services import users
from review_queue.services.errors import Conflict
from review_queue.web.deps import CurrentAuth, DbSession, csrf_protect
from review_queue.web.rendering import render

router = APIRouter(dependencies=[Depends(csrf_protect)])

NOTICES = {
    "added": "User added. Give them the password by a separate, safe channel.",
    "role": "Role changed; their sessions ended, so the new role applies at once.",
    "disabled": "User disabled; their sessions ended.",
    "enabled": "User enabled.",
    "sessions": "Their sessions ended: they sign in again.",
}


@router.get("/admin/users")
def users_page(request: Request, auth: CurrentAuth, db: DbSession, notice: str = "") -> Response:
    rows = users.user_rows(db, auth.user)
    return render(
        request,
        "admin_users.html",
        {"rows": rows, "roles": users.ROLES, "notice": NOTICES.get(notice, "")},
    )


@router.post("/admin/users")
def add(
    auth: CurrentAuth,
    db: DbSession,
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    auth.require("manage_users")
    users.add_user(db, name.strip(), role, password, actor=auth.name)
    db.commit()
    return RedirectResponse("/admin/users?notice=added", status_code=303)


@router.post("/admin/users/{name}/{change}")
def change(
    name: str,
    change: str,
    auth: CurrentAuth,
    db: DbSession,
    role: Annotated[str, Form()] = "",
) -> Response:
    auth.require("manage_users")
    if change == "role":
        users.set_role(db, name, role, auth.user)
    elif change == "disable":
        if name == auth.name:
            raise Conflict("you cannot disable yourself: ask another administrator")
        users.disable_user(db, name, auth.user)
        change = "disabled"
    elif change == "enable":
        users.enable_user(db, name, auth.user)
        change = "enabled"
    elif change == "sessions":
        users.end_sessions(db, name, auth.user)
    else:
        return RedirectResponse("/admin/users", status_code=303)
    db.commit()
    return RedirectResponse(f"/admin/users?notice={change}", status_code=303)
