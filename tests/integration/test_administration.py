"""Administration: organisations, users and role mappings through their commands, each change audited; the
administrator's municipality is its organisation's subtree; the bootstrap; provisioning from groups."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, insert, select

from tests.world import NOW, Clock, World
from workflow.admin import queries
from workflow.admin.commands import (
    BootstrapAdministrator,
    CreateOrganisation,
    CreateRoleMapping,
    CreateUser,
    DeactivateOrganisation,
    DeactivateRoleMapping,
    DeactivateUser,
    ReactivateUser,
    RenameOrganisation,
    UpdateRoleMapping,
    UpdateUser,
)
from workflow.admin.provisioning import ProvisionUser
from workflow.bootstrap import Application, bootstrap
from workflow.cases.paging import PageRequest
from workflow.cases.scoping import sees_individuals
from workflow.engine.commands import OpenCase
from workflow.engine.errors import Conflict, InvalidInput, NotFound, NotPermitted, Refused
from workflow.engine.firing import Actor
from workflow.schema.tables import ADMIN_EVENT, CASE, USER
from workflow.settings import get_settings

pytestmark = pytest.mark.integration


def admin(world: World, org: str = "CENTRAL") -> Actor:
    return world.actor(org, "administrator")


def events(world: World, entity: str, entity_id: int) -> list[Any]:
    with world.engine.connect() as conn:
        return list(
            conn.execute(
                select(ADMIN_EVENT).where(ADMIN_EVENT.c.entity == entity, ADMIN_EVENT.c.entity_id == entity_id)
                .order_by(ADMIN_EVENT.c.id)
            )
        )  # fmt: skip


def rule_of(exc: pytest.ExceptionInfo[Any]) -> object:
    return exc.value.context.get("rule")


def test_an_administrator_creates_an_organisation_below_its_own_and_the_change_is_audited(
    app: Application, world: World
) -> None:
    org = app.execute(CreateOrganisation("CENTRAL_EAST", "Östra stadsdelsnämnden", "district_board"), admin(world))
    assert org["parent_id"] == world.orgs["CENTRAL"] and org["active"] is True
    (event,) = events(world, "organisation", org["id"])
    assert event.action == "create_organisation" and event.actor_id == admin(world).user_id and event.via == "api"
    assert event.before is None and event.after["code"] == "CENTRAL_EAST" and event.at == NOW


def test_a_user_without_the_administrator_role_is_refused_with_the_rule_role(app: Application, world: World) -> None:
    for role in ("director", "contract_strategist", "board_secretary"):
        with pytest.raises(NotPermitted) as exc:
            app.execute(CreateOrganisation("X1", "X", "district_board"), world.actor("CENTRAL", role))
        assert rule_of(exc) == "role"
        with pytest.raises(NotPermitted):
            queries.list_users(app.uow, world.actor("CENTRAL", role), queries.UserFilter(), PageRequest())


def test_another_municipalitys_organisations_users_and_mappings_are_not_found(app: Application, world: World) -> None:
    north = admin(world, "NORTH")
    south_user = world.users[("SOUTH", "social_worker")]
    for command in (
        RenameOrganisation(world.orgs["SOUTH"], "Taken over"),
        DeactivateOrganisation(world.orgs["SOUTH"]),
        CreateOrganisation("SOUTH_2", "Below south", "district_board", parent_id=world.orgs["SOUTH"]),
        CreateUser("intruder", "Intruder", "i@x.test", world.orgs["SOUTH"], ("director",)),
        UpdateUser(south_user, roles=("administrator",)),
        DeactivateUser(south_user),
        UpdateUser(world.users[("NORTH", "director")], organisation_id=world.orgs["SOUTH"]),
        CreateRoleMapping("sg-south", world.orgs["SOUTH"], ("director",)),
    ):
        with pytest.raises(NotFound):
            app.execute(command, north)
    with pytest.raises(NotFound):
        queries.get_user(app.uow, north, south_user)
    with pytest.raises(NotFound):
        queries.get_organisation(app.uow, north, world.orgs["SOUTH"])
    listed = queries.list_users(app.uow, north, queries.UserFilter(), PageRequest(page_size=100))
    assert {u["organisation_id"] for u in listed.items} == {world.orgs["NORTH"]}
    with world.engine.connect() as conn:
        assert conn.execute(select(ADMIN_EVENT)).first() is None  # nothing refused was written


def test_the_root_administrator_administers_the_whole_tree_below_it(app: Application, world: World) -> None:
    child = app.execute(CreateOrganisation("C_CHILD", "Child", "district_board"), admin(world))
    grandchild = app.execute(CreateOrganisation("C_GRAND", "Grandchild", "district_board", child["id"]), admin(world))
    user = app.execute(
        CreateUser("grand.strateg", "Grand Strateg", "gs@x.test", grandchild["id"], ("contract_strategist",)),
        admin(world),
    )
    assert user["organisation_id"] == grandchild["id"] and user["source"] == "manual"
    orgs = queries.list_organisations(app.uow, admin(world), None, PageRequest())
    assert [o["code"] for o in orgs.items] == ["CENTRAL", "C_CHILD", "C_GRAND"]
    # the child's own administrator administers the grandchild, not the parent
    child_admin = app.execute(
        CreateUser("child.admin", "Child Admin", "ca@x.test", child["id"], ("administrator",)), admin(world)
    )
    as_child = Actor(child_admin["id"], child["id"], ("administrator",))
    assert app.execute(RenameOrganisation(grandchild["id"], "Renamed"), as_child)["name"] == "Renamed"
    with pytest.raises(NotFound):
        app.execute(RenameOrganisation(world.orgs["CENTRAL"], "Renamed"), as_child)


def test_renaming_records_the_name_before_and_after(app: Application, world: World) -> None:
    oid = world.orgs["CENTRAL"]
    app.execute(RenameOrganisation(oid, "Socialnämnden", via="cli"), admin(world))
    (event,) = events(world, "organisation", oid)
    assert (event.before["name"], event.after["name"], event.via) == ("CENTRAL board", "Socialnämnden", "cli")


def _open_case(world: World, org: int) -> None:
    with world.engine.begin() as conn:
        conn.execute(
            insert(CASE).values(
                case_type="complaint", status="received", organisation_id=org, opened_at=NOW, updated_at=NOW,
                attributes={}, opened_on=NOW.date(), last_occurred_on=NOW.date(),
            )
        )  # fmt: skip


def test_deactivating_an_organisation_is_refused_while_something_depends_on_it_and_says_what(
    app: Application, world: World
) -> None:
    a = admin(world)
    child = app.execute(CreateOrganisation("C_CHILD", "Child", "district_board"), a)["id"]
    user = app.execute(CreateUser("c.sw", "Social Worker", "sw@x.test", child, ("social_worker",)), a)["id"]
    grand = app.execute(CreateOrganisation("C_GRAND", "Grandchild", "district_board", child), a)["id"]
    mapping = app.execute(CreateRoleMapping("sg-child", child, ("social_worker",)), a)["id"]
    _open_case(world, child)
    expected = [
        ("organisation_has_active_users", DeactivateUser(user)),
        ("organisation_has_open_cases", None),
        ("organisation_has_active_children", DeactivateOrganisation(grand)),
        ("organisation_has_role_mappings", DeactivateRoleMapping(mapping)),
    ]
    for rule, remedy in expected:
        with pytest.raises(Refused) as exc:
            app.execute(DeactivateOrganisation(child), a)
        assert rule_of(exc) == rule
        if remedy is None:
            with world.engine.begin() as conn:
                conn.execute(
                    CASE.update().where(CASE.c.organisation_id == child).values(status="resolved", closed_at=NOW)
                )
        else:
            app.execute(remedy, a)
    done = app.execute(DeactivateOrganisation(child), a)
    assert done["active"] is False
    assert [e.action for e in events(world, "organisation", child)] == [
        "create_organisation",
        "deactivate_organisation",
    ]
    with pytest.raises(Refused) as exc:
        app.execute(CreateUser("late", "Late", "l@x.test", child, ("director",)), a)
    assert rule_of(exc) == "organisation_inactive"
    with pytest.raises(Refused) as exc:
        app.execute(ReactivateUser(user), a)
    assert rule_of(exc) == "organisation_inactive"


def test_users_are_created_changed_deactivated_and_reactivated_with_before_and_after(
    app: Application, world: World
) -> None:
    a = admin(world)
    user = app.execute(
        CreateUser("c.new", "Ny Användare", "ny@x.test", world.orgs["CENTRAL"], ("contract_strategist",)), a
    )
    changed = app.execute(
        UpdateUser(user["id"], display_name="Ny Namn", roles=("unit_manager", "unit_manager", "director")), a
    )
    assert changed["roles"] == ["unit_manager", "director"] and changed["display_name"] == "Ny Namn"
    assert app.execute(DeactivateUser(user["id"]), a)["active"] is False
    assert app.execute(DeactivateUser(user["id"]), a)["active"] is False  # twice changes nothing
    assert app.execute(ReactivateUser(user["id"]), a)["active"] is True
    history = events(world, "user", user["id"])
    assert [e.action for e in history] == ["create_user", "update_user", "deactivate_user", "reactivate_user"]
    assert history[1].before["roles"] == ["contract_strategist"] and history[1].after["roles"] == [
        "unit_manager",
        "director",
    ]
    assert history[2].before["active"] is True and history[2].after["active"] is False


def test_wrong_user_input_is_refused_naming_the_rule(app: Application, world: World) -> None:
    a, org = admin(world), world.orgs["CENTRAL"]
    cases = [
        (CreateUser("c.x", "X", "x@x.test", org, ("superuser",)), InvalidInput, "role_unknown"),
        (CreateUser("c.x", "X", "x@x.test", org, ()), InvalidInput, "roles_required"),
        (CreateUser("c.x", "X", "not-an-address", org, ("director",)), InvalidInput, "email"),
        (CreateUser("c x", "X", "x@x.test", org, ("director",)), InvalidInput, "username"),
        (CreateOrganisation("bad code!", "X", "district_board"), InvalidInput, "organisation_code"),
        (CreateOrganisation("GOOD", "X", "ministry"), InvalidInput, "organisation_kind"),
    ]
    for command, error, rule in cases:
        with pytest.raises(error) as exc:
            app.execute(command, a)
        assert rule_of(exc) == rule, command
    with pytest.raises(Conflict):
        app.execute(CreateUser("central.director", "Dup", "d@x.test", org, ("director",)), a)
    with pytest.raises(Conflict):
        app.execute(CreateOrganisation("NORTH", "Dup", "district_board"), a)


def test_an_administrator_cannot_deactivate_demote_or_move_itself(app: Application, world: World) -> None:
    a = admin(world)
    child = app.execute(CreateOrganisation("C_CHILD", "Child", "district_board"), a)["id"]
    for command in (
        DeactivateUser(a.user_id or 0),
        UpdateUser(a.user_id or 0, roles=("director",)),
        UpdateUser(a.user_id or 0, organisation_id=child),
    ):
        with pytest.raises(Refused) as exc:
            app.execute(command, a)
        assert rule_of(exc) == "own_account"
    assert app.execute(UpdateUser(a.user_id or 0, roles=("administrator", "director")), a)["roles"] == [
        "administrator",
        "director",
    ]


def test_the_administrator_role_gives_no_case_work_and_no_individual_content(app: Application, world: World) -> None:
    a = admin(world, "NORTH")
    assert not sees_individuals(a)
    with pytest.raises(NotPermitted):
        app.execute(OpenCase("complaint", "opened by an administrator"), a)


def test_role_mappings_are_versioned_and_every_change_is_audited(app: Application, world: World) -> None:
    a = admin(world)
    m = app.execute(CreateRoleMapping("sg-uppf-strateg", world.orgs["CENTRAL"], ("contract_strategist",)), a)
    assert m["version"] == 1
    m = app.execute(UpdateRoleMapping(m["id"], roles=("contract_strategist", "unit_manager")), a)
    assert m["version"] == 2 and m["roles"] == ["contract_strategist", "unit_manager"]
    m = app.execute(DeactivateRoleMapping(m["id"]), a)
    assert m["version"] == 3 and m["active"] is False
    m = app.execute(UpdateRoleMapping(m["id"]), a)  # changing a deactivated mapping reactivates it
    assert m["version"] == 4 and m["active"] is True
    history = events(world, "role_mapping", m["id"])
    assert [e.action for e in history] == [
        "create_role_mapping",
        "update_role_mapping",
        "deactivate_role_mapping",
        "update_role_mapping",
    ]
    assert history[1].before["roles"] == ["contract_strategist"] and history[1].after["version"] == 2
    with pytest.raises(Conflict):
        app.execute(CreateRoleMapping("sg-uppf-strateg", world.orgs["CENTRAL"], ("director",)), a)
    listed = queries.list_role_mappings(app.uow, a, True, PageRequest())
    assert [r["group_name"] for r in listed.items] == ["sg-uppf-strateg"]


def test_the_bootstrap_creates_the_first_organisation_and_administrator_once(engine: Engine) -> None:
    app = bootstrap(get_settings(), engine, Clock())
    system = Actor.system(0)
    made = app.execute(
        BootstrapAdministrator("KOMMUN", "Kommunen", "kommun.admin", "Ada Admin", "ada@kommun.test"), system
    )
    assert (
        made.organisation_created and made.user["roles"] == ["administrator"] and made.organisation["parent_id"] is None
    )
    with pytest.raises(Refused) as exc:
        app.execute(BootstrapAdministrator("KOMMUN2", "Annan", "other.admin", "Other", "o@kommun.test"), system)
    assert rule_of(exc) == "already_bootstrapped"
    with engine.connect() as conn:
        vias = {r.via for r in conn.execute(select(ADMIN_EVENT))}
        assert vias == {"bootstrap"} and conn.execute(select(USER.c.username)).scalars().all() == ["kommun.admin"]
    # the administrator then creates organisations and users
    first = Actor(made.user["id"], made.organisation["id"], ("administrator",))
    district = app.execute(CreateOrganisation("DISTRIKT", "Distriktsnämnden", "district_board"), first)
    assert app.execute(
        CreateUser("d.strateg", "D S", "ds@kommun.test", district["id"], ("contract_strategist",)), first
    )


def test_the_bootstrap_uses_an_existing_organisation_with_the_code(app: Application, world: World) -> None:
    with world.engine.begin() as conn:  # the world has administrators: take their role away
        conn.execute(USER.update().where(USER.c.username.like("%.administrator")).values(active=False))
    made = app.execute(BootstrapAdministrator("NORTH", "ignored", "north.admin2", "N A", "na@x.test"), Actor.system(0))
    assert not made.organisation_created and made.user["organisation_id"] == world.orgs["NORTH"]


def test_groups_provision_an_unknown_user_and_report_unknown_groups(app: Application, world: World) -> None:
    a = admin(world, "NORTH")
    app.execute(CreateRoleMapping("sg-north-sw", world.orgs["NORTH"], ("social_worker",)), a)
    app.execute(CreateRoleMapping("sg-north-um", world.orgs["NORTH"], ("unit_manager",)), a)
    made = app.execute(
        ProvisionUser("anna@north", ("sg-north-um", "sg-north-sw", "sg-unknown"), "Anna A", "anna@north.test"),
        Actor.system(0),
    )
    assert made.changed and made.user is not None
    assert made.user["organisation_id"] == world.orgs["NORTH"] and made.user["source"] == "idp"
    assert made.user["roles"] == ["social_worker", "unit_manager"]
    assert made.resolution.unknown == ("sg-unknown",)
    (event,) = events(world, "user", made.user["id"])
    assert event.via == "idp" and event.actor_id is None and event.action == "provision_user"
    again = app.execute(ProvisionUser("anna@north", ("sg-north-um", "sg-north-sw")), Actor.system(0))
    assert not again.changed  # nothing to bring in line, nothing written
    assert len(events(world, "user", made.user["id"])) == 1


def test_a_provisioned_user_follows_the_mapping_and_a_manual_one_does_not(app: Application, world: World) -> None:
    a = admin(world, "NORTH")
    m = app.execute(CreateRoleMapping("sg-north", world.orgs["NORTH"], ("social_worker",)), a)
    app.execute(ProvisionUser("bo@north", ("sg-north",)), Actor.system(0))
    app.execute(UpdateRoleMapping(m["id"], roles=("unit_manager",)), a)
    synced = app.execute(ProvisionUser("bo@north", ("sg-north",)), Actor.system(0))
    assert synced.changed and synced.user is not None and synced.user["roles"] == ["unit_manager"]
    manual = app.execute(ProvisionUser("north.director", ("sg-north",)), Actor.system(0))
    assert not manual.changed and manual.user is not None and manual.user["roles"] == ["director"]


def test_groups_that_map_to_nothing_or_to_several_organisations_are_refused(app: Application, world: World) -> None:
    app.execute(CreateRoleMapping("sg-n", world.orgs["NORTH"], ("social_worker",)), admin(world, "NORTH"))
    app.execute(CreateRoleMapping("sg-s", world.orgs["SOUTH"], ("social_worker",)), admin(world, "SOUTH"))
    with pytest.raises(Refused) as exc:
        app.execute(ProvisionUser("x@y", ("sg-nothing",)), Actor.system(0))
    assert rule_of(exc) == "no_mapped_group" and "sg-nothing" in exc.value.message
    with pytest.raises(Refused) as exc:
        app.execute(ProvisionUser("x@y", ("sg-n", "sg-s")), Actor.system(0))
    assert rule_of(exc) == "groups_several_organisations"
    with world.engine.connect() as conn:
        assert conn.execute(select(USER.c.id).where(USER.c.username == "x@y")).first() is None
