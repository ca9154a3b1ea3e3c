"""The demo's users, each with different rights: who sees which dashboards and widgets.

``seed_demo`` creates them (and resets their passwords and rights); ``rundemo``
prints them. The passwords are for a demo on your own machine: they are printed
and written in the README.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Permission, User

VIEW_REVENUE = "dashboard.view_revenue"
VIEW_CUSTOMERS = "dashboard.view_customer"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    sees: str
    permissions: tuple[str, ...] = ()
    is_staff: bool = False
    is_superuser: bool = False


DEMO_USERS = (
    DemoUser("admin", "admin-demo", "everything, and the admin", is_staff=True, is_superuser=True),
    DemoUser("analyst", "analyst-demo", "both dashboards, but no uptime", (VIEW_REVENUE, VIEW_CUSTOMERS)),
    DemoUser("ops", "ops-demo", "operations, without revenue or customers' names", is_staff=True),
)


def ensure_demo_users() -> list[DemoUser]:
    """Create the demo users, or put back their passwords and rights."""
    for demo in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=demo.username)
        user.set_password(demo.password)
        user.is_staff = demo.is_staff
        user.is_superuser = demo.is_superuser
        user.save()
        user.user_permissions.set([permission(name) for name in demo.permissions])
    return list(DEMO_USERS)


def permission(dotted: str) -> Permission:
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def credentials_text() -> str:
    """The users and passwords, one per line, as ``rundemo`` prints them."""
    width = max(len(demo.username) for demo in DEMO_USERS)
    return "\n".join(
        f"  {demo.username:<{width}}  password {demo.password:<13} sees {demo.sees}" for demo in DEMO_USERS
    )
