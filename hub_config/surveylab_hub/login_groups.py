"""The hub groups a login gives, from which the user's role follows (:mod:`surveylab.roles`).

With ``Authenticator.manage_groups`` on (the surveylab hub turns it on), every login sets the
user's hub groups to the ones its authenticator returns:

- a database login: the user's database roles (PostgreSQL: the roles the login role is a member
  of; Oracle: ``SESSION_ROLES``);
- an OAuth login: the claim named by ``auth_state_groups_key`` (e.g. ``groups``), if set;
- a workshop pool user: the group ``workshop`` (:data:`~surveylab_hub.pools.WORKSHOP_GROUP`).

Only the groups that grant a role in ``roles.yaml`` are kept (:attr:`LoginGroups.role_groups`):
a database may have hundreds of roles, and the hub need not know them. JupyterHub replaces the
user's groups at each login, so a group an administrator adds by hand lasts until the user's
next login; a lasting assignment is a role's ``users`` list in ``roles.yaml``.
"""

from __future__ import annotations

from collections.abc import Iterable

from traitlets import List, Unicode
from traitlets.config import Configurable

__all__ = ["LoginGroups"]


class LoginGroups(Configurable):
    """The trait and the filter shared by the surveylab authenticators."""

    role_groups = List(
        Unicode(),
        config=True,
        help="""
        The hub groups a login may give: the `groups` of the roles in roles.yaml (`surveylab
        hub` sets it from that file). A database role or OAuth group of another name is not
        made a hub group. Used only with `Authenticator.manage_groups`.
        """,
    )

    def login_groups(self, names: Iterable[str]) -> list[str]:
        """``names`` that grant a role (:attr:`role_groups`), lower-cased, sorted, once each."""
        wanted = {group.lower() for group in self.role_groups}
        return sorted({name.lower() for name in names} & wanted)
