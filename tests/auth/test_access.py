"""The role × action matrix and the object scopes, checked per object."""
from types import SimpleNamespace

import pytest

from app.auth.access import MATRIX, Scope, can
from app.auth.models import Role


def user(role, agency_id=1, country="SN", employer_id=None, user_id=10):
    return SimpleNamespace(id=user_id, role=role.value, agency_id=agency_id, employer_id=employer_id,
                           country_code=country, is_authenticated=True, is_active=True)


def thing(agency_id=1, country="SN", owner_id=None, employer_id=None):
    return SimpleNamespace(agency_id=agency_id, country_code=country, owner_id=owner_id,
                           employer_id=employer_id)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_page_level_permission_follows_the_matrix(role, action):
    assert can(user(role), action) is (role in MATRIX[action])


@pytest.mark.parametrize("action,role", [
    ("jobseeker.read", Role.AGENT), ("jobseeker.write", Role.COUNSELLOR),
    ("offer.publish", Role.AGENT), ("mobility.counsel", Role.MOBILITY_COUNSELLOR),
])
def test_agency_scope_stops_at_the_agency(action, role):
    assert MATRIX[action][role] is Scope.AGENCY
    assert can(user(role, agency_id=1), action, thing(agency_id=1))
    assert not can(user(role, agency_id=1), action, thing(agency_id=2))


@pytest.mark.parametrize("action,role", [
    ("jobseeker.read", Role.MANAGER), ("user.manage", Role.ADMIN), ("mobility.review", Role.MANAGER),
])
def test_country_scope_stops_at_the_border(action, role):
    assert can(user(role, country="SN"), action, thing(agency_id=99, country="SN"))
    assert not can(user(role, country="SN"), action, thing(agency_id=99, country="ML"))


def test_national_administrator_reaches_every_country():
    admin = user(Role.ADMIN, agency_id=None, country=None)
    assert can(admin, "user.manage", thing(country="ML"))
    assert can(admin, "agency.manage", thing(country="CM"))
    assert not can(admin, "mobility.review")  # still bound by the matrix


def test_employer_sees_only_its_own():
    employer = user(Role.EMPLOYER, agency_id=None, employer_id=7)
    assert can(employer, "offer.edit", thing(employer_id=7))
    assert not can(employer, "offer.edit", thing(employer_id=8))
    assert not can(employer, "jobseeker.read")


def test_inactive_or_anonymous_users_can_do_nothing():
    inactive = user(Role.ADMIN)
    inactive.is_active = False
    assert not can(inactive, "user.manage")
    assert not can(SimpleNamespace(is_authenticated=False), "occupation.code")


def test_unknown_action_is_a_programming_error():
    with pytest.raises(KeyError):
        can(user(Role.ADMIN), "no.such.action")
