"""The permission matrix, enforced in the service layer and visible through the API."""

from __future__ import annotations

import pytest

from backend.core.errors import NotFound, PermissionDenied
from backend.core.principal import Principal
from backend.projects import service
from backend.projects.permissions import MATRIX, Action, Role, allows
from tests.support.factories import add_member, make_project, make_user


def test_matrix_is_monotonic_in_rank() -> None:
    order = [Role.viewer, Role.member, Role.admin, Role.owner]
    for lower, higher in zip(order, order[1:], strict=False):
        assert MATRIX[lower] <= MATRIX[higher]


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        (Role.viewer, Action.read, True),
        (Role.viewer, Action.write, False),
        (Role.member, Action.write, True),
        (Role.member, Action.manage_team, False),
        (Role.admin, Action.manage_keys, True),
        (Role.admin, Action.delete, False),
        (Role.owner, Action.delete, True),
    ],
)
def test_role_allows_exactly_its_actions(role: Role, action: Action, allowed: bool) -> None:
    assert allows(role, action) is allowed


def test_someone_elses_project_is_not_found_rather_than_forbidden(session) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session)
    stranger = make_user(session)
    with pytest.raises(NotFound):
        service.get_context(session, Principal(user=stranger), project.id)


def test_viewer_can_read_but_not_write(session) -> None:  # type: ignore[no-untyped-def]
    project = make_project(session)
    viewer = make_user(session)
    add_member(session, project, viewer, Role.viewer)
    ctx = service.get_context(session, Principal(user=viewer), project.id, Action.read)
    assert ctx.role == Role.viewer
    with pytest.raises(PermissionDenied):
        service.get_context(session, Principal(user=viewer), project.id, Action.write)


def test_organization_members_reach_the_organizations_projects(session) -> None:  # type: ignore[no-untyped-def]
    from backend.orgs import service as orgs

    owner, colleague = make_user(session), make_user(session)
    org = orgs.create(session, Principal(user=owner), "Acme")
    project = service.create(session, Principal(user=owner), "Shared", org_id=org.id)
    orgs.add_member(session, org.id, colleague.id, Role.member)
    ctx = service.get_context(session, Principal(user=colleague), project.id, Action.write)
    assert ctx.role == Role.member
    assert [p.id for p in service.list_for(session, Principal(user=colleague))] == [project.id]


def test_the_last_owner_cannot_be_demoted(session) -> None:  # type: ignore[no-untyped-def]
    from backend.core.errors import Conflict

    owner = make_user(session)
    project = make_project(session, owner)
    ctx = service.get_context(session, Principal(user=owner), project.id, Action.manage_team)
    with pytest.raises(Conflict):
        service.set_member_role(session, ctx, owner.id, Role.admin)


def test_an_api_key_sees_only_its_own_project(session) -> None:  # type: ignore[no-untyped-def]
    from tests.support.factories import make_api_key

    mine, other = make_project(session), make_project(session)
    raw = make_api_key(session, mine)
    key = service.authenticate_api_key(session, raw)
    principal = Principal(api_key=key)
    assert [p.id for p in service.list_for(session, principal)] == [mine.id]
    with pytest.raises(NotFound):
        service.get_context(session, principal, other.id)
