"""Auth factories: users with roles, approved unit bindings, consents to the privacy notice, bearer headers."""

import uuid

from app.auth.models import AuthSession, RoleAssignment, User
from app.auth.residence import Assurance, BindingRelation
from app.auth.roles import ROLE_SCOPE, Role
from app.core.security import create_access_token, hash_password
from app.privacy import notice
from app.privacy.models import Consent, Purpose
from app.residency.models import BindingMethod, BindingStatus, UnitBinding
from tests.factories._base import add as _add
from tests.factories._base import n as _n


async def user(db, *roles: tuple[Role, uuid.UUID | None], password: str | None = None, **kw) -> User:
    """A user holding ``roles`` given as (role, scope_id) pairs."""
    values = {"display_name": f"用户{_n()}", **kw}
    if password is not None:
        values["password_hash"] = hash_password(password)
    u = await _add(db, User(**values))
    for role, scope_id in roles:
        await _add(db, RoleAssignment(user_id=u.id, role=role, scope_type=ROLE_SCOPE[role], scope_id=scope_id))
    return u


async def bind(db, u: User, unit_obj, relation=BindingRelation.owner, person=None,
               assurance: Assurance = Assurance.in_person) -> UnitBinding:
    """An approved binding: ``u`` becomes a resident of ``unit_obj`` (as ``person`` on its record, if given),
    checked by a grid worker in person unless ``assurance`` says otherwise."""
    method = {Assurance.invite_code: BindingMethod.invite_code,
              Assurance.phone_match: BindingMethod.phone_match}.get(assurance, BindingMethod.request)
    return await _add(
        db,
        UnitBinding(user_id=u.id, unit_id=unit_obj.id, relation=relation, status=BindingStatus.approved,
                    method=method, person_id=person.id if person else None, assurance=assurance),
    )


async def headers(db, u: User) -> dict[str, str]:
    """Bearer headers for ``u`` (a fresh login session)."""
    login = await _add(db, AuthSession(user_id=u.id, channel="password"))
    token, _ = create_access_token(u.id, login.id)
    return {"Authorization": f"Bearer {token}"}


async def consent(db, u: User, *purposes: Purpose) -> None:
    """``u`` accepted the privacy notice in force for ``purposes`` (``service`` when none are given)."""
    for purpose in purposes or (Purpose.service,):
        await _add(db, Consent(user_id=u.id, purpose=purpose, notice_version=notice.current().version))
