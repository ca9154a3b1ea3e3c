"""Logged-in test clients: a user made for the test, with the rights it asks for."""

from django.contrib.auth.models import Permission, User
from django.test import AsyncClient


async def make_user(
    username: str = "viewer",
    *,
    permissions: tuple[str, ...] = (),
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """A user with these rights (``"app_label.codename"`` permissions), made anew or updated."""
    user, _ = await User.objects.aupdate_or_create(
        username=username, defaults={"is_staff": is_staff, "is_superuser": is_superuser}
    )
    for dotted in permissions:
        app_label, codename = dotted.split(".")
        permission = await Permission.objects.aget(content_type__app_label=app_label, codename=codename)
        await user.user_permissions.aadd(permission)
    return user


async def client_of(user: User) -> AsyncClient:
    """An ``AsyncClient`` whose requests carry ``user``'s session."""
    client = AsyncClient()
    await client.aforce_login(user)
    return client


async def superuser_client() -> AsyncClient:
    """A client logged in as a superuser, who may see every widget and dashboard."""
    return await client_of(await make_user("superuser", is_superuser=True, is_staff=True))
